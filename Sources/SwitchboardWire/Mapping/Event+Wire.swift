import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

/// What an engine event does not carry but its wire event shows (a contact's customer and
/// priority, an agent's load, why an offer ended). The server answers from its own tables.
public protocol WireEventContext {
    /// The contact's customer, channel, priority and language, if the server knows the contact.
    func facts(of contact: ContactID) -> WireContactFacts?
    /// A waiting contact's place in line (1 = next). Asked only for queued events: it may cost a
    /// walk of the contact's line.
    func queuePosition(of contact: ContactID) -> Int?
    /// The agent's capacity and load now.
    func agent(_ id: AgentID) -> AgentSnapshot?
    /// Why an offer that just ended without acceptance ended (expired, agent unavailable, ...).
    var withdrawnReason: Switchboard_V1_OfferWithdrawnReason { get }
    /// Why an agent's state changed, in a word or two ("login", "heartbeats_missed").
    var stateChangeReason: String { get }
    /// For a completion: the disposition, csat and handle time the request gave.
    func completion(of contact: ContactID) -> (completion: Completion, handle: Span)?
    /// When a case had been closed, for a reopen event.
    func closedAt(of caseID: CaseID) -> Instant?
}

/// A contact's facts for events.
public struct WireContactFacts: Hashable, Sendable {
    public var customer: CustomerID
    public var channel: Channel
    public var priority: Int
    public var language: String

    public init(customer: CustomerID, channel: Channel, priority: Int, language: String) {
        self.customer = customer
        self.channel = channel
        self.priority = priority
        self.language = language
    }
}

extension EngineEvent {
    /// The PUB event for this engine event, or nil for events the wire does not publish
    /// (relaxation steps, transfers: the re-queue that follows is published).
    public func wireEvent(sequence: UInt64, context: some WireEventContext) -> Switchboard_V1_Event? {
        var event = Switchboard_V1_Event()
        event.sequence = sequence
        event.atUnixMicros = at.microseconds
        switch self {
        case .contactQueued(let contact, let caseID, let channel, _):
            var e = Switchboard_V1_ContactQueued()
            e.contactID = contact.rawValue
            e.caseID = caseID.rawValue
            e.channel = channel.wire
            if let facts = context.facts(of: contact) {
                e.customerID = facts.customer.rawValue
                e.priority = UInt32(clamping: facts.priority)
                e.language = facts.language
            }
            e.queuePosition = UInt32(clamping: context.queuePosition(of: contact) ?? 0)
            event.contactQueued = e
        case .contactOffered(let offer, let caseID, _):
            var e = Switchboard_V1_ContactOffered()
            e.contactID = offer.contact.rawValue
            e.caseID = caseID.rawValue
            e.channel = offer.channel.wire
            e.agentID = offer.agent.rawValue
            e.expiresAtUnixMicros = offer.expiresAt.microseconds
            e.explanation = offer.explanation.wire
            event.contactOffered = e
        case .offerDeclined(let contact, let agent, _), .offerExpired(let contact, let agent, _):
            var e = Switchboard_V1_ContactRequeued()
            e.contactID = contact.rawValue
            if let facts = context.facts(of: contact) { e.channel = facts.channel.wire }
            e.agentID = agent.rawValue
            if case .offerDeclined = self { e.reason = .declined } else { e.reason = context.withdrawnReason }
            event.contactRequeued = e
        case .contactAssigned(let contact, let agent, let caseID, let channel, let waited, _):
            var e = Switchboard_V1_ContactAssigned()
            e.contactID = contact.rawValue
            e.caseID = caseID.rawValue
            e.customerID = context.facts(of: contact)?.customer.rawValue ?? 0
            e.channel = channel.wire
            e.agentID = agent.rawValue
            e.waitedMicros = waited.microseconds
            event.contactAssigned = e
        case .contactAbandoned(let contact, let caseID, let channel, let waited, _):
            var e = Switchboard_V1_ContactAbandoned()
            e.contactID = contact.rawValue
            e.caseID = caseID.rawValue
            e.channel = channel.wire
            e.reason = .abandoned
            e.waitedMicros = waited.microseconds
            event.contactAbandoned = e
        case .contactSelfServed(let contact, let caseID, let channel, _):
            var e = Switchboard_V1_ContactAbandoned()
            e.contactID = contact.rawValue
            e.caseID = caseID.rawValue
            e.channel = channel.wire
            e.reason = .selfServed
            event.contactAbandoned = e
        case .contactCompleted(let contact, let agent, let caseID, let channel, let resolved, _):
            var e = Switchboard_V1_ContactCompleted()
            e.contactID = contact.rawValue
            e.caseID = caseID.rawValue
            e.channel = channel.wire
            e.agentID = agent.rawValue
            e.resolved = resolved
            if let (completion, handle) = context.completion(of: contact) {
                e.disposition = completion.disposition ?? ""
                e.handleMicros = handle.microseconds
                if let csat = completion.csat { e.csat = UInt32(csat) }
            }
            event.contactCompleted = e
        case .caseOpened(let caseID, let customer, let contact, _):
            var e = Switchboard_V1_CaseOpened()
            e.caseID = caseID.rawValue
            e.customerID = customer.rawValue
            e.contactID = contact.rawValue
            if let facts = context.facts(of: contact) { e.channel = facts.channel.wire }
            event.caseOpened = e
        case .caseThreaded(let decision):
            var e = Switchboard_V1_CaseThreaded()
            e.caseID = decision.caseID.rawValue
            e.customerID = decision.customer.rawValue
            e.contactID = decision.contact.rawValue
            if let facts = context.facts(of: decision.contact) { e.channel = facts.channel.wire }
            e.rule = decision.rule.wire
            e.reason = decision.reason
            event.caseThreaded = e
        case .caseReopened(let caseID, let contact, _):
            var e = Switchboard_V1_CaseReopened()
            e.caseID = caseID.rawValue
            e.contactID = contact.rawValue
            e.customerID = context.facts(of: contact)?.customer.rawValue ?? 0
            e.closedAtUnixMicros = context.closedAt(of: caseID)?.microseconds ?? 0
            event.caseReopened = e
        case .customersMerged(let merge):
            var e = Switchboard_V1_CustomersMerged()
            e.customerID = merge.into.rawValue
            e.mergedCustomerIds = [merge.absorbed.rawValue]
            e.contactID = merge.contact.rawValue
            event.customersMerged = e
        case .agentStateChanged(let agent, let from, let to, _):
            var e = Switchboard_V1_AgentStateChanged()
            e.agentID = agent.rawValue
            e.previousState = from.wire
            e.state = to.wire
            e.reason = context.stateChangeReason
            if let snapshot = context.agent(agent) {
                e.usedCapacity = UInt32(clamping: snapshot.load)
                e.capacity = UInt32(clamping: snapshot.capacity)
            }
            event.agentStateChanged = e
        case .contactRelaxed, .contactTransferred:
            return nil
        }
        return event
    }
}
