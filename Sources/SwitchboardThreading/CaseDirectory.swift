import SwitchboardDomain

/// Customers, their identifiers, their cases, the email Message-IDs seen on each case and recent
/// idempotency keys: everything threading decides with, as one value-type state machine.
///
/// `thread(_:contact:at:)` is the one hot call: the live server and the simulator make it for every
/// contact. It does a bounded number of hash lookups (one per identifier, message id and key), never
/// scans customers or cases, and allocates nothing in steady state for an already-canonical caller
/// id or email joining an open case, apart from the history entry it records.
///
/// Invariants (checked by the property tests): every identifier belongs to exactly one live
/// customer; a merged-away customer owns nothing and resolves to the customer it merged into; every
/// case belongs to a live customer; a duplicate delivery changes nothing.
public struct CaseDirectory: Sendable {
    public let policy: ThreadingPolicy

    /// Customer records, `CustomerID(n)` at index `n - 1` (ids are dense and never reused).
    var customers: [CustomerRecord] = []
    /// Case records, `CaseID(n)` at index `n - 1`.
    var cases: [CaseRecord] = []
    /// Identifier → its (live) customer.
    var identifierIndex = InlineMap<Identifier, CustomerID>()
    /// Email Message-ID (without angle brackets) → the case it was seen on, and the inbound contact
    /// it arrived as (nil for our own outgoing mail recorded with `recordOutgoingMessage`).
    var messages = InlineMap<MessageKey, MessageRecord>()
    /// Every contact's history entry, appended in arrival order; each case links its own entries
    /// backwards from `CaseRecord.lastEntry`, so recording a contact never allocates per case.
    var entries: [StoredEntry] = []
    /// Idempotency key → the contact it created. Pruned after `policy.idempotencyRetention`.
    var idempotency: [String: Delivered] = [:]
    /// Keys in arrival order, for pruning; entries before `idempotencyHead` are gone.
    var idempotencyOrder: [(key: String, at: Instant)] = []
    var idempotencyHead = 0
    /// Every merge, in order.
    public private(set) var mergeLog: [MergeRecord] = []
    /// How many customer ids have been merged into others.
    var mergedAway = 0
    /// Reused per call so normalising identifiers does not allocate in steady state.
    var scratch: [Identifier] = []

    public init(policy: ThreadingPolicy = ThreadingPolicy()) {
        self.policy = policy
    }

    /// Sizes the tables for an expected number of customers and contacts, so growing past them does
    /// not pause one unlucky contact while a table of millions is rehashed or copied. Optional: the
    /// directory grows on its own. `identifiersPerCustomer` and the share of contacts that are emails
    /// with a Message-ID are estimates; over-estimating costs memory only.
    public mutating func reserveCapacity(customers: Int, contacts: Int, identifiersPerCustomer: Int = 2, emailShare: Double = 0.5) {
        self.customers.reserveCapacity(customers)
        cases.reserveCapacity(customers)
        entries.reserveCapacity(contacts)
        identifierIndex.reserveCapacity(customers * identifiersPerCustomer)
        messages.reserveCapacity(Int(Double(contacts) * min(max(emailShare, 0), 1)))
    }

    /// The most recently closed cases kept per customer for the reopen rule.
    static let recentlyClosedLimit = 8
    static let maxKeyLength = 256
    static let maxMessageIDLength = 998

    // MARK: - Threading

