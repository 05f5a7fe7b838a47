import CPrefetch
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

/// A contact as a channel adapter pushes it: what threading needs and what routing needs.
public struct NewContact: Hashable, Sendable {
    public var channel: Channel
    // Threading (see `ThreadingInput`).
    public var identifiers: [RawIdentifier]
    public var subject: String?
    public var topic: String?
    public var caseReference: CaseID?
    public var messageID: String?
    public var inReplyTo: String?
    public var references: [String]
    public var idempotencyKey: String?
    // Routing (see `RoutingRequest`).
    public var language: String?
    public var priority: Int
    public var required: [SkillRequirement]
    public var preferred: [SkillRequirement]
    public var preferredAgent: AgentID?
    /// When the contact really arrived, if before the push (a restore after restart); nil: now.
    public var arrivedAt: Instant?

    public init(
        channel: Channel, identifiers: [RawIdentifier] = [], subject: String? = nil, topic: String? = nil,
        caseReference: CaseID? = nil, messageID: String? = nil, inReplyTo: String? = nil, references: [String] = [],
        idempotencyKey: String? = nil, language: String? = nil, priority: Int = 5, required: [SkillRequirement] = [],
        preferred: [SkillRequirement] = [], preferredAgent: AgentID? = nil, arrivedAt: Instant? = nil
    ) {
        self.channel = channel
        self.identifiers = identifiers
        self.subject = subject
        self.topic = topic
        self.caseReference = caseReference
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.idempotencyKey = idempotencyKey
        self.language = language
        self.priority = priority
        self.required = required
        self.preferred = preferred
        self.preferredAgent = preferredAgent
        self.arrivedAt = arrivedAt
    }
}

/// The answer to a push.
public struct PushReceipt: Hashable, Sendable {
    public enum Routing: Hashable, Sendable {
        /// Offered at once to this agent.
        case offered(to: AgentID)
        /// Waiting; ask `Engine.position(of:)` for its place and estimated wait.
        case queued
        /// A second delivery of `contact`: nothing was created or routed.
        case duplicate
    }

    /// The new contact, or for a duplicate the original one.
    public var contact: ContactID
    public var caseID: CaseID
    public var customer: CustomerID
    /// The threading decision (with its reason) or the duplicate it matched.
    public var threading: ThreadingResult
    public var routing: Routing
}

/// How an agent finished a contact.
public struct Completion: Hashable, Sendable {
    /// Solved: the case closes (a later contact about it reopens it within the reopen window).
    public var resolved: Bool
    public var disposition: String?
    /// Customer satisfaction score when the customer gave one (any scale the centre uses, e.g. 1–5).
    public var csat: Double?
    /// After-contact work; nil uses the channel's default from the policy.
    public var wrapUp: Span?

    public init(resolved: Bool, disposition: String? = nil, csat: Double? = nil, wrapUp: Span? = nil) {
        self.resolved = resolved
        self.disposition = disposition
        self.csat = csat
        self.wrapUp = wrapUp
    }
}

/// Why a contact left before an agent took it.
public enum EndReason: String, Hashable, Sendable, Codable {
    /// The customer hung up or left the chat.
    case abandoned
    /// Self-service (IVR, bot) resolved it.
    case selfServed
}

/// Counts for the Stats call and dashboards.
public struct EngineStats: Hashable, Sendable {
    public var routing: RoutingStats
    /// Nil when the engine was made with `trackKPIs: false`.
    public var kpis: KPIReport?
    public var customers: Int
    public var cases: Int
}

/// The engine: threading and routing composed, as one value-type state machine. The live server
/// and the simulator drive this same type; it reads no clock, does no I/O, and appends what it did
/// to the caller's event buffer (reuse one buffer: the hot calls allocate nothing per decision).
///
/// A push runs: validate → thread (customer, case, duplicate check) → route (offer or wait).
/// Errors are `SwitchboardError`s naming the field; a failed call changes nothing.
public struct Engine: Sendable {
    public let policy: Policy
    public private(set) var directory: CaseDirectory
    public private(set) var router: Router
    public private(set) var kpis: KPITracker?

    struct LiveContact: Sendable {
        var caseID: CaseID
        var channel: Channel
        var arrivedAt: Instant
        var acceptedAt: Instant?
        var answered: Bool
    }

