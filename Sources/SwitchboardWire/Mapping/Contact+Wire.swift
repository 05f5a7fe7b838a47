import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

// Contacts between the wire and the engine: the Ingest requests in, receipts and contact details
// out. Generated types stay on this side; the engine sees only its own types.

// MARK: - Channels

extension Channel {
    /// The engine's channel for a wire channel; UNSPECIFIED (or a value this build does not know)
    /// is INVALID_ARGUMENT naming `field`.
    public init(wire: Switchboard_V1_Channel, field: @autoclosure () -> String = "channel") throws(SwitchboardError) {
        switch wire {
        case .voice: self = .voice
        case .chat: self = .chat
        case .email: self = .email
        case .social: self = .social
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument("must be CHANNEL_VOICE, CHANNEL_CHAT, CHANNEL_EMAIL or CHANNEL_SOCIAL", field: field())
        }
    }

    public var wire: Switchboard_V1_Channel {
        switch self {
        case .voice: .voice
        case .chat: .chat
        case .email: .email
        case .social: .social
        }
    }
}

// MARK: - Identifiers

extension RawIdentifier {
    /// An identifier as the adapter sent it. Exactly one kind must be set; the engine normalises
    /// it (and names `field` in its own errors).
    public init(wire: Switchboard_V1_CustomerIdentifier, field: @autoclosure () -> String) throws(SwitchboardError) {
        guard let kind = wire.kind else {
            throw .invalidArgument("set exactly one of email, phone, social or login", field: field())
        }
        switch kind {
        case .email(let s):
            try WireValidation.checkRequired(s, max: 320, field: field() + ".email")
            self = .email(s)
        case .phone(let s):
            try WireValidation.checkRequired(s, max: 32, field: field() + ".phone")
            self = .phone(s)
        case .login(let s):
            try WireValidation.checkRequired(s, max: 256, field: field() + ".login")
            self = .login(s)
        case .social(let social):
            try WireValidation.checkRequired(social.platform, max: 64, field: field() + ".social.platform")
            switch social.account {
            case .handle(let h)?:
                try WireValidation.checkRequired(h, max: 256, field: field() + ".social.handle")
                self = .socialHandle(platform: social.platform, handle: h)
            case .userID(let id)?:
                try WireValidation.checkRequired(id, max: 256, field: field() + ".social.user_id")
                self = .socialUserID(platform: social.platform, id: id)
            case nil:
                throw .invalidArgument("set exactly one of handle or user_id", field: field() + ".social")
            }
        }
    }
}

extension Identifier {
    /// A normalised identifier as the wire shows it (FindCustomer lists them).
    public var wire: Switchboard_V1_CustomerIdentifier {
        var out = Switchboard_V1_CustomerIdentifier()
        switch kind {
        case .email: out.email = value
        case .phone: out.phone = value
        case .login: out.login = value
        case .externalID: out.login = value
        case .socialHandle, .socialUserID:
            var social = Switchboard_V1_SocialIdentity()
            let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            social.platform = parts.count == 2 ? String(parts[0]) : ""
            let account = parts.count == 2 ? String(parts[1]) : value
            if kind == .socialHandle { social.handle = account } else { social.userID = account }
            out.social = social
        }
        return out
    }
}

// MARK: - Skills

extension SkillRequirement {
    public init(wire: Switchboard_V1_SkillRequirement, field: @autoclosure () -> String) throws(SwitchboardError) {
        try WireValidation.checkRequired(wire.skill, max: 64, field: field() + ".skill")
        guard wire.minimumLevel <= 10 else {
            throw .invalidArgument("must be 1 to 10 (0 means 1), got \(wire.minimumLevel)", field: field() + ".minimum_level")
        }
        self.init(wire.skill, minimumLevel: max(1, Int(wire.minimumLevel)))
    }

    public var wire: Switchboard_V1_SkillRequirement {
        var out = Switchboard_V1_SkillRequirement()
        out.skill = skill
        out.minimumLevel = UInt32(minimumLevel)
        return out
    }

    /// A list of requirements (`required_skills`, `preferred_skills`), at most 8 entries (the router's limit), each skill once.
    public static func list(wire: [Switchboard_V1_SkillRequirement], field: String) throws(SwitchboardError) -> [SkillRequirement] {
        try WireValidation.checkCount(wire.count, max: 8, field: field)
        var out: [SkillRequirement] = []
        out.reserveCapacity(wire.count)
        for (i, w) in wire.enumerated() {
            let requirement = try SkillRequirement(wire: w, field: "\(field)[\(i)]")
            if out.contains(where: { $0.skill == requirement.skill }) {
                throw .invalidArgument("names skill `\(requirement.skill)` twice; list each skill once", field: "\(field)[\(i)].skill")
            }
            out.append(requirement)
        }
        return out
    }
}

// MARK: - Ingest requests