    /// Threads one contact: finds (or creates) its customer, merging customers its identifiers link
    /// when the merge policy allows, and puts it in a case, trying the rules in order: explicit
    /// reference, email reply (In-Reply-To, then References newest first), subject tag, the
    /// customer's open case active within `openCaseWindow`, a case closed within `reopenWindow`, and
    /// otherwise a new case. A case found by the first three rules that belongs to another customer
    /// is refused (named in `passedOver`) and the contact continues down the rules as its sender's own.
    ///
    /// A second delivery (same idempotency key within retention, or same email Message-ID) returns
    /// `.duplicate` and changes nothing. Invalid input throws `invalidArgument` naming the field and
    /// changes nothing; an unknown `caseReference` throws `notFound`.
    public mutating func thread(
        _ input: ThreadingInput, contact: ContactID, at now: Instant
    ) throws(SwitchboardError) -> ThreadingResult {
        pruneIdempotency(now: now)

        // 1. Validate everything before changing anything.
        if let key = input.idempotencyKey {
            if key.isEmpty || key.utf8.count > CaseDirectory.maxKeyLength {
                throw .invalidArgument(
                    "idempotencyKey must be 1 to \(CaseDirectory.maxKeyLength) bytes; leave it out to push without retry protection",
                    field: "idempotencyKey")
            }
            if let d = idempotency[key] {
                return .duplicate(
                    DuplicateDelivery(original: d.contact, caseID: d.caseID, customer: canonical(d.customer), matchedOn: .idempotencyKey))
            }
        }
        var ownMessageID: MessageKey?
        if let raw = input.messageID {
            guard let m = CaseDirectory.normaliseMessageID(raw) else {
                throw .invalidArgument(
                    "messageID '\(raw.prefix(80))' is not a Message-ID: send the header value, e.g. <abc123@mail.example.com>",
                    field: "messageID")
            }
            let key = MessageKey(m)
            if let seen = messages[key], let original = seen.contact {
                let customer = cases[index(seen.caseID)].customer
                return .duplicate(DuplicateDelivery(original: original, caseID: seen.caseID, customer: customer, matchedOn: .messageID))
            }
            ownMessageID = key
        }
        scratch.removeAll(keepingCapacity: true)
        for (i, raw) in input.identifiers.enumerated() {
            let id = try Identifier.normalise(raw, defaultCountry: policy.defaultCountry, field: "identifiers[\(i)]")
            if !scratch.contains(id) { scratch.append(id) }
        }
        if let ref = input.caseReference, !isKnown(ref) {
            throw .notFound("caseReference \(ref) does not exist; leave it out to thread by the other rules", field: "caseReference")
        }
        if let topic = input.topic, topic.utf8.count > CaseDirectory.maxKeyLength {
            throw .invalidArgument("topic is longer than \(CaseDirectory.maxKeyLength) bytes", field: "topic")
        }

        // 2. Customer.
        var decision = ThreadingDecision(
            contact: contact, customer: CustomerID(0), caseID: CaseID(0), rule: .newCase, isNewCustomer: false,
            isNewCase: false, reopened: false, isAnonymous: scratch.isEmpty, matchedMessage: nil, caseLastActive: nil,
            passedOver: nil, merges: [], refusedMerges: [], at: now)
        if scratch.isEmpty {
            if let ref = input.caseReference, policy.anonymousMayUseCaseReference {
                decision.customer = cases[index(ref)].customer
            } else {
                decision.customer = newCustomer(at: now)
                decision.isNewCustomer = true
            }
        } else {
            resolveCustomer(&decision, at: now)
        }
        let customer = decision.customer

        // 3. Case.
        var chosen: CaseID?
        if let ref = input.caseReference {
            if cases[index(ref)].customer == customer {
                chosen = ref
                decision.rule = .explicitReference
            } else {
                decision.passedOver = PassedOverCase(caseID: ref, rule: .explicitReference, why: .otherCustomer)
            }
        }
        if chosen == nil, input.inReplyTo != nil || !input.references.isEmpty {
            if let (caseID, messageID) = replyTarget(input) {
                if let ok = admit(caseID, rule: .emailReply, customer: customer, now: now, decision: &decision) {
                    chosen = ok
                    decision.matchedMessage = messageID
                }
            }
        }
        if chosen == nil, let subject = input.subject {
            for number in policy.subjectTag.caseNumbers(in: subject) where isKnown(CaseID(number)) {
                chosen = admit(CaseID(number), rule: .subjectTag, customer: customer, now: now, decision: &decision)
                break
            }
        }
        if chosen == nil {
            chosen = openOrRecentCase(of: customer, topic: input.topic, now: now, decision: &decision)
        }

        let caseID: CaseID
        if let chosen {
            caseID = chosen
            join(caseID, input: input, contact: contact, now: now, decision: &decision)
        } else {
            caseID = newCase(for: customer, input: input, contact: contact, now: now)
            decision.rule = .newCase
            decision.isNewCase = true
        }
        decision.caseID = caseID

        // 4. Remember the delivery.
        if let key = ownMessageID { messages[key] = MessageRecord(caseID: caseID, contact: contact) }
        if let key = input.idempotencyKey {
            idempotency[key] = Delivered(contact: contact, caseID: caseID, customer: customer, at: now)
            idempotencyOrder.append((key, now))
        }
        return .threaded(decision)
    }

