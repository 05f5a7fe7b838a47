import SwitchboardDomain

/// Customers, their identifiers, their cases, the email Message-IDs seen on each case and recent
/// idempotency keys: everything threading decides with, as one value-type state machine.
///
/// `thread(_:contact:at:)` is the one hot call: the live server and the simulator make it for every
/// contact, millions of times per simulated day. It does a bounded number of hash lookups (one per
/// identifier, message id and key), never scans customers or cases, and allocates nothing per
/// contact in steady state: customers, cases and history entries are plain-data records (no
/// strings, arrays or optionals inside, so nothing is reference-counted) in chunked arrays that
/// grow without copying, numbered by 32-bit indexes. Strings that recur (topics, agent ids) are interned; the
/// rare lists (a second open case, closed cases kept for reopening, absorbed customers) live in a
/// side table that most customers never touch.
///
/// Invariants (checked by the property tests): every identifier belongs to exactly one live
/// customer; a merged-away customer owns nothing and resolves to the customer it merged into; every
/// case belongs to a live customer; a duplicate delivery changes nothing.
public struct CaseDirectory: Sendable {
    public let policy: ThreadingPolicy

    /// Customer records, `CustomerID(n)` at index `n - 1` (ids are dense and never reused).
    var customers = ChunkedArray<CustomerRecord>()
    /// Lists a few customers need (see `CustomerRecord.extras`); slots of merged-away customers are
    /// reused through `freeExtras`.
    var extras: [CustomerExtras] = []
    var freeExtras: [UInt32] = []
    /// Case records, `CaseID(n)` at index `n - 1`.
    var cases = ChunkedArray<CaseRecord>()
    /// Every identifier ever attached, each with its (live) customer and the next identifier of
    /// the same customer.
    var identifiers = HashedNodeTable<IdentifierNode>()
    /// Email Message-IDs (without angle brackets) and the case each was seen on, with the inbound
    /// contact it arrived as (0 for our own outgoing mail recorded with `recordOutgoingMessage`).
    var messages = HashedNodeTable<MessageNode>()
    /// Every contact's history entry, appended in arrival order; each case links its own entries
    /// backwards from `CaseRecord.lastEntry`, so recording a contact never allocates per case.
    var entries = ChunkedArray<StoredEntry>()
    /// Subjects and dispositions of history entries (`StoredEntry.subject`, `.disposition`).
    var texts: [String] = []
    var topics = Interner<String>()
    var agents = Interner<AgentID>()
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
    /// Where `warm` leaves the values it loaded (meaningless; see there).
    var warmSink = 0

    public init(policy: ThreadingPolicy = ThreadingPolicy()) {
        self.policy = policy
    }

    /// Sizes the tables for an expected number of customers and contacts, so growing past them does
    /// not pause one unlucky contact while a table of millions is rehashed or copied. Optional: the
    /// directory grows on its own. `identifiersPerCustomer` and the share of contacts that are emails
    /// with a Message-ID are estimates; over-estimating costs memory only. Cases are sized for one
    /// per customer; see `reserveCapacity(customers:cases:contacts:identifiersPerCustomer:emailShare:)`
    /// when most contacts open their own case (anonymous chats, a simulation).
    public mutating func reserveCapacity(customers: Int, contacts: Int, identifiersPerCustomer: Int = 2, emailShare: Double = 0.5) {
        reserveCapacity(
            customers: customers, cases: customers, contacts: contacts, identifiersPerCustomer: identifiersPerCustomer,
            emailShare: emailShare)
    }

    /// Sizes every table: customer, case and history records, the identifier and Message-ID
    /// indexes. An anonymous contact creates a customer and a case, so a simulator of anonymous
    /// traffic passes its contact count for all three.
    public mutating func reserveCapacity(
        customers: Int, cases: Int, contacts: Int, identifiersPerCustomer: Int = 2, emailShare: Double = 0.5
    ) {
        let customers = max(0, customers), cases = max(0, cases), contacts = max(0, contacts)
        self.customers.reserveCapacity(customers)
        self.cases.reserveCapacity(cases)
        entries.reserveCapacity(contacts)
        identifiers.reserveCapacity(customers * max(0, identifiersPerCustomer))
        let emails = Int(Double(contacts) * min(max(emailShare, 0), 1))
        messages.reserveCapacity(emails)
        texts.reserveCapacity(emails)
    }

    /// The most recently closed cases kept per customer for the reopen rule.
    static let recentlyClosedLimit = 8
    static let maxKeyLength = 256

    /// A contact's topic is at most `maxKeyLength` bytes. Public so that a caller routing a contact
    /// without threading it (the engine's unrecorded contacts) refuses the same input the same way.
    public static func validate(topic: String?) throws(SwitchboardError) {
        if let topic, topic.utf8.count > maxKeyLength {
            throw .invalidArgument("topic is longer than \(maxKeyLength) bytes", field: "topic")
        }
    }
    static let maxMessageIDLength = 998
    /// Records are numbered with 32 bits; the directory refuses contacts past this many customers,
    /// cases, identifiers or history entries (about 200 GiB of records) rather than wrap.
    static let maxRecords = Int(UInt32.max) - 1

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
        var ownMessageID: Substring?
        var ownMessageHash = 0
        if let raw = input.messageID {
            guard let m = CaseDirectory.normaliseMessageID(raw) else {
                throw .invalidArgument(
                    "messageID '\(raw.prefix(80))' is not a Message-ID: send the header value, e.g. <abc123@mail.example.com>",
                    field: "messageID")
            }
            ownMessageID = m
            ownMessageHash = m.hashValue
        }
        // Identifiers are normalised before the duplicate check so that all lookups can be started
        // together (below), but an invalid one is reported where it always was: after it.
        scratch.removeAll(keepingCapacity: true)
        var identifierError: SwitchboardError?
        for (i, raw) in input.identifiers.enumerated() {
            do {
                let id = try Identifier.normalise(raw, defaultCountry: policy.defaultCountry, field: "identifiers[\(i)]")
                if !scratch.contains(id) { scratch.append(id) }
            } catch {
                identifierError = error
                break
            }
        }
        let inReplyTo = input.inReplyTo.flatMap { CaseDirectory.normaliseMessageID($0) }
        let inReplyToHash = inReplyTo?.hashValue ?? 0
        warm(
            ownMessageHash: ownMessageID == nil ? nil : ownMessageHash, inReplyToHash: inReplyTo == nil ? nil : inReplyToHash,
            openCaseLikely: input.caseReference == nil && inReplyTo == nil && input.references.isEmpty)