extension NewContact {
    /// A push, checked field by field against the limits in ingest.proto. Email headers count only
    /// on email contacts (the .proto says they are ignored elsewhere).
    public init(wire request: Switchboard_V1_PushContactRequest) throws(SwitchboardError) {
        let channel = try Channel(wire: request.channel)
        try WireValidation.checkCount(request.identifiers.count, max: 16, field: "identifiers")
        var identifiers: [RawIdentifier] = []
        identifiers.reserveCapacity(request.identifiers.count)
        for (i, w) in request.identifiers.enumerated() {
            identifiers.append(try RawIdentifier(wire: w, field: "identifiers[\(i)]"))
        }
        try WireValidation.checkLength(request.subject, max: 998, field: "subject")
        try WireValidation.checkLength(request.textPreview, max: 4096, field: "text_preview")
        try WireValidation.checkLength(request.language, max: 35, field: "language")
        guard request.priority <= 10 else {
            throw .invalidArgument("must be 1 (lowest) to 10 (highest), or 0 for the default; got \(request.priority)", field: "priority")
        }
        let required = try SkillRequirement.list(wire: request.requiredSkills, field: "required_skills")
        let preferred = try SkillRequirement.list(wire: request.preferredSkills, field: "preferred_skills")
        try WireValidation.checkLength(request.topic, max: 128, field: "topic")
        try WireValidation.checkLength(request.idempotencyKey, max: 256, field: "idempotency_key")
        try WireValidation.checkLength(request.preferredAgentID, max: 128, field: "preferred_agent_id")
        try WireValidation.checkCount(request.metadata.count, max: 32, field: "metadata")
        for (key, value) in request.metadata {
            try WireValidation.checkRequired(key, max: 64, field: "metadata key")
            try WireValidation.checkLength(value, max: 1024, field: "metadata[\(key)]")
        }
        var messageID: String?
        var inReplyTo: String?
        var references: [String] = []
        if channel == .email && request.hasEmail {
            let email = request.email
            try WireValidation.checkLength(email.messageID, max: 998, field: "email.message_id")
            try WireValidation.checkLength(email.inReplyTo, max: 998, field: "email.in_reply_to")
            try WireValidation.checkCount(email.references.count, max: 100, field: "email.references")
            for (i, r) in email.references.enumerated() {
                try WireValidation.checkLength(r, max: 998, field: "email.references[\(i)]")
            }
            messageID = WireValidation.optional(email.messageID)
            inReplyTo = WireValidation.optional(email.inReplyTo)
            references = email.references.filter { !$0.isEmpty }
        }
        self.init(
            channel: channel, identifiers: identifiers, subject: WireValidation.optional(request.subject),
            topic: WireValidation.optional(request.topic),
            caseReference: request.caseReference == 0 ? nil : CaseID(request.caseReference),
            messageID: messageID, inReplyTo: inReplyTo, references: references,
            idempotencyKey: WireValidation.optional(request.idempotencyKey),
            language: WireValidation.optional(request.language),
            priority: request.priority == 0 ? 5 : Int(request.priority),
            required: required, preferred: preferred,
            preferredAgent: request.preferredAgentID.isEmpty ? nil : AgentID(request.preferredAgentID))
    }
}

extension ContactUpdate {
    /// The fields an UpdateContact sets; unset fields stay as they are.
    public init(wire request: Switchboard_V1_UpdateContactRequest) throws(SwitchboardError) {
        var priority: Int?
        if request.hasPriority {
            guard (1...10).contains(request.priority) else {
                throw .invalidArgument("must be 1 (lowest) to 10 (highest), got \(request.priority)", field: "priority")
            }
            priority = Int(request.priority)
        }
        let required = request.hasRequiredSkills
            ? try SkillRequirement.list(wire: request.requiredSkills.skills, field: "required_skills.skills") : nil
        let preferred = request.hasPreferredSkills
            ? try SkillRequirement.list(wire: request.preferredSkills.skills, field: "preferred_skills.skills") : nil
        self.init(priority: priority, required: required, preferred: preferred)
    }
}

extension EndReason {
    public init(wire: Switchboard_V1_EndReason, field: @autoclosure () -> String = "reason") throws(SwitchboardError) {
        switch wire {
        case .abandoned: self = .abandoned
        case .selfServed: self = .selfServed
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument("must be END_REASON_ABANDONED or END_REASON_SELF_SERVED", field: field())
        }
    }

    public var wire: Switchboard_V1_EndReason {
        switch self {
        case .abandoned: .abandoned
        case .selfServed: .selfServed
        }
    }
}

/// A contact id field: 0 never names a contact.
public func wireContactID(_ raw: UInt64, field: String = "contact_id") throws(SwitchboardError) -> ContactID {
    guard raw != 0 else { throw .invalidArgument("is required (0 names no contact)", field: field) }
    return ContactID(raw)
}

// MARK: - Threading and receipts

