import SwitchboardDomain

/// What the router needs to know about one contact to place it.
public struct RoutingRequest: Hashable, Sendable {
    public var contact: ContactID
    public var channel: Channel
    /// Skills an agent must have, each at least at its minimum level. At most 8. Empty: any agent.
    public var required: [SkillRequirement]
    /// Skills that make an agent a better fit. Required until a relaxation step drops them (see
    /// `RelaxationStep.dropPreferredSkills`), and worth `ScoringWeights.preferredSkill` each. At most 8.
    public var preferred: [SkillRequirement]
    /// The language the customer writes or speaks (`"es"`); nil means any agent will do.
    public var language: String?
    /// 1 (lowest) to 10 (highest).
    public var priority: Int
    /// An agent the adapter or a rule asked for; worth `ScoringWeights.preferredAgent`.
    public var preferredAgent: AgentID?
    /// The agent who last handled this contact's case and when; worth `ScoringWeights.affinity`
    /// while that agent is logged in and the handling is within `RoutingPolicy.affinityWindow`.
    public var lastHandler: AgentID?
    public var lastHandledAt: Instant?
    /// When the contact arrived. Waiting order and relaxation count from here, so a contact restored
    /// after a restart keeps its place.
    public var arrivedAt: Instant

    public init(
        contact: ContactID, channel: Channel, required: [SkillRequirement] = [], preferred: [SkillRequirement] = [],
        language: String? = nil, priority: Int = 5, preferredAgent: AgentID? = nil,
        lastHandler: AgentID? = nil, lastHandledAt: Instant? = nil, arrivedAt: Instant
    ) {
        self.contact = contact
        self.channel = channel
        self.required = required
        self.preferred = preferred
        self.language = language
        self.priority = priority
        self.preferredAgent = preferredAgent
        self.lastHandler = lastHandler
        self.lastHandledAt = lastHandledAt
        self.arrivedAt = arrivedAt
    }
}

/// Changes to a contact that is still waiting (or on offer): only the fields given change.
public struct ContactUpdate: Hashable, Sendable {
    public var priority: Int?
    public var required: [SkillRequirement]?
    public var preferred: [SkillRequirement]?
    /// `.some(nil)` clears the language (any agent); nil leaves it.
    public var language: String??

    public init(priority: Int? = nil, required: [SkillRequirement]? = nil, preferred: [SkillRequirement]? = nil, language: String?? = nil) {
        self.priority = priority
        self.required = required
        self.preferred = preferred
        self.language = language
    }
}

/// Where a transferred contact goes. Either way it keeps its case and its place in line.
public enum TransferTarget: Hashable, Sendable {
    /// To whoever has these skills (and speaks the language, if given; nil keeps the contact's).
    case skills([SkillRequirement], language: String?)
    /// To one named agent; it waits for that agent if the agent is busy.
    case agent(AgentID)
}

/// One agent's score for one contact, as the explanation lists it.
public struct ScoredAgent: Hashable, Sendable, CustomStringConvertible {
    public var agent: AgentID
    public var score: Double

    public init(agent: AgentID, score: Double) {
        self.agent = agent
        self.score = score
    }

    public var description: String { "\(agent)=\(score)" }
}

/// The best few candidates of a decision, best first, stored inline (no allocation per decision).
public struct TopCandidates: RandomAccessCollection, Hashable, Sendable {
    public static let capacity = 3
    private var a: ScoredAgent?
    private var b: ScoredAgent?
    private var c: ScoredAgent?
    public private(set) var count: Int = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> ScoredAgent {
        precondition(i >= 0 && i < count, "TopCandidates index out of range")
        switch i {
        case 0: return a!
        case 1: return b!
        default: return c!
        }
    }

    /// Keeps `candidate` if it is among the best three so far (ties keep the earlier one).
    public mutating func offer(_ candidate: ScoredAgent) {
        if count < 1 || candidate.score > a!.score {
            c = b; b = a; a = candidate
        } else if count < 2 || candidate.score > b!.score {
            c = b; b = candidate
        } else if count < 3 || candidate.score > c!.score {
            c = candidate
        } else {
            return
        }
        count = Swift.min(count + 1, Self.capacity)
    }
}

