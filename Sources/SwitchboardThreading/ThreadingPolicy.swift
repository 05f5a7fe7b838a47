import SwitchboardDomain

/// When a contact carries identifiers that belong to two different known customers, whether the
/// directory merges those customers into one.
///
/// The rule that applies to a merge is the *stricter* of the rules of the two identifier kinds that
/// link the customers (the strongest identifier of each customer the contact carries), so a phone
/// number set to `never` cannot glue anyone to anyone, whatever it is paired with.
public enum MergeRule: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The identifier never merges customers. The contact goes to the customer matched by its
    /// strongest identifier; the others keep their identifiers and history, and the decision lists
    /// the refused merge.
    case never
    /// Merge only when the two customers are not evidently different people: they do not both already
    /// hold an identifier of the same kind (two different email addresses, two different phone
    /// numbers...). This is the household guard: a spouse calling from the shared landline with her
    /// own email address is not glued to her husband, who has his own email address.
    case ifNoConflict
    /// Merge whenever the contact links them (the identifier proves one person: a login, a CRM id).
    case always

    /// Higher is stricter: `never` > `ifNoConflict` > `always`.
    @inlinable var strictness: Int {
        switch self {
        case .always: 0
        case .ifNoConflict: 1
        case .never: 2
        }
    }

    public var description: String { rawValue }
}

/// The merge rule for each identifier kind. Defaults: email, login, external id and platform user id
/// `always` (each names one person); social handle `ifNoConflict` (handles get renamed and recycled);
/// phone `ifNoConflict` (households and offices share lines).
public struct MergePolicy: Hashable, Sendable, Codable {
    public var email: MergeRule = .always
    public var phone: MergeRule = .ifNoConflict
    public var socialHandle: MergeRule = .ifNoConflict
    public var socialUserID: MergeRule = .always
    public var login: MergeRule = .always
    public var externalID: MergeRule = .always

    public init() {}

    public subscript(kind: IdentifierKind) -> MergeRule {
        get {
            switch kind {
            case .email: email
            case .phone: phone
            case .socialHandle: socialHandle
            case .socialUserID: socialUserID
            case .login: login
            case .externalID: externalID
            }
        }
        set {
            switch kind {
            case .email: email = newValue
            case .phone: phone = newValue
            case .socialHandle: socialHandle = newValue
            case .socialUserID: socialUserID = newValue
            case .login: login = newValue
            case .externalID: externalID = newValue
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case email, phone, socialHandle = "social_handle", socialUserId = "social_user_id", login, externalId = "external_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        email = try c.decodeIfPresent(MergeRule.self, forKey: .email) ?? email
        phone = try c.decodeIfPresent(MergeRule.self, forKey: .phone) ?? phone
        socialHandle = try c.decodeIfPresent(MergeRule.self, forKey: .socialHandle) ?? socialHandle
        socialUserID = try c.decodeIfPresent(MergeRule.self, forKey: .socialUserId) ?? socialUserID
        login = try c.decodeIfPresent(MergeRule.self, forKey: .login) ?? login
        externalID = try c.decodeIfPresent(MergeRule.self, forKey: .externalId) ?? externalID
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(email, forKey: .email)
        try c.encode(phone, forKey: .phone)
        try c.encode(socialHandle, forKey: .socialHandle)
        try c.encode(socialUserID, forKey: .socialUserId)
        try c.encode(login, forKey: .login)
        try c.encode(externalID, forKey: .externalId)
    }
}

/// The case tag written into email subjects so that a customer's reply finds its case even when
/// their mail client drops the In-Reply-To and References headers. Written as a template with one
/// `{case}` placeholder for the case number: the default `[#SB-{case}]` renders `[#SB-1234]`.
/// Matching is ASCII case-insensitive (`[#sb-1234]` matches), and the number must be digits only.
public struct SubjectTagFormat: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Text before the case number (`[#SB-`). Never empty.
    public let prefix: String
    /// Text after the case number (`]`). May be empty, then the number ends at the first non-digit.
    public let suffix: String

    public static let placeholder = "{case}"
    public static let `default` = SubjectTagFormat(prefix: "[#SB-", suffix: "]")

    init(prefix: String, suffix: String) {
        self.prefix = prefix
        self.suffix = suffix
    }

    /// Parses a template such as `[#SB-{case}]` or `(Ticket {case})`.
    public init(template: String) throws(SwitchboardError) {
        let parts = template.split(separator: SubjectTagFormat.placeholder, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidArgument(
                "subject tag template '\(template)' must contain \(SubjectTagFormat.placeholder) exactly once, e.g. [#SB-{case}]",
                field: "subjectTag")
        }
        guard let last = parts[0].last, !last.isNumber else {
            throw .invalidArgument(
                "subject tag template '\(template)' needs fixed text before \(SubjectTagFormat.placeholder) that does not end in a digit, e.g. [#SB-{case}]",
                field: "subjectTag")
        }
        self.init(prefix: String(parts[0]), suffix: String(parts[1]))
    }

    public var template: String { prefix + SubjectTagFormat.placeholder + suffix }
    public var description: String { template }

    /// The tag for a case, to put in the subject of outgoing email.
    public func tag(for caseID: CaseID) -> String { prefix + String(caseID.rawValue) + suffix }

    /// Every case number tagged in `subject`, in order of appearance. Allocation-free when there is no
    /// tag (the common case).
    public func caseNumbers(in subject: String) -> [UInt64] {
        var found: [UInt64] = []
        var subject = subject
        var prefix = self.prefix
        var suffix = self.suffix
        subject.withUTF8 { s in
            prefix.withUTF8 { p in
                suffix.withUTF8 { x in
                    guard let p0 = p.first, s.count >= p.count else { return }
                    let lowP0 = SubjectTagFormat.lowerASCII(p0)
                    var i = 0
                    while i + p.count <= s.count {
                        guard SubjectTagFormat.lowerASCII(s[i]) == lowP0, SubjectTagFormat.matches(s, at: i, p) else {
                            i += 1
                            continue
                        }
                        var k = i + p.count
                        var number: UInt64 = 0
                        var digits = 0
                        while k < s.count, s[k] >= 0x30, s[k] <= 0x39, digits < 19 {
                            number = number * 10 + UInt64(s[k] - 0x30)
                            digits += 1
                            k += 1
                        }
                        if digits > 0, k + x.count <= s.count, SubjectTagFormat.matches(s, at: k, x) {
                            found.append(number)
                            i = k + x.count
                        } else {
                            i += 1
                        }
                    }
                }
            }
        }
        return found
    }

    /// ASCII case-insensitive comparison of `needle` with `haystack` at `offset` (bounds checked by the caller).
    @inline(__always) static func matches(_ haystack: UnsafeBufferPointer<UInt8>, at offset: Int, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        for j in 0..<needle.count where lowerASCII(haystack[offset + j]) != lowerASCII(needle[j]) { return false }
        return true
    }

    @inline(__always) static func lowerASCII(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let template = try c.decode(String.self)
        do {
            try self.init(template: template)
        } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(template)
    }
}

/// How contacts thread into cases and customers merge. Every key has a default; see each property.
public struct ThreadingPolicy: Hashable, Sendable, Codable {
    /// ISO 3166 country whose national phone format is assumed when a number has no `+` or
    /// international prefix. Must be in `PhoneCountry.known`. Default `US`.
    public var defaultCountry: PhoneCountry = .unitedStates
    /// A customer's open case joins a new contact (on any channel) when its last contact was at most
    /// this long ago: the Monday email and the Wednesday call are one case. Default 7 days.
    public var openCaseWindow: Span = .days(7)
    /// A case closed at most this long ago reopens when the customer comes back about it, instead of
    /// starting a new case. Default 3 days.
    public var reopenWindow: Span = .days(3)
    /// The subject tag format. Default `[#SB-{case}]`.
    public var subjectTag: SubjectTagFormat = .default
    /// Merge rules per identifier kind (see `MergePolicy`).
    public var merge: MergePolicy = MergePolicy()
    /// How long an idempotency key is remembered: a retry within this span returns the original
    /// contact; after it the key may be reused. Default 24 hours.
    public var idempotencyRetention: Span = .hours(24)
    /// Whether a contact with no identifiers at all may join the case it explicitly references (an IVR
    /// that took the case number and a PIN vouches for the caller). Replies and subject tags from
    /// anonymous contacts never join. Default true.
    public var anonymousMayUseCaseReference: Bool = true