extension ThreadingRule {
    public var wire: Switchboard_V1_ThreadingRule {
        switch self {
        case .explicitReference: .explicitReference
        case .emailReply: .emailReply
        case .subjectTag: .subjectTag
        case .openCase: .openCase
        case .reopened: .reopened
        case .newCase: .newCase
        }
    }
}

extension ThreadingDecision {
    public var wire: Switchboard_V1_ThreadingDecision {
        var out = Switchboard_V1_ThreadingDecision()
        out.rule = rule.wire
        out.reason = reason
        out.newCustomer = isNewCustomer
        out.newCase = isNewCase
        out.mergedCustomerIds = merges.map(\.absorbed.rawValue)
        out.foreignReplyRefused = refusedForeignCase != nil
        return out
    }
}

extension PushReceipt {
    /// The push's answer. `position` is the contact's place in line when it waits (nil when it was
    /// offered at once or is a duplicate that is no longer waiting); `decision` is the original
    /// decision for a duplicate, when the caller kept it.
    public func wire(position: QueuePosition?, decision: ThreadingDecision?) -> Switchboard_V1_PushContactResponse {
        var out = Switchboard_V1_PushContactResponse()
        out.contactID = contact.rawValue
        out.caseID = caseID.rawValue
        out.customerID = customer.rawValue
        if let d = threading.decision ?? decision { out.threading = d.wire }
        if case .duplicate = routing { out.replayed = true }
        if let position {
            out.queuePosition = UInt32(clamping: position.position)
            out.estimatedWaitMicros = position.estimatedWait?.microseconds ?? -1
        }
        return out
    }
}

// MARK: - Case history

extension ContactOutcome {
    public var wire: Switchboard_V1_ContactOutcome {
        switch self {
        case .pending: .open
        case .resolved: .resolved
        case .unresolved: .unresolved
        case .abandoned: .abandoned
        case .selfServed: .selfServed
        }
    }

    var disposition: String {
        switch self {
        case .resolved(let d), .unresolved(let d): d ?? ""
        case .pending, .abandoned, .selfServed: ""
        }
    }
}

extension HistoryEntry {
    public var wire: Switchboard_V1_CaseHistoryEntry {
        var out = Switchboard_V1_CaseHistoryEntry()
        out.contactID = contact.rawValue
        out.channel = channel.wire
        out.arrivedAtUnixMicros = at.microseconds
        out.subject = subject ?? ""
        out.handledByAgentID = agent?.rawValue ?? ""
        out.outcome = outcome.wire
        out.disposition = outcome.disposition
        out.endedAtUnixMicros = endedAt?.microseconds ?? 0
        return out
    }
}

extension CaseSummary {
    /// The case as Cases shows it; `history` supplies the subject of the first contact with one.
    public func wire(history: [HistoryEntry]) -> Switchboard_V1_CaseSummary {
        var out = Switchboard_V1_CaseSummary()
        out.caseID = id.rawValue
        out.customerID = customer.rawValue
        out.state = status.isOpen ? .open : .closed
        out.openedAtUnixMicros = openedAt.microseconds
        out.lastContactAtUnixMicros = (history.last?.at ?? lastActivity).microseconds
        out.closedAtUnixMicros = closedAt?.microseconds ?? 0
        out.subject = history.first(where: { $0.subject != nil })?.subject ?? ""
        out.contactCount = UInt32(clamping: contactCount)
        out.reopenCount = UInt32(clamping: reopenCount)
        var seen: [Channel] = []
        for entry in history where !seen.contains(entry.channel) { seen.append(entry.channel) }
        for channel in Channel.allCases where channels.contains(channel) && !seen.contains(channel) { seen.append(channel) }
        out.channels = seen.map(\.wire)
        return out
    }
}

extension Switchboard_V1_GetCaseResponse {
    public init(summary: CaseSummary, history: [HistoryEntry]) {
        self.init()
        details = summary.wire(history: history)
        self.history = history.map(\.wire)
    }
}

extension Switchboard_V1_FindCustomerResponse {
    /// The customer with its cases newest first (at most 100); `caseInfo` looks each case up.
    public init(customer: CustomerSummary, caseInfo: (CaseID) -> (CaseSummary, [HistoryEntry])?) {
        self.init()
        customerID = customer.id.rawValue
        identifiers = customer.identifiers.map(\.wire)
        firstSeenAtUnixMicros = customer.createdAt.microseconds
        for id in customer.cases.reversed().prefix(100) {
            if let (summary, history) = caseInfo(id) { cases.append(summary.wire(history: history)) }
        }
    }
}

extension Switchboard_V1_CustomerIdentifier {
    /// The identifier FindCustomer looks up, as the engine takes it.
    public func raw(field: String = "identifier") throws(SwitchboardError) -> RawIdentifier {
        try RawIdentifier(wire: self, field: field)
    }
}
