import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

// Agents between the wire and the engine: Login, SetStatus, Complete, Transfer in; states, offers
// and explanations out.

extension AgentState {
    public var wire: Switchboard_V1_AgentState {
        switch self {
        case .offline: .offline
        case .available: .available
        case .away: .away
        case .wrapUp: .wrapUp
        }
    }
}

/// An agent id field: 1 to 128 bytes.
public func wireAgentID(_ raw: String, field: String = "agent_id") throws(SwitchboardError) -> AgentID {
    try WireValidation.checkRequired(raw, max: 128, field: field)
    return AgentID(raw)
}

/// A Login, checked against agents.proto.
public struct WireLogin: Hashable, Sendable {
    public var profile: AgentProfile
    /// The status right after login: available, or away when the request asked for it.
    public var initialStatus: AgentStatus

    /// - Parameter defaultCapacity: what `capacity = 0` means (the policy's default).
    public init(wire request: Switchboard_V1_LoginRequest, defaultCapacity: Int = 100) throws(SwitchboardError) {
        let id = try wireAgentID(request.agentID)
        try WireValidation.checkCount(request.skills.count, max: 64, field: "skills")
        var skills: [String: Int] = [:]
        for (i, s) in request.skills.enumerated() {
            try WireValidation.checkRequired(s.skill, max: 64, field: "skills[\(i)].skill")
            guard (1...10).contains(s.level) else {
                throw .invalidArgument("must be 1 (novice) to 10 (expert), got \(s.level)", field: "skills[\(i)].level")
            }
            guard skills[s.skill] == nil else {
                throw .invalidArgument("names skill `\(s.skill)` twice; list each skill once", field: "skills[\(i)].skill")
            }
            skills[s.skill] = Int(s.level)
        }
        guard !request.languages.isEmpty else {
            throw .invalidArgument("list at least one language the agent speaks (e.g. \"en\")", field: "languages")
        }
        try WireValidation.checkCount(request.languages.count, max: 16, field: "languages")
        for (i, l) in request.languages.enumerated() {
            try WireValidation.checkRequired(l, max: 35, field: "languages[\(i)]")
        }
        guard request.capacity <= 10_000 else {
            throw .invalidArgument("must be 1 to 10,000 units, or 0 for the default; got \(request.capacity)", field: "capacity")
        }
        switch request.initialState {
        case .unspecified, .available: initialStatus = .available
        case .away: initialStatus = .away
        case .offline, .wrapUp, .UNRECOGNIZED:
            throw .invalidArgument("must be AGENT_STATE_AVAILABLE or AGENT_STATE_AWAY", field: "initial_state")
        }
        profile = AgentProfile(
            id: id, skills: skills, languages: request.languages,
            capacity: request.capacity == 0 ? defaultCapacity : Int(request.capacity))
    }
}

extension AgentStatus {
    /// SetStatus takes AVAILABLE or AWAY only (logout is Logout; wrap-up comes from Complete).
    public init(setStatus wire: Switchboard_V1_AgentState) throws(SwitchboardError) {
        switch wire {
        case .available: self = .available
        case .away: self = .away
        case .unspecified, .offline, .wrapUp, .UNRECOGNIZED:
            throw .invalidArgument("must be AGENT_STATE_AVAILABLE or AGENT_STATE_AWAY (log out with Logout)", field: "state")
        }
    }
}

extension Completion {
    public init(wire request: Switchboard_V1_CompleteRequest) throws(SwitchboardError) {
        try WireValidation.checkLength(request.disposition, max: 128, field: "disposition")
        var csat: Double?
        if request.hasCsat {
            guard (1...5).contains(request.csat) else {
                throw .invalidArgument("must be 1 (worst) to 5 (best), got \(request.csat)", field: "csat")
            }
            csat = Double(request.csat)
        }
        var wrapUp: Span?
        if request.hasWrapUpMicros {
            guard request.wrapUpMicros >= 0, request.wrapUpMicros <= 86_400_000_000 else {
                throw .invalidArgument("must be 0 to 86,400,000,000 microseconds (a day)", field: "wrap_up_micros")
            }
            wrapUp = Span(microseconds: request.wrapUpMicros)
        }
        self.init(resolved: request.resolved, disposition: WireValidation.optional(request.disposition), csat: csat, wrapUp: wrapUp)
    }
}

extension TransferTarget {
    /// A named agent wins; otherwise back to the queue with the new skills (or the old ones:
    /// `current` are the contact's requirements now).
    public init(wire request: Switchboard_V1_TransferRequest, current: [SkillRequirement]) throws(SwitchboardError) {
        try WireValidation.checkLength(request.note, max: 1024, field: "note")
        if !request.toAgentID.isEmpty {
            self = .agent(try wireAgentID(request.toAgentID, field: "to_agent_id"))
            return
        }
        let skills = request.hasRequiredSkills
            ? try SkillRequirement.list(wire: request.requiredSkills.skills, field: "required_skills.skills") : current
        self = .skills(skills, language: nil)
    }
}

// MARK: - Offers

extension Explanation {
    public var wire: Switchboard_V1_RoutingExplanation {
        var out = Switchboard_V1_RoutingExplanation()
        out.rule = switch rule {
        case .bestIdleAgent: "best_score"
        case .bestWaitingContact: "best_waiting_contact"
        case .relaxed: "relaxed"
        case .transferToAgent: "transfer_to_agent"
        case .cooldownEnded: "cooldown_ended"
        case .reservedCapacity: "reserved_capacity"
        }
        out.relaxationStep = UInt32(clamping: step)
        out.relaxation = step == 0 ? "" : "the first \(step) relaxation step(s) of the routing policy applied"
        out.topCandidates = candidates.map { c in
            var s = Switchboard_V1_CandidateScore()
            s.agentID = c.agent.rawValue
            s.score = c.score
            return s
        }
        out.reason = description
        return out
    }
}

extension Switchboard_V1_ContactDetails {
    /// A contact as the agent sees it: what the adapter pushed, the ids the engine gave it, and
    /// how it was threaded.
    public init(
        push: Switchboard_V1_PushContactRequest, contact: ContactID, caseID: CaseID, customer: CustomerID,
        arrivedAt: Instant, decision: ThreadingDecision?, priority: Int, required: [SkillRequirement], preferred: [SkillRequirement]
    ) {
        self.init()
        contactID = contact.rawValue
        self.caseID = caseID.rawValue
        customerID = customer.rawValue
        channel = push.channel
        identifiers = push.identifiers
        subject = push.subject
        textPreview = push.textPreview
        language = push.language
        self.priority = UInt32(clamping: priority)
        requiredSkills = required.map(\.wire)
        preferredSkills = preferred.map(\.wire)
        topic = push.topic
        arrivedAtUnixMicros = arrivedAt.microseconds
        if push.hasEmail && push.channel == .email { email = push.email }
        metadata = push.metadata
        if let decision { threading = decision.wire }
    }
}