    /// Contacts not yet completed or ended, by the router's slot for each (`Router.slot(of:)`).
    /// The router holds exactly these contacts, so its id map finds both: a second map keyed by
    /// id would put a second cold cache line on every lookup (push, queue, assign, complete).
    /// An entry is meaningful only while the router holds its contact; slots are reused.
    var live: [LiveContact] = []
    var nextContact: UInt64 = 1
    var scratch: [RoutingEvent] = []
    /// The kinds of event appended to the caller's buffer; the others are not built at all. The
    /// engine's decisions, case history and KPIs do not depend on it.
    public let publishing: EngineEventKinds
    /// Every offer is accepted by its agent as soon as it is made (see `init`).
    public let acceptsOffersAtOnce: Bool
    /// Contacts nothing could ever thread to are given a customer and a case (see `init`).
    public let recordsUnthreadableContacts: Bool

    /// - Parameters:
    ///   - trackKPIs: feed the KPI tracker from events (the live server does; a simulator that
    ///     measures for itself may switch it off to save a hash lookup per contact).
    ///   - publishing: the events the caller reads. The live server publishes and persists all of
    ///     them; the simulator reads four kinds and saves building (and destroying) the rest, e.g.
    ///     a copy of the threading decision for every contact.
    ///   - acceptsOffersAtOnce: agents accept every offer the moment it is made, as the simulator's
    ///     agents do. The router accepts as it offers (`Router.offersAcceptedAtOnce`): the contact is
    ///     assigned exactly as if the caller had called `accept` on reading `contactOffered`, without
    ///     the round trip per contact. The live server leaves it off: its agents decide.
    ///   - recordsUnthreadableContacts: off, a contact that carries nothing to thread by (no
    ///     identifier, case reference, Message-ID, In-Reply-To, References or idempotency key) is
    ///     routed without opening a customer and a case for it: its events and receipt name case
    ///     and customer 0, and it has no case history. Nothing can ever join such a case (threading
    ///     needs an identifier, a reference or a header to find it), and routing reads the case only
    ///     for its last handler, which a new case does not have, so every routing decision is the
    ///     same. A simulator whose one-off customers are anonymous saves a customer, a case and a
    ///     history entry per contact. On (the default, and what the live server uses), every
    ///     contact has a case. KPIs count per case, so `trackKPIs` needs it on.
    public init(
        policy: Policy = Policy(), trackKPIs: Bool = true, publishing: EngineEventKinds = .all, acceptsOffersAtOnce: Bool = false,
        recordsUnthreadableContacts: Bool = true
    ) throws(SwitchboardError) {
        try policy.validate()
        if trackKPIs && !recordsUnthreadableContacts {
            throw .invalidArgument("KPIs are counted per case: an engine that tracks them records every contact", field: "recordsUnthreadableContacts")
        }
        self.policy = policy
        self.publishing = publishing
        self.acceptsOffersAtOnce = acceptsOffersAtOnce
        self.recordsUnthreadableContacts = recordsUnthreadableContacts
        self.directory = CaseDirectory(policy: policy.threading)
        self.router = try Router(policy: policy.routing)
        // Explanations travel only in offer events.
        router.explainsOffers = publishing.contains(.offers)
        router.offersAcceptedAtOnce = acceptsOffersAtOnce
        // Agent states travel in their own events, and the KPIs count staffed capacity from them.
        router.reportsAgentStates = publishing.contains(.agentStates) || trackKPIs
        if trackKPIs {
            var thresholds: [Channel: Span] = [:]
            for ch in Channel.allCases { thresholds[ch] = policy.routing.serviceLevelTarget[ch] }
            self.kpis = KPITracker(policy: policy.kpi, serviceLevelThresholds: thresholds)
        }
        scratch.reserveCapacity(64)
    }

    /// Sizes the routing tables for this many contacts in flight and agents, so a simulation or a
    /// large centre does not pay for growing them mid-run.
    public mutating func reserveCapacity(contacts: Int, agents: Int) {
        router.reserveCapacity(contacts: contacts, agents: agents)
        live.reserveCapacity(contacts)
    }

