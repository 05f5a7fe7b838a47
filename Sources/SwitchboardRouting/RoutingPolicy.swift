import SwitchboardDomain

/// One value per channel, for the settings that differ by channel (costs, timeouts, targets).
public struct PerChannel<Value: Sendable & Hashable>: Sendable, Hashable {
    public var voice: Value
    public var chat: Value
    public var email: Value
    public var social: Value

    public init(voice: Value, chat: Value, email: Value, social: Value) {
        self.voice = voice
        self.chat = chat
        self.email = email
        self.social = social
    }

    @inlinable public subscript(channel: Channel) -> Value {
        get {
            switch channel {
            case .voice: voice
            case .chat: chat
            case .email: email
            case .social: social
            }
        }
        set {
            switch channel {
            case .voice: voice = newValue
            case .chat: chat = newValue
            case .email: email = newValue
            case .social: social = newValue
            }
        }
    }
}

extension PerChannel: Codable where Value: Codable {
    private enum Keys: String, CodingKey { case voice, chat, email, social }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        voice = try c.decode(Value.self, forKey: .voice)
        chat = try c.decode(Value.self, forKey: .chat)
        email = try c.decode(Value.self, forKey: .email)
        social = try c.decode(Value.self, forKey: .social)
    }

    /// Decodes the channels present and keeps `defaults` for the others, so a configuration may set
    /// only the channel it cares about (`offer_timeout: {chat: 45}`).
    public init(from decoder: any Decoder, defaults: PerChannel<Value>) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        voice = try c.decodeIfPresent(Value.self, forKey: .voice) ?? defaults.voice
        chat = try c.decodeIfPresent(Value.self, forKey: .chat) ?? defaults.chat
        email = try c.decodeIfPresent(Value.self, forKey: .email) ?? defaults.email
        social = try c.decodeIfPresent(Value.self, forKey: .social) ?? defaults.social
    }
}

/// One step by which a waiting contact's requirements widen. Steps are cumulative: a contact at
/// step 3 has every relaxation of steps 1–3. Step 0 (no relaxation) is implicit.
public struct RelaxationStep: Hashable, Sendable, Codable {
    /// How long after arrival the step applies.
    public var after: Span
    /// Lowers every required skill's minimum level by this much (never below 1).
    public var lowerMinimumLevelsBy: Int
    /// Preferred skills stop being required. Until a step drops them, preferred skills are required
    /// (the inner "bullseye" ring); with no such step in the policy they only add to an agent's score.
    public var dropPreferredSkills: Bool
    /// The contact's language widens to its configured fallbacks (`RoutingPolicy.languageFallbacks`).
    public var widenLanguage: Bool

    public init(after: Span, lowerMinimumLevelsBy: Int = 0, dropPreferredSkills: Bool = false, widenLanguage: Bool = false) {
        self.after = after
        self.lowerMinimumLevelsBy = lowerMinimumLevelsBy
        self.dropPreferredSkills = dropPreferredSkills
        self.widenLanguage = widenLanguage
    }

    private enum Keys: String, CodingKey {
        case after, lowerMinimumLevelsBy = "lower_minimum_levels_by", dropPreferredSkills = "drop_preferred_skills"
        case widenLanguage = "widen_language"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        after = try c.decode(Span.self, forKey: .after)
        lowerMinimumLevelsBy = try c.decodeIfPresent(Int.self, forKey: .lowerMinimumLevelsBy) ?? 0
        dropPreferredSkills = try c.decodeIfPresent(Bool.self, forKey: .dropPreferredSkills) ?? false
        widenLanguage = try c.decodeIfPresent(Bool.self, forKey: .widenLanguage) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(after, forKey: .after)
        try c.encode(lowerMinimumLevelsBy, forKey: .lowerMinimumLevelsBy)
        try c.encode(dropPreferredSkills, forKey: .dropPreferredSkills)
        try c.encode(widenLanguage, forKey: .widenLanguage)
    }
}

/// The weights of the agent scoring formula. An eligible agent's score for a contact is
///
///     score = skillLevel     × mean over required skills of (agent level − minimum level)
///           + preferredSkill × number of preferred skills the agent has at their level
///           + exactLanguage  × (1 if the agent speaks the contact's own language, 0 for a fallback)
///           + affinity       × (1 if the agent last handled the case, is logged in, and did so within
///                               `RoutingPolicy.affinityWindow`)
///           + preferredAgent × (1 if the contact named this agent)
///           + idlePerMinute  × minutes since the agent was last offered work (fairness)
///           + spareCapacity  × spare units / capacity (spreads load across agents)
///
/// The highest score gets the offer; ties go to the agent that logged in first. The skill, idle and
/// load terms are the same for every contact of one skill, which is what lets the router keep idle
/// agents in per-skill heaps and decide without scanning.
public struct ScoringWeights: Hashable, Sendable, Codable {
    public var skillLevel: Double = 1
    public var preferredSkill: Double = 2
    public var exactLanguage: Double = 3
    public var affinity: Double = 20
    public var preferredAgent: Double = 30
    public var idlePerMinute: Double = 0.5
    public var spareCapacity: Double = 2

