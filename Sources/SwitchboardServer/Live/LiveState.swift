import SwiftProtobuf
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardStore
import SwitchboardThreading
import SwitchboardWire

/// Something a command caused that the outside world must hear about once the command is durable:
/// a PUB event, an offer or a withdrawal on an agent's stream, the end of an agent's stream.
enum LiveEffect {
    case publish(Switchboard_V1_Event)
    case offer(AgentID, ContactID, Switchboard_V1_Offer)
    case withdraw(AgentID, ContactID, Switchboard_V1_OfferWithdrawnReason)
    /// The agent logged out or went offline: its offer stream ends (OK).
    case endStream(AgentID)
}

/// The kinds of command-log record that are not a wire request.
enum InternalCommand {
    /// `Engine.advance(to: at)` ran deadlines that were due (offer timeouts, wrap-up ends, relaxation).
    static let timer = "timer"
    /// An agent missed its heartbeats and was set offline. Payload: LogoutRequest.
    static let heartbeatTimeout = "heartbeat-timeout"
    /// The server restarted and logged the agent out until it comes back. Payload: LogoutRequest.
    static let restartLogout = "restart-logout"
}

/// The live engine and what the server keeps beside it (what adapters pushed, offers as sent,
/// assignments, answers for retries). Every state change goes through one of the command methods
/// below, which are called the same way live and on replay, so replaying the command log rebuilds
/// all of it. Lives on the reactor thread; not `Sendable`.
///
/// Each command method validates, applies, and returns its wire answer plus whether it changed
/// anything (only changes are written to the log: a duplicate push or a repeated EndContact is
/// answered from here and writes nothing). What happened outside the answer is appended to
/// `effects`, which the service holds until the command is durable.
final class LiveState {
    struct ContactRecord {
        var push: Switchboard_V1_PushContactRequest
        var caseID: CaseID
        var customer: CustomerID
        var channel: Channel
        var arrivedAt: Instant
        var decision: ThreadingDecision?
        var priority: Int
        var required: [SkillRequirement]
        var preferred: [SkillRequirement]
    }

    struct Assignment {
        var agent: AgentID
        var acceptedAt: Instant
        var waited: Span
    }

    /// How a contact that left the engine ended, to answer a retried EndContact or Complete.
    enum Finished {
        case ended(EndReason, waited: Span)
        case completed(agent: AgentID, Switchboard_V1_CompleteResponse)
    }

    private(set) var engine: Engine
    let policy: Policy
    let defaultCapacity = 100

    private(set) var contacts: [ContactID: ContactRecord] = [:]
    /// Open offers: to whom, and the offer as sent (so a stream that opens later can send it).
    private(set) var offers: [ContactID: (agent: AgentID, offer: Switchboard_V1_Offer)] = [:]
    private(set) var assignments: [ContactID: Assignment] = [:]
    /// Kept for `policy.threading.idempotencyRetention` after the contact finished (the same window
    /// as a PushContact's idempotency key), then forgotten: a server that runs for weeks must not
    /// keep an answer for every contact it ever saw. Pruned by command time, so replay agrees.
    private var finished: [ContactID: Finished] = [:]
    /// Finished contacts in the order they finished; entries before `finishedHead` are forgotten.
    private var finishedOrder: [(contact: ContactID, at: Instant)] = []
    private var finishedHead = 0
    /// Every agent that ever logged in, in login order (for stats and the restart logout).
    private(set) var agents: [AgentID] = []
    private var knownAgents: Set<AgentID> = []

    /// The effects of the commands run since the caller last took them. Nil while replaying
    /// (nothing is sent for commands the outside world has already heard about).
    var effects: [LiveEffect]? = []
    private var events: [EngineEvent] = []
    /// Context for turning the current command's events into wire events.
    private(set) var withdrawnReason: Switchboard_V1_OfferWithdrawnReason = .expired
    private(set) var stateChangeReason = ""
    private var completing: (ContactID, Completion, Span)?
    /// Positions asked for during the current command (a position walks the contact's line, so the
    /// answer and the queued event share one walk).
    private var positions: [ContactID: QueuePosition?] = [:]

    /// A waiting contact's place in line, computed once per command.
    func position(of contact: ContactID) -> QueuePosition? {
        if let known = positions[contact] { return known }
        let p = engine.position(of: contact)
        positions[contact] = p
        return p
    }