    /// Also sizes the case directory for the whole run: `customers` customers (an anonymous
    /// contact is a customer of its own), `identifiers` known identifiers, and `totalContacts`
    /// contacts over the engine's life (the case history keeps every one), of which `emailShare`
    /// carry a Message-ID. A simulation of millions of contacts then does not copy those tables on
    /// every doubling. Over-estimating costs address space, and memory only where it is touched.
    public mutating func reserveCapacity(
        contacts: Int, agents: Int, customers: Int, identifiers: Int, totalContacts: Int, emailShare: Double = 0.5
    ) {
        reserveCapacity(contacts: contacts, agents: agents)
        directory.reserveCapacity(customers: customers, contacts: totalContacts, identifiersPerCustomer: 0, emailShare: emailShare)
        if identifiers > 0 {
            // Arrays never shrink on reserve, so this only sizes the identifier index.
            directory.reserveCapacity(customers: identifiers, contacts: totalContacts, identifiersPerCustomer: 1, emailShare: emailShare)
        }
    }

    // MARK: - Contacts

    /// Threads and routes a new contact. A duplicate delivery returns the original contact and
    /// does nothing else.
    public mutating func pushContact(_ new: NewContact, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) -> PushReceipt {
        let id = ContactID(nextContact)
        let result = try admit(new, at: now, events: &events)
        switch result {
        case .duplicate(let d):
            return PushReceipt(contact: d.original, caseID: d.caseID, customer: d.customer, threading: result, routing: .duplicate)
        case .threaded(let decision):
            var outcome = PushReceipt.Routing.queued
            for i in scratch.indices {
                // Matching the element in place binds the agent alone, not a copy of the whole event.
                if case .offered(let o) = scratch[i], o.contact == id { outcome = .offered(to: o.agent) }
            }
            return PushReceipt(contact: id, caseID: decision.caseID, customer: decision.customer, threading: result, routing: outcome)
        }
    }

    /// `pushContact` for a caller that needs only the contact's id (the original's for a
    /// duplicate) and reads the rest from `events`, as the simulator does: the same threading and
    /// routing, without building the receipt (nor, for an unrecorded contact, any decision).
    public mutating func push(_ new: NewContact, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) -> ContactID {
        let id = ContactID(nextContact)
        if !recordsUnthreadableContacts && Self.isUnthreadable(new) {
            try admitUnrecorded(new, at: now, events: &events)
        } else if case .duplicate(let d) = try admitRecorded(new, at: now, events: &events) {
            return d.original
        }
        return id
    }

    /// Threads and routes `new` as contact `nextContact` (unless it is a duplicate); the router's
    /// events for it stay in `scratch` until the next operation.
    mutating func admit(_ new: NewContact, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) -> ThreadingResult {
        guard recordsUnthreadableContacts || !Self.isUnthreadable(new) else {
            let id = ContactID(nextContact)
            try admitUnrecorded(new, at: now, events: &events)
            return .threaded(.unrecorded(contact: id, at: now))
        }
        return try admitRecorded(new, at: now, events: &events)
    }

    /// `admit` for a contact with a customer and a case: threaded by the directory, then routed.
    mutating func admitRecorded(_ new: NewContact, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) -> ThreadingResult {
        let id = ContactID(nextContact)
        try Router.validate(required: new.required, preferred: new.preferred, language: new.language, priority: new.priority)
        let input = ThreadingInput(
            channel: new.channel, identifiers: new.identifiers, subject: new.subject, topic: new.topic,
            caseReference: new.caseReference, messageID: new.messageID, inReplyTo: new.inReplyTo,
            references: new.references, idempotencyKey: new.idempotencyKey)
        let result = try directory.thread(input, contact: id, at: now)
        guard case .threaded(let decision) = result else { return result }
        nextContact += 1
        publishThreading(decision, of: id, at: now, events: &events)
        var lastHandler: (agent: AgentID, at: Instant)? = nil
        if !decision.isNewCase { lastHandler = directory.lastHandler(of: decision.caseID) }
        try route(new, as: id, onCase: decision.caseID, lastHandler: lastHandler, at: now, events: &events)
        return result
    }

    /// The threading events of a decision, when the caller reads them.
    func publishThreading(_ decision: ThreadingDecision, of contact: ContactID, at now: Instant, events: inout [EngineEvent]) {
        guard publishing.contains(.threading) else { return }
        for m in decision.merges { events.append(.customersMerged(m)) }
        if decision.isNewCase {
            events.append(.caseOpened(decision.caseID, customer: decision.customer, contact: contact, at: now))
        } else if decision.reopened {
            events.append(.caseReopened(decision.caseID, contact: contact, at: now))
        }
        events.append(.caseThreaded(decision))
    }