    public init() {}

    private enum Keys: String, CodingKey {
        case skillLevel = "skill_level", preferredSkill = "preferred_skill", exactLanguage = "exact_language"
        case affinity, preferredAgent = "preferred_agent", idlePerMinute = "idle_per_minute"
        case spareCapacity = "spare_capacity"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let d = ScoringWeights()
        skillLevel = try c.decodeIfPresent(Double.self, forKey: .skillLevel) ?? d.skillLevel
        preferredSkill = try c.decodeIfPresent(Double.self, forKey: .preferredSkill) ?? d.preferredSkill
        exactLanguage = try c.decodeIfPresent(Double.self, forKey: .exactLanguage) ?? d.exactLanguage
        affinity = try c.decodeIfPresent(Double.self, forKey: .affinity) ?? d.affinity
        preferredAgent = try c.decodeIfPresent(Double.self, forKey: .preferredAgent) ?? d.preferredAgent
        idlePerMinute = try c.decodeIfPresent(Double.self, forKey: .idlePerMinute) ?? d.idlePerMinute
        spareCapacity = try c.decodeIfPresent(Double.self, forKey: .spareCapacity) ?? d.spareCapacity
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(skillLevel, forKey: .skillLevel)
        try c.encode(preferredSkill, forKey: .preferredSkill)
        try c.encode(exactLanguage, forKey: .exactLanguage)
        try c.encode(affinity, forKey: .affinity)
        try c.encode(preferredAgent, forKey: .preferredAgent)
        try c.encode(idlePerMinute, forKey: .idlePerMinute)
        try c.encode(spareCapacity, forKey: .spareCapacity)
    }
}

/// Everything that shapes routing decisions. Every key has a default, documented here, and decoding
/// keeps the default for any key that is missing.
///
/// Waiting order: each waiting contact gets a fixed order key when it arrives,
///
///     key = arrival time + serviceLevelWeight × service-level target of its channel
///                        − priorityCredit × (priority − 1)
///
/// and the smallest key goes first. The first term ages every contact at the same rate, so nothing
/// starves; the second orders channels by how close each contact is to breaching its target
/// (earliest deadline first: a chat near breach overtakes an email with hours left); the third lets
/// priority 10 jump `9 × priorityCredit` ahead. Because the key never changes while a contact waits,
/// waiting contacts live in heaps and a decline puts a contact back exactly where it was.
public struct RoutingPolicy: Hashable, Sendable, Codable {
    /// Capacity units a contact of each channel takes from an agent. Default voice 100, chat 34, email 25, social 25.
    public var capacityCost = PerChannel(voice: 100, chat: 34, email: 25, social: 25)
    /// How long an agent has to accept an offer before it expires and the contact goes back in line.
    /// Default voice 20 s, chat 30 s, email 120 s, social 60 s.
    public var offerTimeout = PerChannel(voice: Span.seconds(20), chat: .seconds(30), email: .seconds(120), social: .seconds(60))
    /// After-contact work per channel when `complete` does not say: the contact's units stay taken
    /// this long. Default voice 30 s, chat 10 s, email 15 s, social 10 s.
    public var wrapUp = PerChannel(voice: Span.seconds(30), chat: .seconds(10), email: .seconds(15), social: .seconds(10))
    /// Service-level target ("answered within T") per channel. Default voice 20 s, chat 60 s, email 1 h, social 15 min.
    public var serviceLevelTarget = PerChannel(voice: Span.seconds(20), chat: .seconds(60), email: .hours(1), social: .minutes(15))
    /// How strongly the channel's service-level target pushes the order key (see the type's doc). Default 1.
    public var serviceLevelWeight: Double = 1
    /// Head start per priority level above 1. Default 15 s: a priority-10 contact is ordered as if it
    /// had waited 135 s longer.
    public var priorityCredit: Span = .seconds(15)
    /// Relaxation steps, cumulative, in order of `after`. Default: drop preferred skills after 15 s,
    /// lower minimum levels by 2 after 60 s, widen the language to fallbacks after 120 s.
    public var relaxation: [RelaxationStep] = [
        RelaxationStep(after: .seconds(15), dropPreferredSkills: true),
        RelaxationStep(after: .seconds(60), lowerMinimumLevelsBy: 2),
        RelaxationStep(after: .seconds(120), widenLanguage: true),
    ]
    /// Language → languages it may fall back to once a step widens the language (`es-MX: [es, en]`). Default none.
    public var languageFallbacks: [String: [String]] = [:]
    /// The agent scoring formula's weights.
    public var scoring = ScoringWeights()
    /// Affinity to the case's last handler counts only if that contact was handled within this window. Default 24 h.
    public var affinityWindow: Span = .hours(24)
    /// After this many offers in a row expire unanswered, the agent is set away. 0 disables. Default 3.
    public var missedOffersToAway: Int = 3
    /// Whether an explicit decline counts as a missed offer for `missedOffersToAway`. Default false.
    public var declinesCountAsMissed: Bool = false
    /// A contact declined by, or expired at, an agent is not offered to that agent again for this long. Default 60 s.
    public var reofferCooldown: Span = .seconds(60)
    /// Capacity reservation, against big contacts starving behind small ones: a waiting contact
    /// that has waited this long, and is first in line for an agent whose spare units it does not
    /// fit (a voice call while the agent holds chats), reserves that agent. The agent takes no
    /// other work until its units drain enough, then is offered the contact. One agent per contact;
    /// an agent with room that comes along first takes it and frees the reservation.
    /// Default a quarter of each channel's default service-level target: voice 5 s, chat 15 s,
    /// email 15 min, social 225 s. A very long span (e.g. `1000h`) turns it off for a channel.
    public var reserveCapacityAfter = PerChannel(voice: Span.seconds(5), chat: .seconds(15), email: .minutes(15), social: .seconds(225))
    /// How many eligible idle agents, best first by the index, are fully scored for one contact. Default 8.
    /// Exact for single-skill contacts; for multi-skill contacts the index orders by the most demanding skill.
    public var candidateLimit: Int = 8

