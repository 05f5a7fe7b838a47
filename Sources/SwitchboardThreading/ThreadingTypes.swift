import SwitchboardDomain

/// What threading needs to know about an arriving contact. Everything but the channel is optional:
/// a call may carry only a caller id, a web chat nothing at all.
public struct ThreadingInput: Hashable, Sendable {
    public var channel: Channel
    /// Identifiers as the adapter sent them (normalised by `thread`; errors name `identifiers[i]`).
    public var identifiers: [RawIdentifier]
    /// Email or social subject line; searched for the subject tag.
    public var subject: String?
    /// The adapter's topic or intent (`billing`, `delivery`). Keeps different problems apart: an open
    /// case with another topic does not absorb this contact.
    public var topic: String?
    /// A case the adapter says this contact belongs to (IVR case-number entry, a portal's case page).
    public var caseReference: CaseID?
    /// The email's own Message-ID (angle brackets optional). A second delivery of the same Message-ID
    /// is a duplicate.
    public var messageID: String?
    /// The email's In-Reply-To header.
    public var inReplyTo: String?
    /// The email's References header: message ids oldest first (a single string holding several
    /// space-separated ids is split).
    public var references: [String]
    /// The adapter's retry key: a second push with the same key returns the original contact.
    public var idempotencyKey: String?

    public init(
        channel: Channel, identifiers: [RawIdentifier] = [], subject: String? = nil, topic: String? = nil,
        caseReference: CaseID? = nil, messageID: String? = nil, inReplyTo: String? = nil,
        references: [String] = [], idempotencyKey: String? = nil
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
    }
}

/// The outcome of threading one contact: either it is a second delivery of a contact we already
/// have, or a decision about customer and case.
public enum ThreadingResult: Hashable, Sendable {
    /// The same contact again (idempotency key or email Message-ID seen before). Nothing was created
    /// or changed; the caller must answer with the original contact and not route anything.
    case duplicate(DuplicateDelivery)
    /// A new contact, threaded.
    case threaded(ThreadingDecision)

    /// The decision, when this was not a duplicate.
    public var decision: ThreadingDecision? {
        if case .threaded(let d) = self { return d }
        return nil
    }
}

/// A repeated delivery and the contact it repeats.
public struct DuplicateDelivery: Hashable, Sendable, CustomStringConvertible {
    public enum MatchedOn: String, Hashable, Sendable {
        case idempotencyKey, messageID
    }
    /// The contact first created for this delivery.
    public var original: ContactID
    public var caseID: CaseID
    /// The original's customer, as it is now (after any merges since).
    public var customer: CustomerID
    public var matchedOn: MatchedOn

    public var description: String {
        "duplicate of \(original) (same \(matchedOn == .idempotencyKey ? "idempotency key" : "email Message-ID"))"
    }
}

/// Which rule put a contact in its case. Rules are tried in this order.
public enum ThreadingRule: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The adapter named the case.
    case explicitReference
    /// In-Reply-To or a References id matched a Message-ID seen on the case.
    case emailReply
    /// The subject carried the case tag.
    case subjectTag
    /// The customer's open case, active within the open-case window, on any channel.
    case openCase
    /// The customer's case closed within the reopen window; it reopens.
    case reopened
    /// None of the above: a new case.
    case newCase

    public var description: String { rawValue }
}

/// A case a rule pointed at but that the contact did not join, and why. Carried in the decision so
/// the reason can name it ("reply to case-12, which belongs to another customer").
public struct PassedOverCase: Hashable, Sendable {
    public enum Why: String, Hashable, Sendable, CaseIterable {
        /// The case belongs to another customer: a reply from someone else does not silently join.
        case otherCustomer
        /// The case closed longer ago than the reopen window.
        case closedTooLongAgo
        /// The customer's open case has a different topic.
        case differentTopic
        /// The customer's open case has been quiet for longer than the open-case window.
        case inactiveTooLong
    }
    public var caseID: CaseID
    /// The rule whose match was passed over.
    public var rule: ThreadingRule
    public var why: Why
}