    /// Routes a contact nothing can thread, without a customer or a case (see
    /// `recordsUnthreadableContacts`): the same checks as `admit`, and the same routing.
    mutating func admitUnrecorded(_ new: NewContact, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        try Router.validate(required: new.required, preferred: new.preferred, language: new.language, priority: new.priority)
        // The check `thread` makes of what such a contact carries.
        try CaseDirectory.validate(topic: new.topic)
        let id = ContactID(nextContact)
        nextContact += 1
        try route(new, as: id, onCase: nil, lastHandler: nil, at: now, events: &events)
    }

    /// The part of admitting a contact after threading: it goes live and to the router, whose
    /// events are published. `caseID` nil: an unrecorded contact (case 0 in its events).
    @inline(__always)
    mutating func route(
        _ new: NewContact, as id: ContactID, onCase caseID: CaseID?, lastHandler: (agent: AgentID, at: Instant)?, at now: Instant,
        events: inout [EngineEvent]
    ) throws(SwitchboardError) {
        let arrivedAt = new.arrivedAt ?? now
        let shownCase = caseID ?? CaseID(0)
        let info = LiveContact(caseID: shownCase, channel: new.channel, arrivedAt: arrivedAt, acceptedAt: nil, answered: false)
        kpis?.record(.arrived(contact: id, case: shownCase, channel: new.channel, at: now))
        clearScratch()
        do {
            try router.enqueue(
                contact: id, channel: new.channel, required: new.required, preferred: new.preferred, language: new.language,
                priority: new.priority, preferredAgent: new.preferredAgent, lastHandler: lastHandler?.agent, lastHandledAt: lastHandler?.at,
                arrivedAt: arrivedAt, at: now, events: &scratch)
        } catch {
            // Validated above; only a resource limit (too many distinct skills or languages) lands here.
            // The contact stays on its case, recorded as ended, so nothing is left half-done.
            if let caseID { _ = try? directory.recordOutcome(contact: id, case: caseID, outcome: .abandoned, at: now) }
            throw error
        }
        // The router holds every contact it took, at a slot it reuses only after the contact leaves.
        if let s = router.slot(of: id) {
            if s >= live.count { live.append(contentsOf: repeatElement(info, count: s - live.count + 1)) } else { live[s] = info }
        }
        publish(at: now, events: &events)
    }

    /// Nothing in the contact could thread it, or a later contact to it: no identifier, case
    /// reference, email header or idempotency key. (A subject tag needs the case's customer, and
    /// an anonymous contact's customer is new.)
    static func isUnthreadable(_ c: NewContact) -> Bool {
        c.identifiers.isEmpty && c.caseReference == nil && c.messageID == nil && c.inReplyTo == nil && c.references.isEmpty
            && c.idempotencyKey == nil
    }

    /// An anonymous contact in progress names its customer: a chat visitor logs in, a caller is
    /// recognised after the IVR. The contact was routed without a case (`recordsUnthreadableContacts`
    /// off, nothing to thread by); now it is threaded as it would have been had it carried
    /// `identifiers` and `topic` when it arrived (at its arrival time, so the open-case and reopen
    /// windows count from then), and if an agent has accepted it, that agent joins the case history
    /// as its handler (so a later contact of the customer finds it for affinity). Its place in line
    /// or its agent does not change; how it ends goes to the case as for any other contact.
    ///
    /// The simulator uses it for a first contact whose customer comes back only after some
    /// outcomes: it stays anonymous unless its outcome sends the customer back, which leaves the
    /// case history, and every routing decision, as if it had been identified from the start.
    public mutating func identify(_ contact: ContactID, as identifiers: [RawIdentifier], topic: String? = nil, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        guard let slot = router.slot(of: contact) else { throw .notFound("\(contact) is not in progress (unknown, or already ended)", field: "contact_id") }
        let info = live[slot]
        guard info.caseID.rawValue == 0 else {
            throw SwitchboardError(.failedPrecondition, "\(contact) is on case \(info.caseID) already; identify names the customer of a contact routed without a case", field: "contact_id")
        }
        guard !identifiers.isEmpty else { throw .invalidArgument("name the customer with at least one identifier", field: "identifiers") }
        let input = ThreadingInput(channel: info.channel, identifiers: identifiers, topic: topic)
        guard case .threaded(let decision) = try directory.thread(input, contact: contact, at: info.arrivedAt) else {
            // Only an idempotency key or a Message-ID makes a duplicate, and neither is given.
            throw SwitchboardError(.internal, "identifying \(contact) matched an earlier delivery")
        }
        live[slot].caseID = decision.caseID
        if let acceptedAt = info.acceptedAt, case .assigned(let agent)? = router.phase(of: contact) {
            try directory.recordHandled(contact: contact, case: decision.caseID, agent: agent, at: acceptedAt)
        }
        publishThreading(decision, of: contact, at: now, events: &events)
    }