    public init() {}

    private enum Keys: String, CodingKey {
        case capacityCost = "capacity_cost", offerTimeout = "offer_timeout", wrapUp = "wrap_up"
        case serviceLevelTarget = "service_level_target", serviceLevelWeight = "service_level_weight"
        case priorityCredit = "priority_credit", relaxation, languageFallbacks = "language_fallbacks"
        case scoring, affinityWindow = "affinity_window", missedOffersToAway = "missed_offers_to_away"
        case declinesCountAsMissed = "declines_count_as_missed", reofferCooldown = "reoffer_cooldown"
        case candidateLimit = "candidate_limit", reserveCapacityAfter = "reserve_capacity_after"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let d = RoutingPolicy()
        if c.contains(.capacityCost) {
            capacityCost = try PerChannel(from: try c.superDecoder(forKey: .capacityCost), defaults: d.capacityCost)
        }
        if c.contains(.offerTimeout) {
            offerTimeout = try PerChannel(from: try c.superDecoder(forKey: .offerTimeout), defaults: d.offerTimeout)
        }
        if c.contains(.wrapUp) {
            wrapUp = try PerChannel(from: try c.superDecoder(forKey: .wrapUp), defaults: d.wrapUp)
        }
        if c.contains(.serviceLevelTarget) {
            serviceLevelTarget = try PerChannel(from: try c.superDecoder(forKey: .serviceLevelTarget), defaults: d.serviceLevelTarget)
        }
        serviceLevelWeight = try c.decodeIfPresent(Double.self, forKey: .serviceLevelWeight) ?? d.serviceLevelWeight
        priorityCredit = try c.decodeIfPresent(Span.self, forKey: .priorityCredit) ?? d.priorityCredit
        relaxation = try c.decodeIfPresent([RelaxationStep].self, forKey: .relaxation) ?? d.relaxation
        languageFallbacks = try c.decodeIfPresent([String: [String]].self, forKey: .languageFallbacks) ?? d.languageFallbacks
        scoring = try c.decodeIfPresent(ScoringWeights.self, forKey: .scoring) ?? d.scoring
        affinityWindow = try c.decodeIfPresent(Span.self, forKey: .affinityWindow) ?? d.affinityWindow
        missedOffersToAway = try c.decodeIfPresent(Int.self, forKey: .missedOffersToAway) ?? d.missedOffersToAway
        declinesCountAsMissed = try c.decodeIfPresent(Bool.self, forKey: .declinesCountAsMissed) ?? d.declinesCountAsMissed
        reofferCooldown = try c.decodeIfPresent(Span.self, forKey: .reofferCooldown) ?? d.reofferCooldown
        candidateLimit = try c.decodeIfPresent(Int.self, forKey: .candidateLimit) ?? d.candidateLimit
        if c.contains(.reserveCapacityAfter) {
            reserveCapacityAfter = try PerChannel(from: try c.superDecoder(forKey: .reserveCapacityAfter), defaults: d.reserveCapacityAfter)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(capacityCost, forKey: .capacityCost)
        try c.encode(offerTimeout, forKey: .offerTimeout)
        try c.encode(wrapUp, forKey: .wrapUp)
        try c.encode(serviceLevelTarget, forKey: .serviceLevelTarget)
        try c.encode(serviceLevelWeight, forKey: .serviceLevelWeight)
        try c.encode(priorityCredit, forKey: .priorityCredit)
        try c.encode(relaxation, forKey: .relaxation)
        try c.encode(languageFallbacks, forKey: .languageFallbacks)
        try c.encode(scoring, forKey: .scoring)
        try c.encode(affinityWindow, forKey: .affinityWindow)
        try c.encode(missedOffersToAway, forKey: .missedOffersToAway)
        try c.encode(declinesCountAsMissed, forKey: .declinesCountAsMissed)
        try c.encode(reofferCooldown, forKey: .reofferCooldown)
        try c.encode(candidateLimit, forKey: .candidateLimit)
        try c.encode(reserveCapacityAfter, forKey: .reserveCapacityAfter)
    }