    /// The latest `now` given to the engine: time never runs backwards for it, even if the wall
    /// clock does (an NTP step), so replay and live agree.
    private(set) var lastNow = Instant(microseconds: 0)

    init(policy: Policy) throws(SwitchboardError) {
        self.policy = policy
        self.engine = try Engine(policy: policy)
        events.reserveCapacity(64)
    }

    /// `wall`, or the last instant used if the wall clock went backwards.
    func engineTime(_ wall: Instant) -> Instant { max(wall, lastNow) }

    // MARK: - Timers

    /// The engine's next deadline (wall-clock time), if any.
    var nextDeadline: Instant? { engine.nextDeadline }

    /// Runs the deadlines due by `now`. Returns whether any ran (then the caller records a timer command).
    func advanceIfDue(to now: Instant) -> Bool {
        guard let due = engine.nextDeadline, due <= now else { return false }
        begin(now, withdrawn: .expired, state: "offer_missed_or_wrap_up_ended")
        engine.advance(to: now, events: &events)
        finish()
        return true
    }

    // MARK: - Ingest

    func push(_ request: Switchboard_V1_PushContactRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_PushContactResponse, changed: Bool) {
        let contact = try NewContact(wire: request)
        begin(now, withdrawn: .expired, state: "")
        defer { finish() }
        let receipt = try engine.pushContact(contact, at: now, events: &events)
        if case .duplicate = receipt.routing {
            let original = contacts[receipt.contact]
            return (receipt.wire(position: position(of: receipt.contact), decision: original?.decision), false)
        }
        contacts[receipt.contact] = ContactRecord(
            push: request, caseID: receipt.caseID, customer: receipt.customer, channel: contact.channel,
            arrivedAt: now, decision: receipt.threading.decision, priority: contact.priority,
            required: contact.required, preferred: contact.preferred)
        return (receipt.wire(position: position(of: receipt.contact), decision: nil), true)
    }

    func update(_ request: Switchboard_V1_UpdateContactRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_UpdateContactResponse, changed: Bool) {
        let id = try wireContactID(request.contactID)
        let change = try ContactUpdate(wire: request)
        guard contacts[id] != nil else {
            throw .notFound("\(id) is not waiting or offered (unknown, assigned or ended)", field: "contact_id")
        }
        let offeredTo = offers[id]?.agent
        begin(now, withdrawn: .rerouted, state: "")
        defer { finish() }
        try engine.updateContact(id, change, at: now, events: &events)
        if let p = change.priority { contacts[id]?.priority = p }
        if let r = change.required { contacts[id]?.required = r }
        if let p = change.preferred { contacts[id]?.preferred = p }
        if let agent = offeredTo, offers[id]?.agent != agent, !withdrawnByEvent(id, agent) {
            effects?.append(.withdraw(agent, id, .rerouted))
        }
        var response = Switchboard_V1_UpdateContactResponse()
        if let position = engine.position(of: id) {
            response.queuePosition = UInt32(clamping: position.position)
            response.estimatedWaitMicros = position.estimatedWait?.microseconds ?? -1
        }
        return (response, true)
    }

    func end(_ request: Switchboard_V1_EndContactRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_EndContactResponse, changed: Bool) {
        let id = try wireContactID(request.contactID)
        let reason = try EndReason(wire: request.reason)
        if case .ended(let previous, let waited)? = finished[id] {
            guard previous == reason else {
                throw .failedPrecondition("\(id) already ended as \(previous.rawValue), not \(reason.rawValue)")
            }
            var response = Switchboard_V1_EndContactResponse()
            response.waitedMicros = waited.microseconds
            return (response, false)
        }
        if case .completed? = finished[id] { throw .failedPrecondition("\(id) was completed by an agent; it cannot end without one") }
        if let a = assignments[id] {
            throw .failedPrecondition("\(id) was accepted by agent \(a.agent), who completes it; it cannot end without an agent now")
        }
        guard let record = contacts[id] else {
            let hours = policy.threading.idempotencyRetention.seconds / 3_600
            let retention = hours == hours.rounded() ? "\(Int(hours)) h" : "\(policy.threading.idempotencyRetention)"
            throw .notFound("\(id) is not known, or finished more than \(retention) ago (threading.idempotency_retention)", field: "contact_id")
        }
        let offeredTo = offers[id]?.agent
        begin(now, withdrawn: .contactEnded, state: "")
        defer { finish() }
        try engine.endContact(id, reason: reason, at: now, events: &events)
        let waited = now - record.arrivedAt
        if let agent = offeredTo {
            offers[id] = nil
            effects?.append(.withdraw(agent, id, .contactEnded))
        }
        contacts[id] = nil
        rememberFinished(id, .ended(reason, waited: waited), at: now)
        var response = Switchboard_V1_EndContactResponse()
        response.waitedMicros = waited.microseconds
        response.offerWithdrawn = offeredTo != nil
        return (response, true)
    }