/// Two customers found to be one person. The absorbed customer's identifiers and cases now belong
/// to `into`; looking the absorbed id up returns `into`.
public struct MergeRecord: Hashable, Sendable, CustomStringConvertible {
    public var absorbed: CustomerID
    public var into: CustomerID
    public var at: Instant
    /// The identifier of the absorbed customer that the contact carried.
    public var identifier: Identifier
    /// The contact that linked them.
    public var contact: ContactID

    public var description: String { "\(absorbed) merged into \(into) on \(identifier) by \(contact) at \(at)" }
}

/// A merge the policy refused: the contact linked two customers but the identifier's rule said no.
public struct RefusedMerge: Hashable, Sendable, CustomStringConvertible {
    /// The customer the contact went to.
    public var kept: CustomerID
    /// The customer it was not merged with.
    public var other: CustomerID
    /// The other customer's identifier that the contact carried.
    public var identifier: Identifier
    /// The rule that refused (`never`, or `ifNoConflict` with a conflict).
    public var rule: MergeRule

    public var description: String {
        "not merged with \(other) on \(identifier) (\(identifier.kind) merge rule \(rule)\(rule == .ifNoConflict ? ": both hold identifiers of the same kind" : ""))"
    }
}

/// Where a contact went and why. The reason is assembled only when asked for, so keeping decisions
/// explainable costs nothing on the hot path.
///
/// A decision is made for every contact and carried in an engine event, so it is laid out to be
/// cheap to build and copy: the common fields are plain words, the optional ones are stored as
/// raw words with presence bits, and merges (rare) are boxed behind one reference that is nil for
/// almost every contact. The public properties are the same as ever.
public struct ThreadingDecision: Hashable, Sendable, CustomStringConvertible {
    public var contact: ContactID
    public var customer: CustomerID
    public var caseID: CaseID
    /// When the decision was made.
    public var at: Instant
    /// `caseLastActive` in microseconds, meaningful when `flags` has `caseLastActiveBit`.
    private var caseLastActiveRaw: Int64 = 0
    /// `passedOver`'s case, meaningful when `passedOverWhy` is not `noneRaw`.
    private var passedOverCase: CaseID = CaseID(0)
    /// Merges and refused merges; nil (no allocation, no reference counting) when there are none.
    var identityChanges: IdentityChanges?
    /// The match as a slice of the input header (no allocation on the hot path).
    var matchedMessage: Substring?
    public var rule: ThreadingRule
    private var flags: UInt8 = 0
    private var passedOverRule: ThreadingRule = .newCase
    private var passedOverWhy: UInt8 = ThreadingDecision.noneRaw

    private static let noneRaw: UInt8 = 0xFF
    private static let newCustomerBit: UInt8 = 1
    private static let newCaseBit: UInt8 = 2
    private static let reopenedBit: UInt8 = 4
    private static let anonymousBit: UInt8 = 8
    private static let caseLastActiveBit: UInt8 = 16

    /// A decision for `contact` before any rule has matched (rule `newCase`, no customer or case yet).
    init(contact: ContactID, isAnonymous: Bool, at: Instant) {
        self.contact = contact
        self.customer = CustomerID(0)
        self.caseID = CaseID(0)
        self.at = at
        self.rule = .newCase
        self.isAnonymous = isAnonymous
    }

    /// The decision for a contact that was routed without being threaded (see the engine's
    /// `recordsUnthreadableContacts`): no customer and no case (ids 0), rule `newCase`, anonymous.
    public static func unrecorded(contact: ContactID, at: Instant) -> ThreadingDecision {
        ThreadingDecision(contact: contact, isAnonymous: true, at: at)
    }

    @inline(__always) private func flag(_ bit: UInt8) -> Bool { flags & bit != 0 }
    @inline(__always) private mutating func setFlag(_ bit: UInt8, _ on: Bool) { flags = on ? flags | bit : flags & ~bit }

