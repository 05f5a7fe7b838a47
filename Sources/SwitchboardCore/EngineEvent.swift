import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

/// Everything the engine did, in order, each stamped with the time it happened. These drive the
/// KPIs, the server's PUB events and persistence. Appended to a buffer the caller owns and reuses.
///
/// The three large payloads (a threading decision, a merge, an offer with its explanation) are boxed, so an
/// event is about 50 bytes rather than 180: every event is copied into the buffer and out again,
/// and a caller that does not publish those kinds (the simulator) never pays for the box.
public enum EngineEvent: Hashable, Sendable {
    /// A contact was threaded: which case, by which rule (the decision carries the reason).
    indirect case caseThreaded(ThreadingDecision)
    /// A new case was opened for the contact.
    case caseOpened(CaseID, customer: CustomerID, contact: ContactID, at: Instant)
    /// A closed case reopened because the contact came back about it.
    case caseReopened(CaseID, contact: ContactID, at: Instant)
    /// Two customers turned out to be one.
    indirect case customersMerged(MergeRecord)
    /// The contact waits for an agent.
    case contactQueued(ContactID, case: CaseID, channel: Channel, at: Instant)
    /// The contact is offered to an agent (the offer says why, and until when).
    indirect case contactOffered(Offer, case: CaseID, at: Instant)
    case offerDeclined(ContactID, agent: AgentID, at: Instant)
    case offerExpired(ContactID, agent: AgentID, at: Instant)
    /// The agent accepted: `waited` is arrival to acceptance.
    case contactAssigned(ContactID, agent: AgentID, case: CaseID, channel: Channel, waited: Span, at: Instant)
    /// A relaxation step widened the contact's requirements.
    case contactRelaxed(ContactID, step: Int, at: Instant)
    /// The agent handed the contact on; it stays on its case.
    case contactTransferred(ContactID, from: AgentID, case: CaseID, at: Instant)
    /// The customer left before an agent took the contact.
    case contactAbandoned(ContactID, case: CaseID, channel: Channel, waited: Span, at: Instant)
    /// Self-service resolved the contact before an agent took it.
    case contactSelfServed(ContactID, case: CaseID, channel: Channel, at: Instant)
    /// The agent finished the contact.
    case contactCompleted(ContactID, agent: AgentID, case: CaseID, channel: Channel, resolved: Bool, at: Instant)
    case agentStateChanged(AgentID, from: AgentState, to: AgentState, at: Instant)

    /// The kind `Engine.publishing` filters this event by.
    public var kind: EngineEventKinds {
        switch self {
        case .caseThreaded, .caseOpened, .caseReopened, .customersMerged: .threading
        case .contactQueued: .queued
        case .contactOffered, .offerDeclined, .offerExpired: .offers
        case .contactAssigned: .assigned
        case .contactRelaxed: .relaxed
        case .contactTransferred: .transfers
        case .contactAbandoned, .contactSelfServed: .ended
        case .contactCompleted: .completed
        case .agentStateChanged: .agentStates
        }
    }

    /// When it happened.
    public var at: Instant {
        switch self {
        case .caseThreaded(let d): d.at
        case .customersMerged(let m): m.at
        case .caseOpened(_, _, _, let at), .caseReopened(_, _, let at), .contactQueued(_, _, _, let at),
            .contactOffered(_, _, let at), .offerDeclined(_, _, let at), .offerExpired(_, _, let at),
            .contactAssigned(_, _, _, _, _, let at), .contactRelaxed(_, _, let at), .contactTransferred(_, _, _, let at),
            .contactAbandoned(_, _, _, _, let at), .contactSelfServed(_, _, _, let at),
            .contactCompleted(_, _, _, _, _, let at), .agentStateChanged(_, _, _, let at):
            at
        }
    }
}

/// Which kinds of `EngineEvent` an engine appends to the caller's buffer (`Engine.publishing`).
/// A filter on the output only: every decision, the case history and the KPIs are the same
/// whatever it holds.
public struct EngineEventKinds: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `caseThreaded`, `caseOpened`, `caseReopened`, `customersMerged`.
    public static let threading = EngineEventKinds(rawValue: 1 << 0)
    /// `contactQueued`.
    public static let queued = EngineEventKinds(rawValue: 1 << 1)
    /// `contactOffered`, `offerDeclined`, `offerExpired`.
    public static let offers = EngineEventKinds(rawValue: 1 << 2)
    /// `contactAssigned`.
    public static let assigned = EngineEventKinds(rawValue: 1 << 3)
    /// `contactRelaxed`.
    public static let relaxed = EngineEventKinds(rawValue: 1 << 4)
    /// `contactTransferred`.
    public static let transfers = EngineEventKinds(rawValue: 1 << 5)
    /// `contactAbandoned`, `contactSelfServed`.
    public static let ended = EngineEventKinds(rawValue: 1 << 6)
    /// `contactCompleted`.
    public static let completed = EngineEventKinds(rawValue: 1 << 7)
    /// `agentStateChanged`.
    public static let agentStates = EngineEventKinds(rawValue: 1 << 8)

    public static let all: EngineEventKinds = [
        .threading, .queued, .offers, .assigned, .relaxed, .transfers, .ended, .completed, .agentStates,
    ]
}