    /// Checks the values a configuration file could get wrong, naming the key at fault.
    public func validate() throws(SwitchboardError) {
        for ch in Channel.allCases {
            guard capacityCost[ch] >= 1 else {
                throw .invalidArgument("capacity_cost.\(ch) must be at least 1 unit", field: "capacity_cost.\(ch)")
            }
            guard offerTimeout[ch] > .zero else {
                throw .invalidArgument("offer_timeout.\(ch) must be positive seconds", field: "offer_timeout.\(ch)")
            }
            guard wrapUp[ch] >= .zero else {
                throw .invalidArgument("wrap_up.\(ch) must not be negative", field: "wrap_up.\(ch)")
            }
            guard serviceLevelTarget[ch] > .zero else {
                throw .invalidArgument("service_level_target.\(ch) must be positive seconds", field: "service_level_target.\(ch)")
            }
            guard reserveCapacityAfter[ch] >= .zero else {
                throw .invalidArgument("reserve_capacity_after.\(ch) must not be negative", field: "reserve_capacity_after.\(ch)")
            }
        }
        guard serviceLevelWeight.isFinite, serviceLevelWeight >= 0 else {
            throw .invalidArgument("service_level_weight must be a finite number >= 0", field: "service_level_weight")
        }
        guard priorityCredit >= .zero else {
            throw .invalidArgument("priority_credit must not be negative", field: "priority_credit")
        }
        var previous = Span.zero
        for (i, step) in relaxation.enumerated() {
            guard step.after > previous || (i == 0 && step.after > .zero) else {
                throw .invalidArgument("relaxation steps must have strictly increasing, positive `after` times", field: "relaxation[\(i)].after")
            }
            guard (0...9).contains(step.lowerMinimumLevelsBy) else {
                throw .invalidArgument("lower_minimum_levels_by must be 0–9", field: "relaxation[\(i)].lower_minimum_levels_by")
            }
            previous = step.after
        }
        guard relaxation.count <= 16 else {
            throw .invalidArgument("at most 16 relaxation steps are supported", field: "relaxation")
        }
        let weights = [scoring.skillLevel, scoring.preferredSkill, scoring.exactLanguage, scoring.affinity,
                       scoring.preferredAgent, scoring.idlePerMinute, scoring.spareCapacity]
        guard weights.allSatisfy(\.isFinite) else {
            throw .invalidArgument("scoring weights must be finite numbers", field: "scoring")
        }
        guard affinityWindow >= .zero else {
            throw .invalidArgument("affinity_window must not be negative (0 turns affinity off)", field: "affinity_window")
        }
        guard missedOffersToAway >= 0 else {
            throw .invalidArgument("missed_offers_to_away must be 0 (off) or more", field: "missed_offers_to_away")
        }
        guard reofferCooldown >= .zero else {
            throw .invalidArgument("reoffer_cooldown must not be negative", field: "reoffer_cooldown")
        }
        guard (1...256).contains(candidateLimit) else {
            throw .invalidArgument("candidate_limit must be 1–256", field: "candidate_limit")
        }
    }
}