    /// Changes a waiting (or offered) contact's priority, skills or language; it keeps its arrival time.
    public mutating func updateContact(_ contact: ContactID, _ change: ContactUpdate, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        clearScratch()
        try router.update(contact, change, at: now, events: &scratch)
        publish(at: now, events: &events)
    }

    /// The contact left before an agent took it: abandoned by the customer, or solved by self-service.
    public mutating func endContact(_ contact: ContactID, reason: EndReason, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        guard let slot = router.slot(of: contact) else { throw .notFound("\(contact) is not waiting (unknown, or already ended)", field: "contact_id") }
        let info = live[slot]
        clearScratch()
        try router.remove(contact, at: now, events: &scratch)
        let waited = now - info.arrivedAt
        switch reason {
        case .abandoned:
            if publishing.contains(.ended) {
                events.append(.contactAbandoned(contact, case: info.caseID, channel: info.channel, waited: waited, at: now))
            }
            kpis?.record(.abandoned(contact: contact, channel: info.channel, wait: waited, at: now))
            if info.caseID.rawValue != 0 { _ = try? directory.recordOutcome(contact: contact, case: info.caseID, outcome: .abandoned, at: now) }
        case .selfServed:
            if publishing.contains(.ended) {
                events.append(.contactSelfServed(contact, case: info.caseID, channel: info.channel, at: now))
            }
            kpis?.record(.selfServed(contact: contact, case: info.caseID, channel: info.channel, at: now))
            if info.caseID.rawValue != 0 { _ = try? directory.recordOutcome(contact: contact, case: info.caseID, outcome: .selfServed, at: now) }
        }
        publish(at: now, events: &events)
    }

    // MARK: - Agents

    /// Logs an agent in (or refreshes its profile), available (it takes waiting work at once) or away.
    public mutating func login(_ profile: AgentProfile, as status: AgentStatus = .available, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        clearScratch()
        try router.login(profile, as: status, at: now, events: &scratch)
        publish(at: now, events: &events)
    }

    /// Available, away, or offline (= logout).
    public mutating func setStatus(_ agent: AgentID, to status: AgentStatus, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        clearScratch()
        try router.setStatus(agent, to: status, at: now, events: &scratch)
        publish(at: now, events: &events)
    }

    /// Logs out: open offers go back in line at their place; accepted work stays with the agent.
    public mutating func logout(_ agent: AgentID, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        clearScratch()
        try router.logout(agent, at: now, events: &scratch)
        publish(at: now, events: &events)
    }

    /// The agent takes its offer. The case history records it as the handler (which feeds affinity).
    public mutating func accept(_ contact: ContactID, by agent: AgentID, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        clearScratch()
        try router.accept(contact, by: agent, at: now, events: &scratch)
        publish(at: now, events: &events)
    }

    /// The agent turns the offer down; the contact returns to its place, not to this agent for a while.
    public mutating func decline(_ contact: ContactID, by agent: AgentID, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        clearScratch()
        try router.decline(contact, by: agent, at: now, events: &scratch)
        publish(at: now, events: &events)
    }

    /// The router's slot for a contact in progress (see `Router.slot(of:)`), for a caller that
    /// will ask for `prefetch(_:slot:)` later. Mutating, as the two hints below are, though none
    /// changes anything: a call from another module then passes the engine by reference rather
    /// than copying it.
    public mutating func slot(of contact: ContactID) -> Int? {
        router.slot(of: contact)
    }

    /// Starts loading into cache what completing or ending `contact`, in router slot `slot`,
    /// reads first (where its id is looked up, the router's record of it and the engine's): for
    /// a caller that knows its next operation, as the simulator knows its next event. A hint;
    /// changes nothing, whatever the slot.
    public mutating func prefetch(_ contact: ContactID, slot: Int) {
        router.prefetch(slot: slot, contact: contact)
        live.withUnsafeBufferPointer { l in
            if slot >= 0 && slot < l.count, let base = l.baseAddress { sb_prefetch(base + slot) }
        }
    }