    // MARK: - Agents

    func login(_ request: Switchboard_V1_LoginRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_LoginResponse, changed: Bool) {
        let login = try WireLogin(wire: request, defaultCapacity: defaultCapacity)
        let id = login.profile.id
        begin(now, withdrawn: .agentUnavailable, state: "login")
        defer { finish() }
        if login.initialStatus == .away { stateChangeReason = "login_away" }
        // Straight to away, so no offer is made in between.
        try engine.login(login.profile, as: login.initialStatus == .away ? .away : .available, at: now, events: &events)
        if knownAgents.insert(id).inserted { agents.append(id) }
        var response = Switchboard_V1_LoginResponse()
        response.state = engine.agent(id)?.state.wire ?? .available
        response.capacity = UInt32(clamping: login.profile.capacity)
        response.assignments = assignments(of: id)
        return (response, true)
    }

    /// The agent's accepted, not yet completed contacts, oldest first.
    func assignments(of agent: AgentID) -> [Switchboard_V1_Assignment] {
        assignments.filter { $0.value.agent == agent }.sorted { $0.key < $1.key }.compactMap { id, a in
            guard let details = details(of: id) else { return nil }
            var out = Switchboard_V1_Assignment()
            out.contact = details
            out.acceptedAtUnixMicros = a.acceptedAt.microseconds
            return out
        }
    }

    /// Logout, heartbeat timeout and restart logout. `explicit` (the Logout call) refuses an agent
    /// that still holds accepted work, as agents.proto says; going offline by timeout or restart
    /// keeps that work with the agent.
    func logout(_ request: Switchboard_V1_LogoutRequest, at now: Instant, explicit: Bool, reason: String) throws(SwitchboardError) -> (Switchboard_V1_LogoutResponse, changed: Bool) {
        let id = try wireAgentID(request.agentID)
        guard let snapshot = engine.agent(id), snapshot.state != .offline else {
            throw .notFound("agent \(id) is not logged in", field: "agent_id")
        }
        if explicit, let held = assignments.first(where: { $0.value.agent == id })?.key {
            throw .failedPrecondition("agent \(id) still holds accepted contacts (\(held)); complete or transfer them before logging out")
        }
        let offered = offers.filter { $0.value.agent == id }.count
        begin(now, withdrawn: .agentUnavailable, state: reason)
        defer { finish() }
        try engine.logout(id, at: now, events: &events)
        effects?.append(.endStream(id))
        var response = Switchboard_V1_LogoutResponse()
        response.offersRequeued = UInt32(clamping: offered)
        return (response, true)
    }

    func setStatus(_ request: Switchboard_V1_SetStatusRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_SetStatusResponse, changed: Bool) {
        let id = try wireAgentID(request.agentID)
        let status = try AgentStatus(setStatus: request.state)
        try WireValidation.checkLength(request.reason, max: 64, field: "reason")
        guard let snapshot = engine.agent(id), snapshot.state != .offline else {
            throw .notFound("agent \(id) is not logged in; call Login first", field: "agent_id")
        }
        begin(now, withdrawn: .agentUnavailable, state: request.reason.isEmpty ? "set_status" : request.reason)
        defer { finish() }
        try engine.setStatus(id, to: status, at: now, events: &events)
        var response = Switchboard_V1_SetStatusResponse()
        response.state = engine.agent(id)?.state.wire ?? .unspecified
        return (response, true)
    }