    /// The customer was created for this contact.
    public var isNewCustomer: Bool {
        get { flag(Self.newCustomerBit) }
        set { setFlag(Self.newCustomerBit, newValue) }
    }
    /// The case was created for this contact.
    public var isNewCase: Bool {
        get { flag(Self.newCaseBit) }
        set { setFlag(Self.newCaseBit, newValue) }
    }
    /// The contact reopened a closed case (rule `reopened`, or an explicit reference / reply /
    /// subject tag that named a closed case).
    public var reopened: Bool {
        get { flag(Self.reopenedBit) }
        set { setFlag(Self.reopenedBit, newValue) }
    }
    /// The contact carried no identifiers.
    public var isAnonymous: Bool {
        get { flag(Self.anonymousBit) }
        set { setFlag(Self.anonymousBit, newValue) }
    }
    /// For `emailReply`: the message id that matched.
    public var matchedMessageID: String? { matchedMessage.map(String.init) }
    /// For `openCase` / `reopened`: when the case was last active or closed.
    public var caseLastActive: Instant? {
        get { flag(Self.caseLastActiveBit) ? Instant(microseconds: caseLastActiveRaw) : nil }
        set {
            caseLastActiveRaw = newValue?.microseconds ?? 0
            setFlag(Self.caseLastActiveBit, newValue != nil)
        }
    }
    /// A case a rule pointed at that the contact did not join (see `PassedOverCase.Why`).
    public var passedOver: PassedOverCase? {
        get {
            guard passedOverWhy != Self.noneRaw else { return nil }
            return PassedOverCase(caseID: passedOverCase, rule: passedOverRule, why: PassedOverCase.Why.allCases[Int(passedOverWhy)])
        }
        set {
            if let newValue {
                passedOverCase = newValue.caseID
                passedOverRule = newValue.rule
                passedOverWhy = UInt8(PassedOverCase.Why.allCases.firstIndex(of: newValue.why) ?? 0)
            } else {
                passedOverCase = CaseID(0)
                passedOverRule = .newCase
                passedOverWhy = Self.noneRaw
            }
        }
    }
    /// Customers merged by this contact.
    public var merges: [MergeRecord] {
        get { identityChanges?.merges ?? [] }
        set { setIdentityChanges(merges: newValue, refused: refusedMerges) }
    }
    /// Merges the policy refused.
    public var refusedMerges: [RefusedMerge] {
        get { identityChanges?.refused ?? [] }
        set { setIdentityChanges(merges: merges, refused: newValue) }
    }

    private mutating func setIdentityChanges(merges: [MergeRecord], refused: [RefusedMerge]) {
        identityChanges = merges.isEmpty && refused.isEmpty ? nil : IdentityChanges(merges: merges, refused: refused)
    }

    /// A reply from someone who is not the case's customer was refused (the decision names the case).
    public var refusedForeignCase: CaseID? {
        if let p = passedOver, p.why == .otherCustomer { return p.caseID }
        return nil
    }

    /// One sentence saying why the contact went where it did.
    public var reason: String {
        var s: String
        switch rule {
        case .explicitReference:
            s = "the contact references \(caseID)"
        case .emailReply:
            s = "the email replies to message \(matchedMessageID ?? "?") of \(caseID)"
        case .subjectTag:
            s = "the subject carries the tag of \(caseID)"
        case .openCase:
            s = "\(customer)'s open case \(caseID) was active \(ThreadingDecision.ago(caseLastActive, at)) ago"
        case .reopened:
            s = "\(customer)'s case \(caseID) closed \(ThreadingDecision.ago(caseLastActive, at)) ago, within the reopen window"
        case .newCase:
            s = isAnonymous ? "anonymous contact (no identifiers): new case \(caseID)" : "no case to continue for \(customer): new case \(caseID)"
        }
        if reopened && rule != .reopened { s += ", which reopens" }
        if let p = passedOver {
            switch p.why {
            case .otherCustomer:
                s += "; refused \(p.caseID) (matched by \(p.rule)) because it belongs to another customer"
            case .closedTooLongAgo:
                s += "; \(p.caseID) (matched by \(p.rule)) closed longer ago than the reopen window"
            case .differentTopic:
                s += "; \(p.caseID) is about a different topic"
            case .inactiveTooLong:
                s += "; \(p.caseID) has been quiet longer than the open-case window"
            }
        }
        if isNewCustomer && !isAnonymous { s += "; new customer \(customer)" }
        for m in merges { s += "; merged \(m.absorbed) into \(m.into) on \(m.identifier)" }
        for r in refusedMerges { s += "; " + r.description }
        return s
    }