    /// Starts loading into cache what the engine's next timer reads (see `nextDeadline`), for a
    /// caller that knows it will `advance` to it next. A hint; changes nothing.
    public mutating func prefetchNextTimer() {
        router.prefetchNextTimer()
    }

    /// Completes a contact for the agent it is assigned to, and names that agent: for a caller
    /// that follows contacts rather than agents (the simulator: finding its agent by name on
    /// every assignment was about 3 % of a peak-season day). Otherwise exactly as
    /// `complete(_:by:_:at:events:)`.
    @discardableResult
    public mutating func complete(_ contact: ContactID, _ completion: Completion, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) -> AgentID {
        guard let slot = router.slot(of: contact) else {
            throw .notFound("\(contact) is not assigned to an agent (unknown, waiting, offered, or already ended)", field: "contact_id")
        }
        let info = live[slot]
        if let csat = completion.csat, !csat.isFinite { throw .invalidArgument("csat must be a finite number", field: "csat") }
        clearScratch()
        let agent = try router.completeForAssignee(contact, wrapUp: completion.wrapUp, at: now, events: &scratch)
        recordCompletion(contact, by: agent, info, completion, at: now, events: &events)
        return agent
    }

    /// The agent finished: the outcome goes into the case history (resolved closes the case), the
    /// agent wraps up, then takes more work.
    public mutating func complete(_ contact: ContactID, by agent: AgentID, _ completion: Completion, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        guard let slot = router.slot(of: contact) else { throw .notFound("\(contact) is not in progress (unknown, or already ended)", field: "contact_id") }
        let info = live[slot]
        if let csat = completion.csat, !csat.isFinite { throw .invalidArgument("csat must be a finite number", field: "csat") }
        clearScratch()
        try router.complete(contact, by: agent, wrapUp: completion.wrapUp, at: now, events: &scratch)
        recordCompletion(contact, by: agent, info, completion, at: now, events: &events)
    }

    /// What follows a completion the router accepted: the event, the case history, the KPIs,
    /// and what the router did since (the freed units taking work).
    mutating func recordCompletion(_ contact: ContactID, by agent: AgentID, _ info: LiveContact, _ completion: Completion, at now: Instant, events: inout [EngineEvent]) {
        if publishing.contains(.completed) {
            events.append(.contactCompleted(contact, agent: agent, case: info.caseID, channel: info.channel, resolved: completion.resolved, at: now))
        }
        if info.caseID.rawValue != 0 {
            _ = try? directory.recordOutcome(contact: contact, case: info.caseID, resolved: completion.resolved, disposition: completion.disposition, at: now)
        }
        if kpis != nil {
            kpis?.record(.completed(
                contact: contact, case: info.caseID, channel: info.channel, handleTime: now - (info.acceptedAt ?? now),
                wrapUp: completion.wrapUp ?? policy.routing.wrapUp[info.channel],
                capacityUnits: policy.routing.capacityCost[info.channel], resolved: completion.resolved, csat: completion.csat, at: now))
        }
        publish(at: now, events: &events)
    }

    /// Hands an accepted contact to other skills or a named agent. It keeps its case and its place in line.
    public mutating func transfer(_ contact: ContactID, from agent: AgentID, to target: TransferTarget, at now: Instant, events: inout [EngineEvent]) throws(SwitchboardError) {
        guard let slot = router.slot(of: contact) else { throw .notFound("\(contact) is not in progress", field: "contact_id") }
        let info = live[slot]
        clearScratch()
        try router.transfer(contact, from: agent, to: target, at: now, events: &scratch)
        if publishing.contains(.transfers) {
            events.append(.contactTransferred(contact, from: agent, case: info.caseID, at: now))
        }
        publish(at: now, events: &events)
    }

    // MARK: - Time

    /// The earliest offer timeout, wrap-up end, relaxation step or cooldown end; nil when nothing is due.
    /// The reactor sets its poll timeout from it; the simulator schedules it.
    public var nextDeadline: Instant? {
        mutating get { router.nextDeadline }
    }

    /// Runs everything due by `now`, each at its own deadline, in order.
    public mutating func advance(to now: Instant, events: inout [EngineEvent]) {
        while let due = router.nextDeadline, due <= now {
            clearScratch()
            router.advance(to: due, events: &scratch)
            publish(at: due, events: &events)
        }
    }

    // MARK: - Queries