        // Our own outgoing mail with this id, which the inbound copy takes over.
        var outgoingNode: Int?
        if let m = ownMessageID {
            let hash = ownMessageHash
            if let n = messages.find(hash: hash, where: { $0.hashCode == hash && $0.id == m }) {
                let seen = messages[node: n]
                if seen.contact == 0 {
                    outgoingNode = n
                } else {
                    let caseID = CaseID(UInt64(seen.caseNumber))
                    let customer = CustomerID(UInt64(cases[index(caseID)].customer))
                    return .duplicate(
                        DuplicateDelivery(original: ContactID(seen.contact), caseID: caseID, customer: customer, matchedOn: .messageID))
                }
            }
        }
        if let identifierError { throw identifierError }
        if let ref = input.caseReference, !isKnown(ref) {
            throw .notFound("caseReference \(ref) does not exist; leave it out to thread by the other rules", field: "caseReference")
        }
        try CaseDirectory.validate(topic: input.topic)
        if entries.count >= CaseDirectory.maxRecords || cases.count >= CaseDirectory.maxRecords
            || customers.count >= CaseDirectory.maxRecords || identifiers.count + scratch.count >= CaseDirectory.maxRecords
            || messages.count >= CaseDirectory.maxRecords || texts.count >= CaseDirectory.maxRecords
        {
            throw SwitchboardError(
                .resourceExhausted,
                "the case directory is full (\(CaseDirectory.maxRecords) records of one kind); start a new directory and archive this one")
        }

        // 2. Customer.
        let topic = input.topic.map { topics.intern($0) } ?? 0
        var decision = ThreadingDecision(contact: contact, isAnonymous: scratch.isEmpty, at: now)
        if scratch.isEmpty {
            if let ref = input.caseReference, policy.anonymousMayUseCaseReference {
                decision.customer = CustomerID(UInt64(cases[index(ref)].customer))
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
            if cases[index(ref)].customer == UInt32(customer.rawValue) {
                chosen = ref
                decision.rule = .explicitReference
            } else {
                decision.passedOver = PassedOverCase(caseID: ref, rule: .explicitReference, why: .otherCustomer)
            }
        }
        if chosen == nil, input.inReplyTo != nil || !input.references.isEmpty {
            if let (caseID, messageID) = replyTarget(input, inReplyTo: inReplyTo, hash: inReplyToHash) {
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
            chosen = openOrRecentCase(of: customer, topic: topic, now: now, decision: &decision)
        }

        let caseID: CaseID
        if let chosen {
            caseID = chosen
            join(caseID, input: input, topic: topic, contact: contact, now: now, decision: &decision)
        } else {
            caseID = newCase(for: customer, input: input, topic: topic, contact: contact, now: now)
            decision.rule = .newCase
            decision.isNewCase = true
        }
        decision.caseID = caseID

        // 4. Remember the delivery.
        if let n = outgoingNode {
            messages[node: n].caseNumber = UInt32(caseID.rawValue)
            messages[node: n].contact = contact.rawValue
        } else if let m = ownMessageID {
            messages.append(
                MessageNode(id: m, hashCode: ownMessageHash, caseNumber: UInt32(caseID.rawValue), contact: contact.rawValue),
                hint: UInt32(caseID.rawValue))
        }
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
        if cases[i].customer != UInt32(customer.rawValue) {
            decision.passedOver = PassedOverCase(caseID: caseID, rule: rule, why: .otherCustomer)
            return nil
        }
        if cases[i].status == .closed, now - Instant(microseconds: cases[i].closedAt) > policy.reopenWindow {
            decision.passedOver = PassedOverCase(caseID: caseID, rule: rule, why: .closedTooLongAgo)
            return nil
        }
        decision.rule = rule
        return caseID
    }

    /// The case a Message-ID was seen on.
    private func caseOfMessage(_ m: Substring, hash: Int? = nil) -> CaseID? {
        let hash = hash ?? m.hashValue
        guard let n = messages.find(hash: hash, where: { $0.hashCode == hash && $0.id == m }) else { return nil }
        return CaseID(UInt64(messages[node: n].caseNumber))
    }

    /// The first of In-Reply-To, then References newest first, that names a message we have seen.
    /// `inReplyTo` is the header already normalised, with its hash.
    private func replyTarget(_ input: ThreadingInput, inReplyTo: Substring?, hash: Int) -> (CaseID, Substring)? {
        if let m = inReplyTo, let c = caseOfMessage(m, hash: hash) {
            return (c, m)
        }
        for entry in input.references.reversed() {
            if entry.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                for part in entry.split(whereSeparator: \.isWhitespace).reversed() {
                    if let m = CaseDirectory.normaliseMessageID(part), let c = caseOfMessage(m) { return (c, m) }
                }
            } else if let m = CaseDirectory.normaliseMessageID(entry), let c = caseOfMessage(m) {
                return (c, m)
            }
        }
        return nil
    }