    func accept(_ request: Switchboard_V1_AcceptRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_AcceptResponse, changed: Bool) {
        let agent = try wireAgentID(request.agentID)
        let id = try wireContactID(request.contactID)
        if let a = assignments[id], a.agent == agent {
            // A retried Accept: already done.
            var response = Switchboard_V1_AcceptResponse()
            response.acceptedAtUnixMicros = a.acceptedAt.microseconds
            response.waitedMicros = a.waited.microseconds
            return (response, false)
        }
        guard engine.agent(agent) != nil else { throw .notFound("agent \(agent) is not known; call Login first", field: "agent_id") }
        begin(now, withdrawn: .expired, state: "accepted")
        defer { finish() }
        try engine.accept(id, by: agent, at: now, events: &events)
        var response = Switchboard_V1_AcceptResponse()
        response.acceptedAtUnixMicros = now.microseconds
        for case .contactAssigned(let c, _, _, _, let waited, _) in events where c == id {
            response.waitedMicros = waited.microseconds
        }
        return (response, true)
    }

    func decline(_ request: Switchboard_V1_DeclineRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_DeclineResponse, changed: Bool) {
        let agent = try wireAgentID(request.agentID)
        let id = try wireContactID(request.contactID)
        try WireValidation.checkLength(request.reason, max: 128, field: "reason")
        guard engine.agent(agent) != nil else { throw .notFound("agent \(agent) is not known; call Login first", field: "agent_id") }
        begin(now, withdrawn: .declined, state: "declined")
        defer { finish() }
        try engine.decline(id, by: agent, at: now, events: &events)
        return (Switchboard_V1_DeclineResponse(), true)
    }

    /// Keeps the answer for retries of a finished contact, and forgets those past retention.
    private func rememberFinished(_ id: ContactID, _ how: Finished, at now: Instant) {
        finished[id] = how
        finishedOrder.append((id, now))
        let horizon = now - policy.threading.idempotencyRetention
        while finishedHead < finishedOrder.count, finishedOrder[finishedHead].at < horizon {
            finished.removeValue(forKey: finishedOrder[finishedHead].contact)
            finishedHead += 1
        }
        if finishedHead > 1024, finishedHead * 2 > finishedOrder.count {
            finishedOrder.removeFirst(finishedHead)
            finishedHead = 0
        }
    }

    /// How many finished contacts are remembered for retries (for tests).
    var rememberedFinishedCount: Int { finished.count }

    func complete(_ request: Switchboard_V1_CompleteRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_CompleteResponse, changed: Bool) {
        let agent = try wireAgentID(request.agentID)
        let id = try wireContactID(request.contactID)
        let completion = try Completion(wire: request)
        if case .completed(let by, let response)? = finished[id], by == agent { return (response, false) }
        guard let a = assignments[id], a.agent == agent else {
            if engine.agent(agent) == nil { throw .notFound("agent \(agent) is not known; call Login first", field: "agent_id") }
            throw .failedPrecondition("\(id) is not assigned to agent \(agent); accept it first")
        }
        let channel = contacts[id]?.channel
        begin(now, withdrawn: .expired, state: "completed")
        completing = (id, completion, now - a.acceptedAt)
        defer { finish() }
        try engine.complete(id, by: agent, completion, at: now, events: &events)
        var response = Switchboard_V1_CompleteResponse()
        let state = engine.agent(agent)?.state ?? .available
        response.state = state.wire
        if state == .wrapUp, let channel {
            response.wrapUpUntilUnixMicros = (now + (completion.wrapUp ?? policy.routing.wrapUp[channel])).microseconds
        }
        response.handleMicros = (now - a.acceptedAt).microseconds
        assignments[id] = nil
        contacts[id] = nil
        rememberFinished(id, .completed(agent: agent, response), at: now)
        return (response, true)
    }

    func transfer(_ request: Switchboard_V1_TransferRequest, at now: Instant) throws(SwitchboardError) -> (Switchboard_V1_TransferResponse, changed: Bool) {
        let agent = try wireAgentID(request.agentID)
        let id = try wireContactID(request.contactID)
        guard let record = contacts[id], let a = assignments[id], a.agent == agent else {
            throw .failedPrecondition("\(id) is not assigned to agent \(agent); only the agent holding a contact can transfer it")
        }
        let target = try TransferTarget(wire: request, current: record.required)
        if case .agent(let to) = target, engine.agent(to) == nil || engine.agent(to)?.state == .offline {
            throw .failedPrecondition("agent \(to) is not logged in; transfer to someone logged in, or to the queue")
        }
        begin(now, withdrawn: .expired, state: "transferred")
        defer { finish() }
        try engine.transfer(id, from: agent, to: target, at: now, events: &events)
        assignments[id] = nil
        if case .skills(let skills, _) = target { contacts[id]?.required = skills }
        var response = Switchboard_V1_TransferResponse()
        response.queuePosition = UInt32(clamping: engine.position(of: id)?.position ?? 0)
        return (response, true)
    }