    /// The case a live (not yet completed or ended) contact is on.
    public func caseOf(_ contact: ContactID) -> CaseID? { router.slot(of: contact).map { live[$0].caseID } }

    /// The case's contacts across channels, oldest first: channel, time, subject, handler, outcome.
    public func caseHistory(_ caseID: CaseID) -> [HistoryEntry] { directory.history(of: caseID) }

    public func caseSummary(_ caseID: CaseID) -> CaseSummary? { directory.caseSummary(caseID) }

    /// The customer an identifier belongs to, if any (the identifier is normalised first).
    public func findCustomer(_ identifier: RawIdentifier) throws(SwitchboardError) -> CustomerSummary? {
        guard let id = try directory.customer(for: identifier) else { return nil }
        return directory.customer(id)
    }

    public func customer(_ id: CustomerID) -> CustomerSummary? { directory.customer(id) }

    /// A waiting contact's place in line and estimated wait.
    public func position(of contact: ContactID) -> QueuePosition? { router.position(of: contact) }

    /// Where a contact stands in routing (waiting, offered, assigned), or nil once it is done.
    public func phase(of contact: ContactID) -> ContactPhase? { router.phase(of: contact) }

    public func agent(_ id: AgentID) -> AgentSnapshot? { router.agent(id) }

    /// Queue depths, longest waits, agents by state and the KPIs. O(contacts + agents).
    public func stats(at now: Instant) -> EngineStats {
        EngineStats(
            routing: router.stats(at: now), kpis: kpis?.report(at: now), customers: directory.customerCount,
            cases: directory.caseCount)
    }

    // MARK: - Routing events → engine events

    /// Empties the router's event buffer, keeping its storage (most calls find it empty already).
    @inline(__always)
    mutating func clearScratch() {
        // One `removeLast` per event: the buffer holds a handful, and `removeAll(keepingCapacity:)`
        // goes through the generic `replaceSubrange`, which costs more than that.
        while !scratch.isEmpty { scratch.removeLast() }
    }

    /// Turns the router's events into engine events, recording handlers and KPIs on the way.
    mutating func publish(at now: Instant, events: inout [EngineEvent]) {
        let kinds = publishing
        var i = 0
        while i < scratch.count {
            // Switching on the element itself binds only the payload each case needs, rather
            // than copying the whole (large) enum first.
            let index = i
            i += 1
            switch scratch[index] {
            case .queued(let c, let channel, _):
                if kinds.contains(.queued), let s = router.slot(of: c) {
                    events.append(.contactQueued(c, case: live[s].caseID, channel: channel, at: now))
                }
            case .offered(let offer):
                if kinds.contains(.offers), let s = router.slot(of: offer.contact) {
                    events.append(.contactOffered(offer, case: live[s].caseID, at: now))
                }
            case .offerDeclined(let c, let agent):
                if kinds.contains(.offers) { events.append(.offerDeclined(c, agent: agent, at: now)) }
            case .offerExpired(let c, let agent):
                if kinds.contains(.offers) { events.append(.offerExpired(c, agent: agent, at: now)) }
            case .assigned(let c, let agent, let channel, let waited):
                guard let s = router.slot(of: c) else { continue }
                live[s].acceptedAt = now
                let caseID = live[s].caseID
                let first = !live[s].answered
                live[s].answered = true
                if first { kpis?.record(.answered(contact: c, channel: channel, wait: waited, at: now)) }
                if caseID.rawValue != 0 { _ = try? directory.recordHandled(contact: c, case: caseID, agent: agent, at: now) }
                if kinds.contains(.assigned) {
                    events.append(.contactAssigned(c, agent: agent, case: caseID, channel: channel, waited: waited, at: now))
                }
            case .relaxed(let c, let step):
                if kinds.contains(.relaxed) { events.append(.contactRelaxed(c, step: step, at: now)) }
            case .agentStateChanged(let agent, let from, let to):
                if kinds.contains(.agentStates) { events.append(.agentStateChanged(agent, from: from, to: to, at: now)) }
                if kpis != nil {
                    let staffed = to == .available || to == .wrapUp
                    let wasStaffed = from == .available || from == .wrapUp
                    if staffed != wasStaffed {
                        kpis?.record(.staffedCapacity(agent: agent, units: staffed ? (router.agent(agent)?.capacity ?? 0) : 0, at: now))
                    }
                }
            }
        }
    }
}