    /// The case a rule matched, if the contact may join it; otherwise records why not in `decision`.
    private mutating func admit(
        _ caseID: CaseID, rule: ThreadingRule, customer: CustomerID, now: Instant, decision: inout ThreadingDecision
    ) -> CaseID? {
        let i = index(caseID)
        if cases[i].customer != customer {
            decision.passedOver = PassedOverCase(caseID: caseID, rule: rule, why: .otherCustomer)
            return nil
        }
        if let closedAt = cases[i].closedAt, now - closedAt > policy.reopenWindow {
            decision.passedOver = PassedOverCase(caseID: caseID, rule: rule, why: .closedTooLongAgo)
            return nil
        }
        decision.rule = rule
        return caseID
    }

    /// The first of In-Reply-To, then References newest first, that names a message we have seen.
    private func replyTarget(_ input: ThreadingInput) -> (CaseID, Substring)? {
        if let r = input.inReplyTo, let m = CaseDirectory.normaliseMessageID(r), let rec = messages[MessageKey(m)] {
            return (rec.caseID, m)
        }
        for entry in input.references.reversed() {
            if entry.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                for part in entry.split(whereSeparator: \.isWhitespace).reversed() {
                    if let m = CaseDirectory.normaliseMessageID(part), let rec = messages[MessageKey(m)] { return (rec.caseID, m) }
                }
            } else if let m = CaseDirectory.normaliseMessageID(entry), let rec = messages[MessageKey(m)] {
                return (rec.caseID, m)
            }
        }
        return nil
    }

    /// The open-case and reopen rules: the customer's most recently active open case within the
    /// window with a compatible topic, else the most recently closed case within the reopen window
    /// with a compatible topic. Topics are compatible when either is absent or they are equal.
    private func openOrRecentCase(
        of customer: CustomerID, topic: String?, now: Instant, decision: inout ThreadingDecision
    ) -> CaseID? {
        let ci = index(customer)
        var best: CaseID?
        var bestActivity = Instant(microseconds: .min)
        for id in customers[ci].openCases {
            let lastActivity = cases[index(id)].lastActivity
            if now - lastActivity > policy.openCaseWindow {
                if decision.passedOver == nil { decision.passedOver = PassedOverCase(caseID: id, rule: .openCase, why: .inactiveTooLong) }
                continue
            }
            if let topic, let other = cases[index(id)].topic, topic != other {
                if decision.passedOver == nil { decision.passedOver = PassedOverCase(caseID: id, rule: .openCase, why: .differentTopic) }
                continue
            }
            if lastActivity > bestActivity {
                best = id
                bestActivity = lastActivity
            }
        }
        if let best {
            decision.rule = .openCase
            decision.caseLastActive = bestActivity
            if decision.passedOver?.rule == .openCase { decision.passedOver = nil }
            return best
        }
        if customers[ci].recentlyClosed.isEmpty { return nil }
        for id in customers[ci].recentlyClosed.reversed() {
            guard let closedAt = cases[index(id)].closedAt else { continue }
            if now - closedAt > policy.reopenWindow { break }
            if let topic, let other = cases[index(id)].topic, topic != other {
                if decision.passedOver == nil { decision.passedOver = PassedOverCase(caseID: id, rule: .reopened, why: .differentTopic) }
                continue
            }
            decision.rule = .reopened
            decision.caseLastActive = closedAt
            if decision.passedOver?.rule == .reopened { decision.passedOver = nil }
            return id
        }
        return nil
    }

    // MARK: - Identity

    /// Finds the customer for the identifiers in `scratch`, merging customers when the policy allows,
    /// and attaches the identifiers nobody holds yet.
    private mutating func resolveCustomer(_ decision: inout ThreadingDecision, at now: Instant) {
        // Common case first: identifiers all unknown or all of one customer, no allocation.
        var first: CustomerID?
        var several = false
        var unknown = 0
        for id in scratch {
            if let c = identifierIndex[id] {
                if let f = first, f != c { several = true }
                first = c
            } else {
                unknown += 1
            }
        }
        let customer: CustomerID
        if several {
            customer = mergeOrPick(&decision, at: now)
        } else if let first {
            customer = first
        } else {
            customer = newCustomer(at: now)
            decision.isNewCustomer = true
        }
        if unknown > 0 {
            for id in scratch where identifierIndex[id] == nil { attach(id, to: customer) }
        }
        decision.customer = customer
    }

    /// Several customers matched. The anchor is the customer of the strongest identifier (ties: the
    /// first given); each other customer merges into the group when the stricter of the two linking
    /// identifiers' rules allows. The survivor of a merge is the oldest customer (lowest id), so the
    /// longest history keeps its id.
    private mutating func mergeOrPick(_ decision: inout ThreadingDecision, at now: Instant) -> CustomerID {
        // (identifier, customer) for known identifiers, strongest first, input order kept on ties.
        var matched: [(id: Identifier, customer: CustomerID)] = []
        for id in scratch { if let c = identifierIndex[id] { matched.append((id, c)) } }
        let order = matched.indices.sorted {
            let a = matched[$0].id.kind.strength
            let b = matched[$1].id.kind.strength
            return a != b ? a > b : $0 < $1
        }
        let anchor = matched[order[0]]
        var group: [(customer: CustomerID, link: Identifier)] = [(anchor.customer, anchor.id)]
        var groupMask = customers[index(anchor.customer)].kindMask
        for i in order.dropFirst() {
            let m = matched[i]
            if group.contains(where: { $0.customer == m.customer }) { continue }
            if decision.refusedMerges.contains(where: { $0.other == m.customer }) { continue }
            let rule = [policy.merge[anchor.id.kind], policy.merge[m.id.kind]].max { $0.strictness < $1.strictness } ?? .never
            let otherMask = customers[index(m.customer)].kindMask
            let allowed: Bool
            switch rule {
            case .always: allowed = true
            case .never: allowed = false
            case .ifNoConflict: allowed = groupMask & otherMask == 0
            }
            if allowed {
                group.append((m.customer, m.id))
                groupMask |= otherMask
            } else {
                decision.refusedMerges.append(RefusedMerge(kept: anchor.customer, other: m.customer, identifier: m.id, rule: rule))
            }
        }
        guard group.count > 1 else { return anchor.customer }
        let survivor = group.map(\.customer).min() ?? anchor.customer
        for member in group where member.customer != survivor {
            merge(member.customer, into: survivor, on: member.link, contact: decision.contact, at: now)
            decision.merges.append(mergeLog[mergeLog.count - 1])
        }
        for i in decision.refusedMerges.indices { decision.refusedMerges[i].kept = survivor }
        return survivor
    }

    /// Moves everything `absorbed` owns to `survivor` and leaves a forwarding record.
    private mutating func merge(_ absorbed: CustomerID, into survivor: CustomerID, on identifier: Identifier, contact: ContactID, at now: Instant) {
        let a = index(absorbed)
        let s = index(survivor)
        let moved = customers[a]
        for id in moved.identifiers {
            identifierIndex[id] = survivor
            customers[s].identifiers.append(id)
        }
        for c in casesOf(absorbed) {
            cases[index(c)].customer = survivor
            cases[index(c)].previousOfCustomer = customers[s].lastCase
            customers[s].lastCase = c
        }
        customers[s].kindMask |= moved.kindMask
        for c in moved.openCases { customers[s].openCases.append(c) }
        var closed = Array(customers[s].recentlyClosed) + Array(moved.recentlyClosed)
        closed.sort { (cases[index($0)].closedAt ?? .zero) < (cases[index($1)].closedAt ?? .zero) }
        customers[s].recentlyClosed = SmallList(closed.suffix(CaseDirectory.recentlyClosedLimit))
        customers[s].absorbed.append(absorbed)
        customers[s].absorbed.append(contentsOf: moved.absorbed)
        customers[a] = CustomerRecord(createdAt: moved.createdAt)
        customers[a].mergedInto = survivor
        // Earlier merges that pointed at `absorbed` now resolve through it in one more hop; repoint them.
        for other in moved.absorbed { customers[index(other)].mergedInto = survivor }
        mergeLog.append(MergeRecord(absorbed: absorbed, into: survivor, at: now, identifier: identifier, contact: contact))
        mergedAway += 1
    }

    private mutating func attach(_ id: Identifier, to customer: CustomerID) {
        identifierIndex[id] = customer
        let i = index(customer)
        customers[i].identifiers.append(id)
        customers[i].kindMask |= id.kind.bit
    }

    private mutating func newCustomer(at now: Instant) -> CustomerID {
        customers.append(CustomerRecord(createdAt: now))
        return CustomerID(UInt64(customers.count))
    }

    // MARK: - Cases

    private mutating func newCase(for customer: CustomerID, input: ThreadingInput, contact: ContactID, now: Instant) -> CaseID {
        var record = CaseRecord(customer: customer, topic: input.topic, openedAt: now)
        record.channelMask = 1 << UInt8(input.channel.index)
        let c = index(customer)
        record.previousOfCustomer = customers[c].lastCase
        cases.append(record)
        let id = CaseID(UInt64(cases.count))
        appendEntry(input, contact: contact, to: id, now: now)
        customers[c].openCases.append(id)
        customers[c].lastCase = id
        return id
    }

    private mutating func join(_ caseID: CaseID, input: ThreadingInput, contact: ContactID, now: Instant, decision: inout ThreadingDecision) {
        let i = index(caseID)
        if cases[i].status == .closed {
            reopen(caseID, at: now)
            decision.reopened = true
        }
        cases[i].lastActivity = now
        cases[i].channelMask |= 1 << UInt8(input.channel.index)
        if cases[i].topic == nil, let topic = input.topic { cases[i].topic = topic }
        appendEntry(input, contact: contact, to: caseID, now: now)
    }

    private mutating func reopen(_ caseID: CaseID, at now: Instant) {
        let i = index(caseID)
        cases[i].status = .reopened
        cases[i].closedAt = nil
        cases[i].reopenCount += 1
        cases[i].lastActivity = now
        let c = index(cases[i].customer)
        customers[c].recentlyClosed.removeAll { $0 == caseID }
        customers[c].openCases.append(caseID)
    }

    private mutating func close(_ caseID: CaseID, at now: Instant) {
        let i = index(caseID)
        guard cases[i].status.isOpen else { return }
        cases[i].status = .closed
        cases[i].closedAt = now
        let c = index(cases[i].customer)
        customers[c].openCases.removeAll { $0 == caseID }
        customers[c].recentlyClosed.append(caseID)
        if customers[c].recentlyClosed.count > CaseDirectory.recentlyClosedLimit {
            customers[c].recentlyClosed.removeFirst()
        }
    }

    private mutating func appendEntry(_ input: ThreadingInput, contact: ContactID, to caseID: CaseID, now: Instant) {
        let i = index(caseID)
        let entry = HistoryEntry(
            contact: contact, channel: input.channel, at: now, subject: input.subject, topic: input.topic, agent: nil,
            handledAt: nil, outcome: .pending, endedAt: nil)
        entries.append(StoredEntry(entry: entry, previous: cases[i].lastEntry))
        cases[i].lastEntry = entries.count - 1
        cases[i].contactCount += 1
    }

    /// The customer's cases, newest first (following the per-customer links).
    func casesOf(_ customer: CustomerID) -> [CaseID] {
        var out: [CaseID] = []
        var c = customers[index(customer)].lastCase
        while c.rawValue != 0 {
            out.append(c)
            c = cases[index(c)].previousOfCustomer
        }
        return out
    }

    // MARK: - After threading

    /// Records that an agent took the contact: the case history shows who handled it, and
    /// `lastHandler(of:)` returns the agent for routing affinity.
    public mutating func recordHandled(contact: ContactID, case caseID: CaseID, agent: AgentID, at now: Instant) throws(SwitchboardError) {
        let (c, e) = try locate(contact, in: caseID)
        entries[e].entry.agent = agent
        entries[e].entry.handledAt = now
        cases[c].lastHandler = agent
        cases[c].lastHandledAt = now
        if now > cases[c].lastActivity { cases[c].lastActivity = now }
    }

    /// Records how a contact ended. `resolved` and `selfServed` close the case (a later contact about
    /// it reopens it within the reopen window); `unresolved` and `abandoned` leave it open.
    public mutating func recordOutcome(contact: ContactID, case caseID: CaseID, outcome: ContactOutcome, at now: Instant) throws(SwitchboardError) {
        let (c, e) = try locate(contact, in: caseID)
        entries[e].entry.outcome = outcome
        entries[e].entry.endedAt = now
        if now > cases[c].lastActivity { cases[c].lastActivity = now }
        if outcome.closesCase { close(caseID, at: now) }
    }

    /// Shorthand for an agent's completion: resolved closes the case.
    public mutating func recordOutcome(contact: ContactID, case caseID: CaseID, resolved: Bool, disposition: String? = nil, at now: Instant) throws(SwitchboardError) {
        try recordOutcome(
            contact: contact, case: caseID, outcome: resolved ? .resolved(disposition: disposition) : .unresolved(disposition: disposition), at: now)
    }

    /// Closes a case directly (a supervisor's action). Closing a closed case does nothing.
    public mutating func closeCase(_ caseID: CaseID, at now: Instant) throws(SwitchboardError) {
        guard isKnown(caseID) else { throw .notFound("case \(caseID) does not exist", field: "caseId") }
        close(caseID, at: now)
    }

    /// Remembers the Message-ID of an email we sent on a case (an agent's reply), so the customer's
    /// answer to it threads by In-Reply-To/References.
    public mutating func recordOutgoingMessage(_ messageID: String, case caseID: CaseID) throws(SwitchboardError) {
        guard isKnown(caseID) else { throw .notFound("case \(caseID) does not exist", field: "caseId") }
        guard let m = CaseDirectory.normaliseMessageID(messageID) else {
            throw .invalidArgument("messageID '\(messageID.prefix(80))' is not a Message-ID", field: "messageID")
        }
        let key = MessageKey(m)
        if messages[key] == nil { messages[key] = MessageRecord(caseID: caseID, contact: nil) }
    }

    private func locate(_ contact: ContactID, in caseID: CaseID) throws(SwitchboardError) -> (Int, Int) {
        guard isKnown(caseID) else { throw .notFound("case \(caseID) does not exist", field: "caseId") }
        let c = index(caseID)
        var e = cases[c].lastEntry
        while e >= 0 {
            if entries[e].entry.contact == contact { return (c, e) }
            e = entries[e].previous
        }
        throw .notFound("\(contact) is not part of \(caseID)", field: "contactId")
    }

    // MARK: - Queries

    /// Live customers (merged-away ids not counted). O(1).
    public var customerCount: Int { customers.count - mergedAway }
    public var caseCount: Int { cases.count }

    /// The customer an identifier belongs to.
    public func customer(for identifier: Identifier) -> CustomerID? { identifierIndex[identifier] }

    /// The customer an adapter's identifier belongs to (normalised first; errors name `identifier`).
    public func customer(for raw: RawIdentifier) throws(SwitchboardError) -> CustomerID? {
        identifierIndex[try Identifier.normalise(raw, defaultCountry: policy.defaultCountry, field: "identifier")]
    }

    /// The live customer an id stands for: itself, or the customer it was merged into.
    public func canonical(_ customer: CustomerID) -> CustomerID {
        var id = customer
        while isKnown(id), let next = customers[index(id)].mergedInto { id = next }
        return id
    }

    /// A customer (following merges), or nil for an unknown id.
    public func customer(_ id: CustomerID) -> CustomerSummary? {
        guard isKnown(id) else { return nil }
        let live = canonical(id)
        let r = customers[index(live)]
        return CustomerSummary(
            id: live, identifiers: Array(r.identifiers), cases: casesOf(live).sorted(), absorbed: r.absorbed, createdAt: r.createdAt)
    }

    /// A case, or nil for an unknown id.
    public func caseSummary(_ id: CaseID) -> CaseSummary? {
        guard isKnown(id) else { return nil }
        let c = cases[index(id)]
        var channels = Set<Channel>()
        for ch in Channel.allCases where c.channelMask & (1 << UInt8(ch.index)) != 0 { channels.insert(ch) }
        return CaseSummary(
            id: id, customer: c.customer, status: c.status, topic: c.topic, openedAt: c.openedAt, lastActivity: c.lastActivity,
            closedAt: c.closedAt, reopenCount: Int(c.reopenCount), channels: channels, contactCount: Int(c.contactCount))
    }

    /// The case's contacts, oldest first (empty for an unknown case).
    public func history(of caseID: CaseID) -> [HistoryEntry] {
        guard isKnown(caseID) else { return [] }
        var out: [HistoryEntry] = []
        var e = cases[index(caseID)].lastEntry
        while e >= 0 {
            out.append(entries[e].entry)
            e = entries[e].previous
        }
        return out.reversed()
    }

    /// The agent who last handled a contact on the case, and when.
    public func lastHandler(of caseID: CaseID) -> (agent: AgentID, at: Instant)? {
        guard isKnown(caseID) else { return nil }
        let c = cases[index(caseID)]
        guard let agent = c.lastHandler, let at = c.lastHandledAt else { return nil }
        return (agent, at)
    }

    /// The customer's open cases.
    public func openCases(of customer: CustomerID) -> [CaseID] {
        guard isKnown(customer) else { return [] }
        return Array(customers[index(canonical(customer))].openCases)
    }

    /// The subject tag for a case, for outgoing email.
    public func subjectTag(for caseID: CaseID) -> String { policy.subjectTag.tag(for: caseID) }

    // MARK: - Helpers

    @inline(__always) func index(_ id: CaseID) -> Int { Int(id.rawValue) - 1 }
    @inline(__always) func index(_ id: CustomerID) -> Int { Int(id.rawValue) - 1 }
    @inline(__always) func isKnown(_ id: CaseID) -> Bool { id.rawValue >= 1 && id.rawValue <= UInt64(cases.count) }
    @inline(__always) func isKnown(_ id: CustomerID) -> Bool { id.rawValue >= 1 && id.rawValue <= UInt64(customers.count) }

    /// A Message-ID without surrounding whitespace and angle brackets, or nil when nothing is left,
    /// it holds whitespace or it is too long. A slice of the input: no allocation.
    static func normaliseMessageID<S: StringProtocol>(_ raw: S) -> Substring? where S.SubSequence == Substring {
        var s = raw[...]
        while let f = s.utf8.first, f <= 0x20 { s = s.dropFirst() }
        while let l = s.utf8.last, l <= 0x20 { s = s.dropLast() }
        if s.utf8.first == 0x3C { s = s.dropFirst() }
        if s.utf8.last == 0x3E { s = s.dropLast() }
        if s.isEmpty || s.utf8.count > maxMessageIDLength || s.utf8.contains(where: { $0 <= 0x20 }) { return nil }
        return s
    }

    private mutating func pruneIdempotency(now: Instant) {
        let horizon = now - policy.idempotencyRetention
        while idempotencyHead < idempotencyOrder.count, idempotencyOrder[idempotencyHead].at < horizon {
            let key = idempotencyOrder[idempotencyHead].key
            if let d = idempotency[key], d.at == idempotencyOrder[idempotencyHead].at {
                idempotency.removeValue(forKey: key)
            }
            idempotencyHead += 1
        }
        if idempotencyHead > 1024, idempotencyHead * 2 > idempotencyOrder.count {
            idempotencyOrder.removeFirst(idempotencyHead)
            idempotencyHead = 0
        }
    }
}