    // MARK: - Queries

    func getCase(_ request: Switchboard_V1_GetCaseRequest) throws(SwitchboardError) -> Switchboard_V1_GetCaseResponse {
        guard request.caseID != 0 else { throw .invalidArgument("is required (0 names no case)", field: "case_id") }
        let id = CaseID(request.caseID)
        guard let summary = engine.caseSummary(id) else { throw .notFound("no case \(id)", field: "case_id") }
        return Switchboard_V1_GetCaseResponse(summary: summary, history: engine.caseHistory(id))
    }

    func findCustomer(_ request: Switchboard_V1_FindCustomerRequest) throws(SwitchboardError) -> Switchboard_V1_FindCustomerResponse {
        guard request.hasIdentifier else { throw .invalidArgument("is required", field: "identifier") }
        let raw = try request.identifier.raw()
        guard let customer = try engine.findCustomer(raw) else {
            throw .notFound("no customer has this identifier", field: "identifier")
        }
        let engine = self.engine
        return Switchboard_V1_FindCustomerResponse(customer: customer) { id in
            engine.caseSummary(id).map { ($0, engine.caseHistory(id)) }
        }
    }

    func stats(at now: Instant) -> Switchboard_V1_GetStatsResponse {
        let stats = engine.stats(at: now)
        var busy = 0
        for id in agents {
            if let a = engine.agent(id), a.state == .available, a.capacity - a.load < minimumCost { busy += 1 }
        }
        var load: [Channel: WireChannelLoad] = [:]
        var longestOffered: [Channel: Span] = [:]
        for (id, _) in offers {
            guard let c = contacts[id] else { continue }
            load[c.channel, default: WireChannelLoad()].offered += 1
            longestOffered[c.channel] = max(longestOffered[c.channel] ?? .zero, now - c.arrivedAt)
        }
        for (id, _) in assignments {
            guard let c = contacts[id] else { continue }
            load[c.channel, default: WireChannelLoad()].inProgress += 1
        }
        return Switchboard_V1_GetStatsResponse(
            stats: stats, at: now, busyAgents: busy, load: load, longestOffered: longestOffered,
            serviceLevelTargets: policy.routing.serviceLevelTarget)
    }

    private var minimumCost: Int { Channel.allCases.map { policy.routing.capacityCost[$0] }.min() ?? 1 }

    /// The offers open for `agent`, oldest contact first (sent first when its stream opens).
    func openOffers(of agent: AgentID) -> [(ContactID, Switchboard_V1_Offer)] {
        offers.filter { $0.value.agent == agent }.sorted { $0.key < $1.key }.map { ($0.key, $0.value.offer) }
    }

    func agentState(_ id: AgentID) -> AgentState? { engine.agent(id)?.state }

    /// Agents that are not offline, in login order.
    var agentsOnline: [AgentID] { agents.filter { (engine.agent($0)?.state ?? .offline) != .offline } }

    // MARK: - Replay

    /// Applies one record of the command log, exactly as it was applied live.
    func replay(_ record: CommandRecord) throws(SwitchboardError) {
        let now = record.at
        func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws(SwitchboardError) -> M {
            do throws(WireError) {
                return try WireBody.decode(type, from: record.payload)
            } catch {
                throw SwitchboardError(.internal, "command \(record.sequence) (\(record.kind)) does not decode: \(error.message)")
            }
        }
        switch record.kind {
        case InternalCommand.timer: _ = advanceIfDue(to: now)
        case InternalCommand.heartbeatTimeout:
            _ = try logout(decode(Switchboard_V1_LogoutRequest.self), at: now, explicit: false, reason: "heartbeats_missed")
        case InternalCommand.restartLogout:
            _ = try logout(decode(Switchboard_V1_LogoutRequest.self), at: now, explicit: false, reason: "server_restarted")
        default:
            guard let method = WireMethod(path: record.kind) else {
                throw SwitchboardError(.internal, "command \(record.sequence) has unknown kind \(record.kind)")
            }
            switch method {
            case .ingestPushContact: _ = try push(decode(Switchboard_V1_PushContactRequest.self), at: now)
            case .ingestUpdateContact: _ = try update(decode(Switchboard_V1_UpdateContactRequest.self), at: now)
            case .ingestEndContact: _ = try end(decode(Switchboard_V1_EndContactRequest.self), at: now)
            case .agentsLogin: _ = try login(decode(Switchboard_V1_LoginRequest.self), at: now)
            case .agentsLogout: _ = try logout(decode(Switchboard_V1_LogoutRequest.self), at: now, explicit: true, reason: "logout")
            case .agentsSetStatus: _ = try setStatus(decode(Switchboard_V1_SetStatusRequest.self), at: now)
            case .agentsAccept: _ = try accept(decode(Switchboard_V1_AcceptRequest.self), at: now)
            case .agentsDecline: _ = try decline(decode(Switchboard_V1_DeclineRequest.self), at: now)
            case .agentsComplete: _ = try complete(decode(Switchboard_V1_CompleteRequest.self), at: now)
            case .agentsTransfer: _ = try transfer(decode(Switchboard_V1_TransferRequest.self), at: now)
            case .healthCheck, .agentsStreamOffers, .agentsHeartbeat, .casesGetCase, .casesFindCustomer, .statsGetStats:
                throw SwitchboardError(.internal, "command \(record.sequence) is a \(method.name), which changes nothing")
            }
        }
    }