    public init() {}

    /// YAML keys are snake_case, like the rest of the policy.
    enum CodingKeys: String, CodingKey {
        case defaultCountry = "default_country", openCaseWindow = "open_case_window", reopenWindow = "reopen_window"
        case subjectTag = "subject_tag", merge, idempotencyRetention = "idempotency_retention"
        case anonymousMayUseCaseReference = "anonymous_may_use_case_reference"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if let iso = try c.decodeIfPresent(String.self, forKey: .defaultCountry) {
            guard let country = PhoneCountry.named(iso) else {
                let names = PhoneCountry.known.map(\.isoCode).joined(separator: ", ")
                throw DecodingError.dataCorruptedError(
                    forKey: .defaultCountry, in: c, debugDescription: "unknown country '\(iso)'; known: \(names)")
            }
            defaultCountry = country
        }
        openCaseWindow = try c.decodeIfPresent(Span.self, forKey: .openCaseWindow) ?? openCaseWindow
        reopenWindow = try c.decodeIfPresent(Span.self, forKey: .reopenWindow) ?? reopenWindow
        subjectTag = try c.decodeIfPresent(SubjectTagFormat.self, forKey: .subjectTag) ?? subjectTag
        merge = try c.decodeIfPresent(MergePolicy.self, forKey: .merge) ?? merge
        idempotencyRetention = try c.decodeIfPresent(Span.self, forKey: .idempotencyRetention) ?? idempotencyRetention
        anonymousMayUseCaseReference =
            try c.decodeIfPresent(Bool.self, forKey: .anonymousMayUseCaseReference) ?? anonymousMayUseCaseReference
        for (key, span) in [(CodingKeys.openCaseWindow, openCaseWindow), (.reopenWindow, reopenWindow), (.idempotencyRetention, idempotencyRetention)]
        where span < .zero {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must not be negative")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(defaultCountry.isoCode, forKey: .defaultCountry)
        try c.encode(openCaseWindow, forKey: .openCaseWindow)
        try c.encode(reopenWindow, forKey: .reopenWindow)
        try c.encode(subjectTag, forKey: .subjectTag)
        try c.encode(merge, forKey: .merge)
        try c.encode(idempotencyRetention, forKey: .idempotencyRetention)
        try c.encode(anonymousMayUseCaseReference, forKey: .anonymousMayUseCaseReference)
    }
}