    /// The open-case and reopen rules: the customer's most recently active open case within the
    /// window with a compatible topic, else the most recently closed case within the reopen window
    /// with a compatible topic. Topics (interned numbers, 0 for none) are compatible when either is
    /// absent or they are equal.
    private func openOrRecentCase(
        of customer: CustomerID, topic: UInt32, now: Instant, decision: inout ThreadingDecision
    ) -> CaseID? {
        let ci = index(customer)
        let record = customers[ci]
        if record.openCase == 0 && record.closedCase == 0 { return nil }
        let more = record.extras == 0 ? nil : extras[Int(record.extras) - 1]
        var best: CaseID?
        var bestActivity = Int64.min
        if record.openCase != 0 {
            let openCount = 1 + (more?.moreOpen.count ?? 0)
            for k in 0..<openCount {
                let number = k == 0 ? record.openCase : more.unsafelyUnwrapped.moreOpen[k - 1]
                let id = CaseID(UInt64(number))
                let c = cases[Int(number) - 1]
                if now - Instant(microseconds: c.lastActivity) > policy.openCaseWindow {
                    if decision.passedOver == nil { decision.passedOver = PassedOverCase(caseID: id, rule: .openCase, why: .inactiveTooLong) }
                    continue
                }
                if topic != 0, c.topic != 0, topic != c.topic {
                    if decision.passedOver == nil { decision.passedOver = PassedOverCase(caseID: id, rule: .openCase, why: .differentTopic) }
                    continue
                }
                if c.lastActivity > bestActivity {
                    best = id
                    bestActivity = c.lastActivity
                }
            }
        }
        if let best {
            decision.rule = .openCase
            decision.caseLastActive = Instant(microseconds: bestActivity)
            if decision.passedOver?.rule == .openCase { decision.passedOver = nil }
            return best
        }
        if record.closedCase == 0 { return nil }
        // Most recently closed first: the spilled ones (newer), then the inline one.
        let closedCount = 1 + (more?.moreClosed.count ?? 0)
        for k in stride(from: closedCount - 1, through: 0, by: -1) {
            let number = k == 0 ? record.closedCase : more.unsafelyUnwrapped.moreClosed[k - 1]
            let id = CaseID(UInt64(number))
            let c = cases[Int(number) - 1]
            guard c.status == .closed else { continue }
            let closedAt = Instant(microseconds: c.closedAt)
            if now - closedAt > policy.reopenWindow { break }
            if topic != 0, c.topic != 0, topic != c.topic {
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

    /// Starts every memory load the lookups of this contact will need, all at once: the index
    /// slots of its Message-ID, identifiers and In-Reply-To, the records they name, the text they
    /// are compared with, and the customer or case record behind them. At a million customers each
    /// of those is a cache miss; taken one lookup after another they cost about ten memory
    /// latencies in a row, started together the processor overlaps them. Nothing here decides
    /// anything: the values only feed `warmSink` so the loads are not optimised away.
    /// `openCaseLikely`: nothing names a case, so the open-case rule will probably decide and the
    /// customer's open case is worth loading; otherwise that would be traffic competing with the
    /// loads the reply needs.
    private mutating func warm(ownMessageHash: Int?, inReplyToHash: Int?, openCaseLikely: Bool) {
        var sink = 0
        // The own Message-ID is new in almost every case: its home slot and hint are where it will
        // be written.
        if let h = ownMessageHash { sink &+= messages.warm(hash: h, touch: { Int($0.id.utf8.first ?? 0) }, touchHint: { Int($0) }) }
        for id in scratch {
            // The identifier's record and its text; beside them (from the hint) the customer and the
            // customer's open case, which the open-case rule reads next.
            sink &+= identifiers.warm(
                hash: id.hashCode, touch: { Int($0.identifier.value.utf8.first ?? 0) },
                touchHint: { customer in
                    guard openCaseLikely, customer != 0 else { return 0 }
                    let open = customers[Int(customer) &- 1].openCase
                    return open == 0 ? 1 : Int(truncatingIfNeeded: cases[Int(open) &- 1].lastActivity)
                })
        }
        if let h = inReplyToHash {
            sink &+= messages.warm(
                hash: h, touch: { Int($0.id.utf8.first ?? 0) },
                touchHint: { number in number == 0 ? 0 : Int(cases[Int(number) &- 1].customer) })
        }
        warmSink = sink
    }

    // MARK: - Identity

    /// The identifier's record number, if it is known.
    @inline(__always) private func node(of id: Identifier) -> Int? {
        let hash = id.hashCode
        return identifiers.find(hash: hash, where: { $0.identifier == id })
    }

    /// The identifier's (live) customer, if it is known.
    @inline(__always) private func owner(of id: Identifier) -> CustomerID? {
        node(of: id).map { CustomerID(UInt64(identifiers[node: $0].customer)) }
    }

    /// Finds the customer for the identifiers in `scratch`, merging customers when the policy allows,
    /// and attaches the identifiers nobody holds yet.
    private mutating func resolveCustomer(_ decision: inout ThreadingDecision, at now: Instant) {
        // Common case first: identifiers all unknown or all of one customer, no allocation.
        var first: CustomerID?
        var several = false
        var unknown = 0
        for id in scratch {
            if let c = owner(of: id) {
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
            for id in scratch where node(of: id) == nil { attach(id, to: customer) }
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
        for id in scratch { if let c = owner(of: id) { matched.append((id, c)) } }
        let order = matched.indices.sorted {
            let a = matched[$0].id.kind.strength
            let b = matched[$1].id.kind.strength
            return a != b ? a > b : $0 < $1
        }
        let anchor = matched[order[0]]
        var group: [(customer: CustomerID, link: Identifier)] = [(anchor.customer, anchor.id)]
        var groupMask = customers[index(anchor.customer)].kindMask
        var refused: [RefusedMerge] = []
        for i in order.dropFirst() {
            let m = matched[i]
            if group.contains(where: { $0.customer == m.customer }) { continue }
            if refused.contains(where: { $0.other == m.customer }) { continue }
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
                refused.append(RefusedMerge(kept: anchor.customer, other: m.customer, identifier: m.id, rule: rule))
            }
        }
        let survivor = group.map(\.customer).min() ?? anchor.customer
        var merges: [MergeRecord] = []
        for member in group where member.customer != survivor {
            merge(member.customer, into: survivor, on: member.link, contact: decision.contact, at: now)
            merges.append(mergeLog[mergeLog.count - 1])
        }
        for i in refused.indices { refused[i].kept = survivor }
        if !merges.isEmpty || !refused.isEmpty { decision.identityChanges = IdentityChanges(merges: merges, refused: refused) }
        return survivor
    }

    /// Moves everything `absorbed` owns to `survivor` and leaves a forwarding record.
    private mutating func merge(_ absorbed: CustomerID, into survivor: CustomerID, on identifier: Identifier, contact: ContactID, at now: Instant) {
        let a = index(absorbed)
        let s = index(survivor)
        let moved = customers[a]
        let movedExtras = moved.extras == 0 ? CustomerExtras() : extras[Int(moved.extras) - 1]
        let survivorNumber = UInt32(survivor.rawValue)
        // Identifiers: repoint each, then hang the absorbed list after the survivor's (order kept).
        var n = moved.firstIdentifier
        while n != 0 {
            identifiers[node: Int(n) - 1].customer = survivorNumber
            n = identifiers[node: Int(n) - 1].next
        }
        if moved.firstIdentifier != 0 {
            if customers[s].lastIdentifier != 0 {
                identifiers[node: Int(customers[s].lastIdentifier) - 1].next = moved.firstIdentifier
            } else {
                customers[s].firstIdentifier = moved.firstIdentifier
            }
            customers[s].lastIdentifier = moved.lastIdentifier
        }
        for c in casesOf(absorbed) {
            cases[index(c)].customer = survivorNumber
            cases[index(c)].previousOfCustomer = customers[s].lastCase
            customers[s].lastCase = UInt32(c.rawValue)
        }
        customers[s].kindMask |= moved.kindMask
        for c in openCaseNumbers(moved, movedExtras) { appendOpen(c, to: s) }
        var closed = closedCaseNumbers(customers[s]) + closedCaseNumbers(moved, movedExtras)
        closed.sort { closedAtForOrdering($0) < closedAtForOrdering($1) }
        setClosed(Array(closed.suffix(CaseDirectory.recentlyClosedLimit)), of: s)
        let e = extrasIndex(of: s)
        extras[e].absorbed.append(absorbed)
        extras[e].absorbed.append(contentsOf: movedExtras.absorbed)
        if moved.extras != 0 {
            extras[Int(moved.extras) - 1] = CustomerExtras()
            freeExtras.append(moved.extras)
        }
        customers[a] = CustomerRecord(createdAt: moved.createdAt)
        customers[a].mergedInto = survivorNumber
        // Earlier merges that pointed at `absorbed` now resolve through it in one more hop; repoint them.
        for other in movedExtras.absorbed { customers[index(other)].mergedInto = survivorNumber }
        mergeLog.append(MergeRecord(absorbed: absorbed, into: survivor, at: now, identifier: identifier, contact: contact))
        mergedAway += 1
    }

    private func closedAtForOrdering(_ number: UInt32) -> Int64 {
        let c = cases[Int(number) - 1]
        return c.status == .closed ? c.closedAt : 0
    }

    private mutating func attach(_ id: Identifier, to customer: CustomerID) {
        let i = index(customer)
        let n = identifiers.append(
            IdentifierNode(identifier: id, customer: UInt32(customer.rawValue), next: 0), hint: UInt32(customer.rawValue))
        let number = UInt32(n + 1)
        if customers[i].lastIdentifier != 0 {
            identifiers[node: Int(customers[i].lastIdentifier) - 1].next = number
        } else {
            customers[i].firstIdentifier = number
        }
        customers[i].lastIdentifier = number
        customers[i].kindMask |= id.kind.bit
    }

    private mutating func newCustomer(at now: Instant) -> CustomerID {
        customers.append(CustomerRecord(createdAt: now.microseconds))
        return CustomerID(UInt64(customers.count))
    }

    // MARK: - Per-customer case lists

    /// The customer's extras slot, made on first use.
    private mutating func extrasIndex(of ci: Int) -> Int {
        if customers[ci].extras != 0 { return Int(customers[ci].extras) - 1 }
        let e: Int
        if let free = freeExtras.popLast() {
            e = Int(free) - 1
        } else {
            extras.append(CustomerExtras())
            e = extras.count - 1
        }
        customers[ci].extras = UInt32(e + 1)
        return e
    }

    /// Open case numbers, in the order they opened or reopened.
    private func openCaseNumbers(_ r: CustomerRecord, _ more: CustomerExtras? = nil) -> [UInt32] {
        guard r.openCase != 0 else { return [] }
        let rest = more?.moreOpen ?? (r.extras == 0 ? [] : extras[Int(r.extras) - 1].moreOpen)
        return [r.openCase] + rest
    }

    /// Recently closed case numbers, oldest closed first.
    private func closedCaseNumbers(_ r: CustomerRecord, _ more: CustomerExtras? = nil) -> [UInt32] {
        guard r.closedCase != 0 else { return [] }
        let rest = more?.moreClosed ?? (r.extras == 0 ? [] : extras[Int(r.extras) - 1].moreClosed)
        return [r.closedCase] + rest
    }

    private mutating func appendOpen(_ number: UInt32, to ci: Int) {
        if customers[ci].openCase == 0 {
            customers[ci].openCase = number
        } else {
            let e = extrasIndex(of: ci)
            extras[e].moreOpen.append(number)
        }
    }

    private mutating func removeOpen(_ number: UInt32, from ci: Int) {
        let e = customers[ci].extras
        if e != 0 { extras[Int(e) - 1].moreOpen.removeAll { $0 == number } }
        if customers[ci].openCase == number {
            if e != 0, !extras[Int(e) - 1].moreOpen.isEmpty {
                customers[ci].openCase = extras[Int(e) - 1].moreOpen.removeFirst()
            } else {
                customers[ci].openCase = 0
            }
        }
    }

    private mutating func setClosed(_ numbers: [UInt32], of ci: Int) {
        customers[ci].closedCase = numbers.first ?? 0
        if numbers.count > 1 {
            let e = extrasIndex(of: ci)
            extras[e].moreClosed = Array(numbers.dropFirst())
        } else if customers[ci].extras != 0 {
            extras[Int(customers[ci].extras) - 1].moreClosed.removeAll()
        }
    }

    // MARK: - Cases

    private mutating func newCase(for customer: CustomerID, input: ThreadingInput, topic: UInt32, contact: ContactID, now: Instant) -> CaseID {
        let c = index(customer)
        var record = CaseRecord(customer: UInt32(customer.rawValue), topic: topic, openedAt: now.microseconds)
        record.channelMask = 1 << UInt8(input.channel.index)
        record.previousOfCustomer = customers[c].lastCase
        cases.append(record)
        let id = CaseID(UInt64(cases.count))
        appendEntry(input, topic: topic, contact: contact, to: id, now: now)
        appendOpen(UInt32(id.rawValue), to: c)
        customers[c].lastCase = UInt32(id.rawValue)
        return id
    }

    private mutating func join(
        _ caseID: CaseID, input: ThreadingInput, topic: UInt32, contact: ContactID, now: Instant, decision: inout ThreadingDecision
    ) {
        let i = index(caseID)
        if cases[i].status == .closed {
            reopen(caseID, at: now)
            decision.reopened = true
        }
        cases[i].lastActivity = now.microseconds
        cases[i].channelMask |= 1 << UInt8(input.channel.index)
        if cases[i].topic == 0 { cases[i].topic = topic }
        appendEntry(input, topic: topic, contact: contact, to: caseID, now: now)
    }

    private mutating func reopen(_ caseID: CaseID, at now: Instant) {
        let i = index(caseID)
        let number = UInt32(caseID.rawValue)
        cases[i].status = .reopened
        cases[i].closedAt = 0
        cases[i].channelMask &= ~CaseRecord.resolutionPendingBit
        cases[i].reopenCount &+= 1
        cases[i].lastActivity = now.microseconds
        let c = Int(cases[i].customer) - 1
        let e = customers[c].extras
        if customers[c].closedCase == number && (e == 0 || extras[Int(e) - 1].moreClosed.isEmpty) {
            // The common case (the customer's only closed case comes back): no list is built.
            customers[c].closedCase = 0
        } else {
            var closed = closedCaseNumbers(customers[c])
            if closed.contains(number) {
                closed.removeAll { $0 == number }
                setClosed(closed, of: c)
            }
        }
        appendOpen(number, to: c)
    }

    private mutating func close(_ caseID: CaseID, at now: Instant) {
        let i = index(caseID)
        guard cases[i].status.isOpen else { return }
        let number = UInt32(caseID.rawValue)
        cases[i].status = .closed
        cases[i].closedAt = now.microseconds
        cases[i].channelMask &= ~CaseRecord.resolutionPendingBit
        let c = Int(cases[i].customer) - 1
        removeOpen(number, from: c)
        // The common case (no other closed case kept) stays inline: no list is built.
        if customers[c].closedCase == 0 {
            customers[c].closedCase = number
            return
        }
        var closed = closedCaseNumbers(customers[c])
        closed.append(number)
        if closed.count > CaseDirectory.recentlyClosedLimit { closed.removeFirst() }
        setClosed(closed, of: c)
    }

    private mutating func appendEntry(_ input: ThreadingInput, topic: UInt32, contact: ContactID, to caseID: CaseID, now: Instant) {
        let i = index(caseID)
        var entry = StoredEntry(contact: contact.rawValue, at: now.microseconds, channel: UInt8(input.channel.index), topic: topic)
        if let subject = input.subject {
            texts.append(subject)
            entry.subject = UInt32(texts.count)
        }
        entry.previous = cases[i].lastEntry
        entries.append(entry)
        cases[i].lastEntry = UInt32(entries.count)
        cases[i].contactCount &+= 1
        if cases[i].openContacts < UInt16.max { cases[i].openContacts += 1 }
    }

    /// Contacts of case index `c` still without an outcome.
    private func openContactCount(_ c: Int) -> Int {
        guard cases[c].openContacts == UInt16.max else { return Int(cases[c].openContacts) }
        var n = 0
        var e = cases[c].lastEntry
        while e != 0 {
            if !entries[Int(e) - 1].hasEnded { n += 1 }
            e = entries[Int(e) - 1].previous
        }
        return n
    }

    /// The customer's cases, newest first (following the per-customer links).
    func casesOf(_ customer: CustomerID) -> [CaseID] {
        var out: [CaseID] = []
        var c = customers[index(customer)].lastCase
        while c != 0 {
            out.append(CaseID(UInt64(c)))
            c = cases[Int(c) - 1].previousOfCustomer
        }
        return out
    }

    // MARK: - After threading

    /// Records that an agent took the contact: the case history shows who handled it, and
    /// `lastHandler(of:)` returns the agent for routing affinity.
    public mutating func recordHandled(contact: ContactID, case caseID: CaseID, agent: AgentID, at now: Instant) throws(SwitchboardError) {
        let (c, e) = try locate(contact, in: caseID)
        let number = agents.intern(agent)
        entries[e].agent = number
        entries[e].handledAt = now.microseconds
        cases[c].lastHandler = number
        cases[c].lastHandledAt = now.microseconds
        if now.microseconds > cases[c].lastActivity { cases[c].lastActivity = now.microseconds }
    }

    /// Records how a contact ended. `resolved` and `selfServed` close the case (a later contact about
    /// it reopens it within the reopen window) once no other contact on it is still open; if one
    /// is, the case closes when the last ends, unless one of them ends `unresolved`. `unresolved`
    /// and `abandoned` leave the case open.
    public mutating func recordOutcome(contact: ContactID, case caseID: CaseID, outcome: ContactOutcome, at now: Instant) throws(SwitchboardError) {
        let (c, e) = try locate(contact, in: caseID)
        let (kind, disposition) = StoredEntry.encode(outcome)
        if disposition != nil, entries[e].disposition == 0, texts.count >= CaseDirectory.maxRecords {
            throw SwitchboardError(.resourceExhausted, "the case directory holds \(CaseDirectory.maxRecords) texts; start a new directory")
        }
        entries[e].outcome = kind
        if let disposition {
            if entries[e].disposition != 0 {
                texts[Int(entries[e].disposition) - 1] = disposition
            } else {
                texts.append(disposition)
                entries[e].disposition = UInt32(texts.count)
            }
        } else {
            entries[e].disposition = 0
        }
        entries[e].endedAt = now.microseconds
        let ended = !entries[e].hasEnded
        entries[e].hasEnded = true
        if ended && cases[c].openContacts != UInt16.max && cases[c].openContacts > 0 { cases[c].openContacts -= 1 }
        if now.microseconds > cases[c].lastActivity { cases[c].lastActivity = now.microseconds }
        // A resolution closes the case once no other contact on it is still open: a call that
        // solved the problem does not close the case under the customer's email still in line.
        let pending = CaseRecord.resolutionPendingBit
        if outcome.closesCase {
            if openContactCount(c) == 0 {
                close(caseID, at: now)
            } else if cases[c].status.isOpen {
                cases[c].channelMask |= pending
            }
        } else if case .unresolved = outcome {
            cases[c].channelMask &= ~pending
        } else if ended, cases[c].channelMask & pending != 0, openContactCount(c) == 0 {
            close(caseID, at: now)
        }
    }

    /// Shorthand for an agent's completion: resolved closes the case (once no other contact on it is open).
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
        guard messages.count < CaseDirectory.maxRecords else {
            throw SwitchboardError(.resourceExhausted, "the case directory holds \(CaseDirectory.maxRecords) Message-IDs; start a new directory")
        }
        let hash = m.hashValue
        if messages.find(hash: hash, where: { $0.hashCode == hash && $0.id == m }) == nil {
            messages.append(MessageNode(id: m, hashCode: hash, caseNumber: UInt32(caseID.rawValue), contact: 0), hint: UInt32(caseID.rawValue))
        }
    }

    private func locate(_ contact: ContactID, in caseID: CaseID) throws(SwitchboardError) -> (Int, Int) {
        guard isKnown(caseID) else { throw .notFound("case \(caseID) does not exist", field: "caseId") }
        let c = index(caseID)
        var e = cases[c].lastEntry
        while e != 0 {
            if entries[Int(e) - 1].contact == contact.rawValue { return (c, Int(e) - 1) }
            e = entries[Int(e) - 1].previous
        }
        throw .notFound("\(contact) is not part of \(caseID)", field: "contactId")
    }

    // MARK: - Queries

    /// Live customers (merged-away ids not counted). O(1).
    public var customerCount: Int { customers.count - mergedAway }
    public var caseCount: Int { cases.count }

    /// The customer an identifier belongs to.
    public func customer(for identifier: Identifier) -> CustomerID? { owner(of: identifier) }

    /// The customer an adapter's identifier belongs to (normalised first; errors name `identifier`).
    public func customer(for raw: RawIdentifier) throws(SwitchboardError) -> CustomerID? {
        owner(of: try Identifier.normalise(raw, defaultCountry: policy.defaultCountry, field: "identifier"))
    }

    /// The live customer an id stands for: itself, or the customer it was merged into.
    public func canonical(_ customer: CustomerID) -> CustomerID {
        var id = customer
        while isKnown(id), customers[index(id)].mergedInto != 0 { id = CustomerID(UInt64(customers[index(id)].mergedInto)) }
        return id
    }

    /// A customer (following merges), or nil for an unknown id.
    public func customer(_ id: CustomerID) -> CustomerSummary? {
        guard isKnown(id) else { return nil }
        let live = canonical(id)
        let r = customers[index(live)]
        return CustomerSummary(
            id: live, identifiers: identifiersOf(r), cases: casesOf(live).sorted(),
            absorbed: r.extras == 0 ? [] : extras[Int(r.extras) - 1].absorbed, createdAt: Instant(microseconds: r.createdAt))
    }

    /// A customer's identifiers, in the order they were attached.
    func identifiersOf(_ r: CustomerRecord) -> [Identifier] {
        var out: [Identifier] = []
        var n = r.firstIdentifier
        while n != 0 {
            out.append(identifiers[node: Int(n) - 1].identifier)
            n = identifiers[node: Int(n) - 1].next
        }
        return out
    }

    /// A case, or nil for an unknown id.
    public func caseSummary(_ id: CaseID) -> CaseSummary? {
        guard isKnown(id) else { return nil }
        let c = cases[index(id)]
        var channels = Set<Channel>()
        for ch in Channel.allCases where c.channelMask & (1 << UInt8(ch.index)) != 0 { channels.insert(ch) }
        return CaseSummary(
            id: id, customer: CustomerID(UInt64(c.customer)), status: c.status, topic: topics.value(c.topic),
            openedAt: Instant(microseconds: c.openedAt), lastActivity: Instant(microseconds: c.lastActivity),
            closedAt: c.status == .closed ? Instant(microseconds: c.closedAt) : nil, reopenCount: Int(c.reopenCount),
            channels: channels, contactCount: Int(c.contactCount))
    }

    /// The case's contacts, oldest first (empty for an unknown case).
    public func history(of caseID: CaseID) -> [HistoryEntry] {
        guard isKnown(caseID) else { return [] }
        var out: [HistoryEntry] = []
        var e = cases[index(caseID)].lastEntry
        while e != 0 {
            let s = entries[Int(e) - 1]
            out.append(
                HistoryEntry(
                    contact: ContactID(s.contact), channel: Channel.allCases[Int(s.channel)], at: Instant(microseconds: s.at),
                    subject: s.subject == 0 ? nil : texts[Int(s.subject) - 1], topic: topics.value(s.topic), agent: agents.value(s.agent),
                    handledAt: s.agent == 0 ? nil : Instant(microseconds: s.handledAt),
                    outcome: s.decodeOutcome(disposition: s.disposition == 0 ? nil : texts[Int(s.disposition) - 1]),
                    endedAt: s.hasEnded ? Instant(microseconds: s.endedAt) : nil))
            e = s.previous
        }
        return out.reversed()
    }

    /// The agent who last handled a contact on the case, and when.
    public func lastHandler(of caseID: CaseID) -> (agent: AgentID, at: Instant)? {
        guard isKnown(caseID) else { return nil }
        let c = cases[index(caseID)]
        guard let agent = agents.value(c.lastHandler) else { return nil }
        return (agent, Instant(microseconds: c.lastHandledAt))
    }

    /// The customer's open cases.
    public func openCases(of customer: CustomerID) -> [CaseID] {
        guard isKnown(customer) else { return [] }
        return openCaseNumbers(customers[index(canonical(customer))]).map { CaseID(UInt64($0)) }
    }

    /// The subject tag for a case, for outgoing email.
    public func subjectTag(for caseID: CaseID) -> String { policy.subjectTag.tag(for: caseID) }

    /// Bytes held per record kind, for capacity planning and the benchmark: the records' arrays at
    /// their current capacity and the identifier and Message-ID indexes (not the text of
    /// identifiers, subjects or Message-IDs, which the strings themselves hold).
    public var footprint: Footprint {
        Footprint(
            customerRecordBytes: MemoryLayout<CustomerRecord>.stride, caseRecordBytes: MemoryLayout<CaseRecord>.stride,
            historyEntryBytes: MemoryLayout<StoredEntry>.stride, identifierBytes: MemoryLayout<IdentifierNode>.stride,
            messageIDBytes: MemoryLayout<MessageNode>.stride,
            totalBytes: customers.capacity * MemoryLayout<CustomerRecord>.stride + cases.capacity * MemoryLayout<CaseRecord>.stride
                + entries.capacity * MemoryLayout<StoredEntry>.stride + identifiers.nodes.capacity * MemoryLayout<IdentifierNode>.stride
                + identifiers.slotCount * 12 + messages.nodes.capacity * MemoryLayout<MessageNode>.stride + messages.slotCount * 12
                + extras.capacity * MemoryLayout<CustomerExtras>.stride + texts.capacity * MemoryLayout<String>.stride)
    }

    // MARK: - Helpers

    @inline(__always) func index(_ id: CaseID) -> Int { Int(id.rawValue) - 1 }
    @inline(__always) func index(_ id: CustomerID) -> Int { Int(id.rawValue) - 1 }
    @inline(__always) func isKnown(_ id: CaseID) -> Bool { id.rawValue >= 1 && id.rawValue <= UInt64(cases.count) }
    @inline(__always) func isKnown(_ id: CustomerID) -> Bool { id.rawValue >= 1 && id.rawValue <= UInt64(customers.count) }

    /// A Message-ID without surrounding whitespace and angle brackets, or nil when nothing is left,
    /// it holds whitespace or it is too long. A slice of the input: no allocation.
    static func normaliseMessageID<S: StringProtocol>(_ raw: S) -> Substring? where S.SubSequence == Substring {
        // ASCII (every real Message-ID): trim on bytes, where a byte is a character (CR LF, the one
        // two-byte character, is trimmed whole either way). Character-wise trimming costs a
        // grapheme-break check per step.
        if raw.utf8.allSatisfy({ $0 < 0x80 }) {
            var u = raw[...].utf8
            while let f = u.first, f <= 0x20 { u = u.dropFirst() }
            while let l = u.last, l <= 0x20 { u = u.dropLast() }
            if u.first == 0x3C { u = u.dropFirst() }
            if u.last == 0x3E { u = u.dropLast() }
            if u.isEmpty || u.count > maxMessageIDLength || u.contains(where: { $0 <= 0x20 }) { return nil }
            return Substring(u)
        }
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

/// What the directory's records cost, from `CaseDirectory.footprint`.
public struct Footprint: Hashable, Sendable {
    /// Bytes of one customer, case, history entry, identifier and Message-ID record.
    public var customerRecordBytes: Int
    public var caseRecordBytes: Int
    public var historyEntryBytes: Int
    public var identifierBytes: Int
    public var messageIDBytes: Int
    /// All record arrays and indexes at their current capacity.
    public var totalBytes: Int
}

/// A customer: 40 bytes of plain data. Numbers are 1-based indexes (0 = none) into the
/// directory's arrays: `firstIdentifier`/`lastIdentifier` into `identifiers` (a list linked by
/// `IdentifierNode.next`), cases by case number.
struct CustomerRecord: BitwiseCopyable, Sendable {
    var createdAt: Int64
    var firstIdentifier: UInt32 = 0
    var lastIdentifier: UInt32 = 0
    /// The newest case; older ones follow `CaseRecord.previousOfCustomer`.
    var lastCase: UInt32 = 0
    var mergedInto: UInt32 = 0
    /// The first open case; further ones (rare: different topics) are in `CustomerExtras.moreOpen`.
    var openCase: UInt32 = 0
    /// The oldest of the recently closed cases (at most `recentlyClosedLimit`, oldest first); newer
    /// ones are in `CustomerExtras.moreClosed`.
    var closedCase: UInt32 = 0
    /// 1-based index into `CaseDirectory.extras`, 0 while the customer needs none.
    var extras: UInt32 = 0
    /// Bit per `IdentifierKind` the customer holds (for the `ifNoConflict` merge rule).
    var kindMask: UInt8 = 0

    init(createdAt: Int64) { self.createdAt = createdAt }
}

/// The lists a customer needs only past the common case: a second open case, a second recently
/// closed case, customers merged into it.
struct CustomerExtras: Sendable {
    var moreOpen: [UInt32] = []
    var moreClosed: [UInt32] = []
    var absorbed: [CustomerID] = []
}

/// A case: 64 bytes of plain data (one cache line). Times are microseconds; `closedAt` means
/// something only while `status == .closed`, `lastHandledAt` only while `lastHandler != 0`.
struct CaseRecord: BitwiseCopyable, Sendable {
    var openedAt: Int64
    var lastActivity: Int64
    var closedAt: Int64 = 0
    var lastHandledAt: Int64 = 0
    var customer: UInt32
    /// The same customer's previous case (0 none).
    var previousOfCustomer: UInt32 = 0
    /// 1-based index in `entries` of the newest contact (0 none); older ones follow `StoredEntry.previous`.
    var lastEntry: UInt32 = 0
    var contactCount: UInt32 = 0
    var reopenCount: UInt32 = 0
    /// Interned topic (0 none).
    var topic: UInt32
    /// Interned agent (0 none).
    var lastHandler: UInt32 = 0
    var status: CaseStatus = .open
    /// Bits 0–3: channels seen (`Channel.index`); bit 7: `resolutionPendingBit`.
    var channelMask: UInt8 = 0
    /// Contacts on the case with no outcome yet; saturates at `UInt16.max` (then counted by walking).
    var openContacts: UInt16 = 0

    /// A contact was resolved while others on the case were still open: the case closes when the
    /// last of them ends, unless one ends unresolved.
    static let resolutionPendingBit: UInt8 = 0x80

    init(customer: UInt32, topic: UInt32, openedAt: Int64) {
        self.customer = customer
        self.topic = topic
        self.openedAt = openedAt
        self.lastActivity = openedAt
    }
}

/// One contact of a case's history: 56 bytes of plain data. Texts are 1-based indexes into
/// `CaseDirectory.texts`, topic and agent are interned; `handledAt` means something only while
/// `agent != 0`, `endedAt` only when `hasEnded`.
struct StoredEntry: BitwiseCopyable, Sendable {
    var contact: UInt64
    var at: Int64
    var handledAt: Int64 = 0
    var endedAt: Int64 = 0
    /// 1-based index of the same case's previous entry (0 none).
    var previous: UInt32 = 0
    var agent: UInt32 = 0
    var subject: UInt32 = 0
    var topic: UInt32
    var disposition: UInt32 = 0
    var channel: UInt8
    /// `ContactOutcome` without its disposition: 0 pending, 1 resolved, 2 unresolved, 3 abandoned, 4 self-served.
    var outcome: UInt8 = 0
    var hasEnded = false

    init(contact: UInt64, at: Int64, channel: UInt8, topic: UInt32) {
        self.contact = contact
        self.at = at
        self.channel = channel
        self.topic = topic
    }

    static func encode(_ outcome: ContactOutcome) -> (UInt8, String?) {
        switch outcome {
        case .pending: (0, nil)
        case .resolved(let d): (1, d)
        case .unresolved(let d): (2, d)
        case .abandoned: (3, nil)
        case .selfServed: (4, nil)
        }
    }

    func decodeOutcome(disposition: String?) -> ContactOutcome {
        switch outcome {
        case 1: .resolved(disposition: disposition)
        case 2: .unresolved(disposition: disposition)
        case 3: .abandoned
        case 4: .selfServed
        default: .pending
        }
    }
}

/// An identifier, its live customer and the next identifier of the same customer (1-based, 0 none).
struct IdentifierNode: HashedNode {
    let identifier: Identifier
    var customer: UInt32
    var next: UInt32
    var hashCode: Int { identifier.hashCode }
}

/// A Message-ID (a slice of the header it came in: no copy), the case it was seen on and the
/// inbound contact it arrived as (0 for our own outgoing mail).
struct MessageNode: HashedNode {
    let id: Substring
    let hashCode: Int
    var caseNumber: UInt32
    var contact: UInt64
}

struct Delivered: Sendable {
    var contact: ContactID
    var caseID: CaseID
    var customer: CustomerID
    var at: Instant
}