struct CustomerRecord: Sendable {
    var identifiers = SmallList<Identifier>()
    /// Bit per `IdentifierKind` the customer holds (for the `ifNoConflict` merge rule).
    var kindMask: UInt8 = 0
    var openCases = SmallList<CaseID>()
    /// Most recently closed last, at most `recentlyClosedLimit`.
    var recentlyClosed = SmallList<CaseID>()
    /// The newest case; older ones follow `CaseRecord.previousOfCustomer`. 0 when none.
    var lastCase = CaseID(0)
    var absorbed: [CustomerID] = []
    var mergedInto: CustomerID?
    var createdAt: Instant

    init(createdAt: Instant) { self.createdAt = createdAt }
}

struct CaseRecord: Sendable {
    var customer: CustomerID
    var status: CaseStatus = .open
    var topic: String?
    var openedAt: Instant
    var lastActivity: Instant
    var closedAt: Instant?
    var reopenCount: Int32 = 0
    var channelMask: UInt8 = 0
    /// Index in `entries` of the newest contact (-1 none); older ones follow `StoredEntry.previous`.
    var lastEntry = -1
    var contactCount: Int32 = 0
    /// The same customer's previous case (0 none).
    var previousOfCustomer = CaseID(0)
    var lastHandler: AgentID?
    var lastHandledAt: Instant?

    init(customer: CustomerID, topic: String?, openedAt: Instant) {
        self.customer = customer
        self.topic = topic
        self.openedAt = openedAt
        self.lastActivity = openedAt
    }
}

struct StoredEntry: Sendable {
    var entry: HistoryEntry
    var previous: Int
}

/// A Message-ID with its hash computed once (see `Identifier.hashCode` for why).
struct MessageKey: Hashable, Sendable {
    let id: Substring
    let hashCode: Int

    init(_ id: Substring) {
        self.id = id
        self.hashCode = id.hashValue
    }

    static func == (a: MessageKey, b: MessageKey) -> Bool { a.hashCode == b.hashCode && a.id == b.id }
    func hash(into hasher: inout Hasher) { hasher.combine(hashCode) }
}

struct MessageRecord: Sendable {
    var caseID: CaseID
    var contact: ContactID?
}

struct Delivered: Sendable {
    var contact: ContactID
    var caseID: CaseID
    var customer: CustomerID
    var at: Instant
}