    // MARK: - Events

    private func begin(_ now: Instant, withdrawn: Switchboard_V1_OfferWithdrawnReason, state: String) {
        lastNow = max(lastNow, now)
        events.removeAll(keepingCapacity: true)
        withdrawnReason = withdrawn
        stateChangeReason = state
        completing = nil
        positions.removeAll(keepingCapacity: true)
    }

    private func withdrawnByEvent(_ contact: ContactID, _ agent: AgentID) -> Bool {
        events.contains { e in
            switch e {
            case .offerExpired(let c, let a, _), .offerDeclined(let c, let a, _): c == contact && a == agent
            default: false
            }
        }
    }

    /// Updates the side tables from the command's events and turns them into effects.
    private func finish() {
        for event in events {
            switch event {
            case .contactOffered(let offer, let caseID, let at):
                guard let details = details(of: offer.contact) else { break }
                var message = Switchboard_V1_Offer()
                message.contact = details
                message.history = engine.caseHistory(caseID).filter { $0.contact != offer.contact }.map(\.wire)
                message.offeredAtUnixMicros = at.microseconds
                message.expiresAtUnixMicros = offer.expiresAt.microseconds
                message.explanation = offer.explanation.wire
                offers[offer.contact] = (offer.agent, message)
                effects?.append(.offer(offer.agent, offer.contact, message))
            case .offerExpired(let c, let agent, _):
                offers[c] = nil
                effects?.append(.withdraw(agent, c, withdrawnReason))
            case .offerDeclined(let c, _, _):
                offers[c] = nil
            case .contactAssigned(let c, let agent, _, _, let waited, let at):
                offers[c] = nil
                assignments[c] = Assignment(agent: agent, acceptedAt: at, waited: waited)
            default:
                break
            }
            if effects != nil, let wire = event.wireEvent(sequence: 0, context: self) {
                effects?.append(.publish(wire))
            }
        }
        events.removeAll(keepingCapacity: true)
        completing = nil
        positions.removeAll(keepingCapacity: true)
    }

    /// A contact as offers and Login show it.
    func details(of id: ContactID) -> Switchboard_V1_ContactDetails? {
        guard let r = contacts[id] else { return nil }
        return Switchboard_V1_ContactDetails(
            push: r.push, contact: id, caseID: r.caseID, customer: r.customer, arrivedAt: r.arrivedAt,
            decision: r.decision, priority: r.priority, required: r.required, preferred: r.preferred)
    }
}

extension LiveState: WireEventContext {
    func facts(of contact: ContactID) -> WireContactFacts? {
        guard let r = contacts[contact] else { return nil }
        return WireContactFacts(customer: r.customer, channel: r.channel, priority: r.priority, language: r.push.language)
    }

    func queuePosition(of contact: ContactID) -> Int? { position(of: contact)?.position }

    func agent(_ id: AgentID) -> AgentSnapshot? { engine.agent(id) }

    func completion(of contact: ContactID) -> (completion: Completion, handle: Span)? {
        guard let (c, completion, handle) = completing, c == contact else { return nil }
        return (completion, handle)
    }

    func closedAt(of caseID: CaseID) -> Instant? { engine.caseSummary(caseID)?.closedAt }
}