/// Why a contact went to an agent. Built for every offer: a handful of words and numbers, no
/// strings formatted and nothing allocated, so it can always stay on.
public struct Explanation: Hashable, Sendable, CustomStringConvertible {
    public enum Rule: String, Hashable, Sendable {
        /// A contact arrived (or was transferred, updated or re-queued) and the best eligible idle agent took it.
        case bestIdleAgent
        /// An agent had capacity free and took the first eligible waiting contact in order.
        case bestWaitingContact
        /// A relaxation step widened the contact's requirements and an idle agent now fit.
        case relaxed
        /// The contact was transferred to this agent by name.
        case transferToAgent
        /// A re-offer cooldown ended and the agent it excluded was idle.
        case cooldownEnded
        /// The agent had held its units back for this contact, which did not fit its spare capacity,
        /// and they have now drained enough (see `RoutingPolicy.reserveCapacityAfter`).
        case reservedCapacity
    }

    public var rule: Rule
    /// The relaxation step in force (0: none).
    public var step: Int
    /// The contact's waiting-order key in seconds (smaller goes first), see `RoutingPolicy`.
    public var orderKey: Double
    /// How long the contact had waited.
    public var waited: Span
    /// Agents scored (for idle-agent decisions) or queues looked at (for waiting-contact decisions).
    public var considered: Int
    /// The best-scoring candidates, best first; the chosen agent is first.
    public var candidates: TopCandidates

    public init(rule: Rule, step: Int, orderKey: Double, waited: Span, considered: Int, candidates: TopCandidates) {
        self.rule = rule
        self.step = step
        self.orderKey = orderKey
        self.waited = waited
        self.considered = considered
        self.candidates = candidates
    }

    public var description: String {
        "\(rule.rawValue) step=\(step) waited=\(waited) considered=\(considered) top=[\(candidates.map(\.description).joined(separator: ", "))]"
    }
}

/// An offer of one contact to one agent, open until `expiresAt`.
public struct Offer: Hashable, Sendable {
    public var contact: ContactID
    public var agent: AgentID
    public var channel: Channel
    public var expiresAt: Instant
    public var explanation: Explanation

    public init(contact: ContactID, agent: AgentID, channel: Channel, expiresAt: Instant, explanation: Explanation) {
        self.contact = contact
        self.agent = agent
        self.channel = channel
        self.expiresAt = expiresAt
        self.explanation = explanation
    }
}

/// What the router did, appended to the caller's buffer in the order it happened.
public enum RoutingEvent: Hashable, Sendable {
    /// The contact waits: no eligible agent had capacity.
    case queued(ContactID, channel: Channel, step: Int)
    /// Boxed: an offer with its explanation is four times the size of any other event, and every
    /// event in a buffer takes the size of the largest. A router that accepts at once without
    /// explaining (`Router.offersAcceptedAtOnce`) builds none, so its buffers stay small.
    indirect case offered(Offer)
    case offerDeclined(ContactID, agent: AgentID)
    case offerExpired(ContactID, agent: AgentID)
    case assigned(ContactID, agent: AgentID, channel: Channel, waited: Span)
    /// A relaxation step widened the contact's requirements.
    case relaxed(ContactID, step: Int)
    case agentStateChanged(AgentID, from: AgentState, to: AgentState)
}

/// A waiting contact's place in line.
public struct QueuePosition: Hashable, Sendable {
    /// 1 = next for its requirements.
    public var position: Int
    /// Position × the recent gap between contacts leaving this line; nil until the line has moved.
    public var estimatedWait: Span?
    /// Waiting contacts with exactly the same effective requirements.
    public var queueLength: Int
}

/// Where a contact stands in the router.
public enum ContactPhase: Hashable, Sendable {
    case waiting(step: Int)
    case offered(to: AgentID, expiresAt: Instant)
    case assigned(to: AgentID)
}

/// One agent as the router sees it, for queries.
public struct AgentSnapshot: Hashable, Sendable {
    public var id: AgentID
    public var state: AgentState
    public var capacity: Int
    /// Units taken by offers, assigned contacts and wrap-up.
    public var load: Int
    public var offered: Int
    public var assigned: Int
    public var missedOffersInARow: Int
    /// When the last wrap-up the agent started ends: it is in wrap-up while this is later than
    /// now. (`.zero` when it has had none since it logged in; logging out ends a wrap-up.)
    public var wrapUpUntil: Instant
}

/// Counts for dashboards and the Stats call.
public struct RoutingStats: Hashable, Sendable {
    public var waiting = PerChannel(voice: 0, chat: 0, email: 0, social: 0)
    public var longestWait = PerChannel(voice: Span.zero, chat: .zero, email: .zero, social: .zero)
    public var offered = 0
    public var assigned = 0
    public var agentsByState: [AgentState: Int] = [:]

    public init() {}
}