    public var description: String { "\(contact) → \(caseID) [\(rule)]: \(reason)" }

    static func ago(_ then: Instant?, _ now: Instant) -> String {
        guard let then else { return "?" }
        let seconds = (now - then).microseconds / 1_000_000
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        if seconds < 172_800 { return "\(seconds / 3600)h" }
        return "\(seconds / 86_400)d"
    }
}

/// A case's lifecycle. `reopened` is open again after having been closed; both `open` and
/// `reopened` take new contacts.
public enum CaseStatus: String, Hashable, Sendable, BitwiseCopyable {
    case open, reopened, closed

    @inlinable public var isOpen: Bool { self != .closed }
}

/// How a contact ended, as recorded in the case history.
public enum ContactOutcome: Hashable, Sendable, CustomStringConvertible {
    /// Still waiting or being handled.
    case pending
    /// An agent finished it and the problem is solved: the case closes.
    case resolved(disposition: String?)
    /// An agent finished it but the problem is not solved: the case stays open.
    case unresolved(disposition: String?)
    /// The customer left before an agent answered.
    case abandoned
    /// Resolved in self-service (IVR, bot) before reaching an agent: the case closes.
    case selfServed

    public var closesCase: Bool {
        switch self {
        case .resolved, .selfServed: true
        case .pending, .unresolved, .abandoned: false
        }
    }

    public var description: String {
        switch self {
        case .pending: "pending"
        case .resolved(let d): d.map { "resolved (\($0))" } ?? "resolved"
        case .unresolved(let d): d.map { "unresolved (\($0))" } ?? "unresolved"
        case .abandoned: "abandoned"
        case .selfServed: "self-served"
        }
    }
}

/// One contact in a case's history, as an agent sees it in the offer: channel, time, subject, who
/// handled it, outcome.
public struct HistoryEntry: Hashable, Sendable {
    public var contact: ContactID
    public var channel: Channel
    public var at: Instant
    public var subject: String?
    public var topic: String?
    /// The agent who handled it, once one did.
    public var agent: AgentID?
    public var handledAt: Instant?
    public var outcome: ContactOutcome
    public var endedAt: Instant?
}

/// A case as callers see it.
public struct CaseSummary: Hashable, Sendable {
    public var id: CaseID
    public var customer: CustomerID
    public var status: CaseStatus
    public var topic: String?
    public var openedAt: Instant
    public var lastActivity: Instant
    public var closedAt: Instant?
    public var reopenCount: Int
    /// Channels the case has seen contacts on.
    public var channels: Set<Channel>
    public var contactCount: Int
}

/// A customer as callers see it.
public struct CustomerSummary: Hashable, Sendable {
    public var id: CustomerID
    public var identifiers: [Identifier]
    /// Every case, oldest first.
    public var cases: [CaseID]
    /// Customers merged into this one.
    public var absorbed: [CustomerID]
    public var createdAt: Instant
}

/// A decision's merges and refused merges, behind one reference: a contact that links customers
/// is rare, and every other decision then carries a single nil word instead of two arrays.
final class IdentityChanges: Hashable, Sendable {
    let merges: [MergeRecord]
    let refused: [RefusedMerge]

    init(merges: [MergeRecord], refused: [RefusedMerge]) {
        self.merges = merges
        self.refused = refused
    }

    static func == (a: IdentityChanges, b: IdentityChanges) -> Bool { a === b || (a.merges == b.merges && a.refused == b.refused) }

    func hash(into hasher: inout Hasher) {
        hasher.combine(merges)
        hasher.combine(refused)
    }
}
