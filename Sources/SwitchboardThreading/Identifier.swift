import SwitchboardDomain

/// The kinds of identifier a customer can be known by. Each kind has its own normalisation and its
/// own merge rule (see `MergePolicy`), because they differ in how much they prove: a login or a CRM id
/// names one person, a phone number is often shared by a household or an office.
public enum IdentifierKind: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// An email address: trimmed and case-folded.
    case email
    /// A phone number in E.164 (`+14155550100`).
    case phone
    /// A public handle on a social platform (`twitter:@alice` is stored as `twitter:alice`). Handles
    /// can be renamed and recycled, so they prove less than the platform's user id.
    case socialHandle
    /// A platform's stable numeric or opaque user id (`twitter:#1234567`).
    case socialUserID
    /// A login on our own chat or web portal: trimmed, case-folded.
    case login
    /// The customer's id in an external system (CRM, billing): trimmed, case kept.
    case externalID

    /// How strongly an identifier of this kind names one person; the strongest identifier a contact
    /// carries decides which customer it belongs to when its identifiers point at several.
    /// Order: externalID > login > email > socialUserID > socialHandle > phone.
    @inlinable public var strength: Int {
        switch self {
        case .externalID: 5
        case .login: 4
        case .email: 3
        case .socialUserID: 2
        case .socialHandle: 1
        case .phone: 0
        }
    }

    /// A bit for per-customer kind masks (which kinds a customer holds at least one identifier of).
    @inlinable var bit: UInt8 { 1 << UInt8(strength) }

    public var description: String { rawValue }
}

/// A normalised identifier: one key in the directory's identifier index. Two identifiers are equal
/// exactly when they name the same address, number, handle or id, whatever spelling the adapter sent.
///
/// The canonical `value` is: email `alice@example.com`; phone `+442079460958`; social handle
/// `twitter:alice`; social user id `twitter:1234567`; login `alice`; external id `CRM-991`.
/// Build one from adapter input with `Identifier.normalise(_:defaultCountry:field:)`.
public struct Identifier: Hashable, Sendable, CustomStringConvertible {
    public let kind: IdentifierKind
    public let value: String
    /// The hash, computed once. Swift's dictionaries compare keys along a probe sequence; comparing
    /// this first means a probe touches the text (a cache miss at a million customers) only on a
    /// real match.
    let hashCode: Int

    /// Wraps an already-canonical value. Use `normalise` for anything that came from outside.
    public init(uncheckedKind kind: IdentifierKind, value: String) {
        self.kind = kind
        self.value = value
        var h = Hasher()
        h.combine(kind)
        h.combine(value)
        self.hashCode = h.finalize()
    }

    public static func == (a: Identifier, b: Identifier) -> Bool {
        a.hashCode == b.hashCode && a.kind == b.kind && a.value == b.value
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hashCode) }

    public var description: String { "\(kind.rawValue):\(value)" }

    /// An email address, normalised. Throws `invalidArgument` naming `field` when it is not one.
    public static func email(_ raw: String, field: @autoclosure () -> String = "email") throws(SwitchboardError) -> Identifier {
        Identifier(uncheckedKind: .email, value: try IdentifierNormaliser.email(raw, field: field()))
    }

    /// A phone number normalised to E.164; national numbers are read in `defaultCountry`.
    public static func phone(
        _ raw: String, defaultCountry: PhoneCountry = .unitedStates, field: @autoclosure () -> String = "phone"
    ) throws(SwitchboardError) -> Identifier {
        Identifier(uncheckedKind: .phone, value: try PhoneNumberNormaliser.e164(raw, defaultCountry: defaultCountry, field: field()))
    }

    /// Normalises what an adapter sent. `field` names the request field in errors
    /// (`identifiers[2].phone`); it is built only when there is an error.
    public static func normalise(
        _ raw: RawIdentifier, defaultCountry: PhoneCountry, field: @autoclosure () -> String
    ) throws(SwitchboardError) -> Identifier {
        switch raw {
        case .email(let s):
            return Identifier(uncheckedKind: .email, value: try IdentifierNormaliser.email(s, field: field() + ".email"))
        case .phone(let s):
            return Identifier(
                uncheckedKind: .phone,
                value: try PhoneNumberNormaliser.e164(s, defaultCountry: defaultCountry, field: field() + ".phone"))
        case .socialHandle(let platform, let handle):
            let p = try IdentifierNormaliser.platform(platform, field: field() + ".social.platform")
            let h = try IdentifierNormaliser.handle(handle, field: field() + ".social.handle")
            return Identifier(uncheckedKind: .socialHandle, value: p + ":" + h)
        case .socialUserID(let platform, let id):
            let p = try IdentifierNormaliser.platform(platform, field: field() + ".social.platform")
            let i = try IdentifierNormaliser.opaque(id, field: field() + ".social.userId", caseFold: false)
            return Identifier(uncheckedKind: .socialUserID, value: p + ":" + i)
        case .login(let s):
            return Identifier(uncheckedKind: .login, value: try IdentifierNormaliser.opaque(s, field: field() + ".login", caseFold: true))
        case .externalID(let s):
            return Identifier(
                uncheckedKind: .externalID, value: try IdentifierNormaliser.opaque(s, field: field() + ".externalId", caseFold: false))
        }
    }
}

/// An identifier as a channel adapter sends it, before normalisation: `" Alice@Example.COM "`,
/// `"(415) 555-0100"`, `("Twitter", "@Alice")`.
public enum RawIdentifier: Hashable, Sendable {
    case email(String)
    case phone(String)
    case socialHandle(platform: String, handle: String)
    case socialUserID(platform: String, id: String)
    case login(String)
    case externalID(String)
}

/// Normalisation of the text identifiers. ASCII input that is already canonical is returned as is
/// (no allocation): that is the common case and it sits on the hot path of every contact.
enum IdentifierNormaliser {
    static let maxEmailLength = 254
    static let maxOpaqueLength = 256

    @inline(__always) static func isASCIIWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    /// Trims ASCII and Unicode whitespace. Returns the input itself when there is nothing to trim.
    static func trimmed(_ s: String) -> Substring {
        var start = s.startIndex
        var end = s.endIndex
        while start < end, s[start].isWhitespace { start = s.index(after: start) }
        while end > start {
            let before = s.index(before: end)
            if s[before].isWhitespace { end = before } else { break }
        }
        return s[start..<end]
    }

    /// Emails: trimmed, `mailto:` and a `Name <...>` wrapper removed, case-folded (lower-cased, which is
    /// what every real mail provider does with the local part too). Requires one `@`, a non-empty local
    /// part and a domain of letters, digits, dots and hyphens (or non-ASCII for IDNs).
    static func email(_ raw: String, field makeField: @autoclosure () -> String) throws(SwitchboardError) -> String {
        var field: String { makeField() }
        // Fast path: printable ASCII, no uppercase, nothing to trim or unwrap.
        var fast = true
        var ats = 0
        for b in raw.utf8 {
            if b <= 0x20 || b >= 0x7F || (b >= 0x41 && b <= 0x5A) || b == 0x3C || b == 0x3E { fast = false; break }
            if b == 0x40 { ats += 1 }
        }
        var s: Substring
        if fast && ats == 1 && !raw.utf8.starts(with: "mailto:".utf8) {
            s = raw[...]
        } else {
            s = trimmed(raw)
            if let lt = s.lastIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt {
                s = s[s.index(after: lt)..<gt]
                s = trimmed(String(s))[...]
            }
            if s.utf8.count >= 7, s.prefix(7).lowercased() == "mailto:" { s = s.dropFirst(7) }
            fast = false
        }
        // Structural checks on bytes: Character-level searching costs microseconds per address.
        let u = s.utf8
        if u.isEmpty {
            throw .invalidArgument("\(field) is empty: send the customer's email address, e.g. alice@example.com", field: field)
        }
        if u.count > maxEmailLength {
            throw .invalidArgument("\(field) is longer than \(maxEmailLength) bytes: that is not an email address", field: field)
        }
        guard let at = u.firstIndex(of: 0x40), u.lastIndex(of: 0x40) == at else {
            throw .invalidArgument("\(field) '\(s)' is not an email address: it needs exactly one '@'", field: field)
        }
        let local = u[u.startIndex..<at]
        let domain = u[u.index(after: at)...]
        if local.isEmpty || domain.isEmpty {
            throw .invalidArgument("\(field) '\(s)' is not an email address: it needs a name before and a domain after '@'", field: field)
        }
        for b in local where b <= 0x20 || b == 0x7F || b == 0x22 || b == 0x28 || b == 0x29 || b == 0x2C
            || b == 0x3A || b == 0x3B || b == 0x3C || b == 0x3E || b == 0x5B || b == 0x5C || b == 0x5D
        {
            throw .invalidArgument("\(field) '\(s)' is not an email address: the part before '@' contains a space or one of \"(),:;<>[\\]", field: field)
        }
        var previous: UInt8 = 0x2E  // a leading dot is an empty label
        for b in domain {
            if b == 0x2E, previous == 0x2E {
                throw .invalidArgument("\(field) '\(s)' is not an email address: the domain has an empty label", field: field)
            }
            if !(b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D) {
                throw .invalidArgument("\(field) '\(s)' is not an email address: the domain may hold only letters, digits, '.' and '-'", field: field)
            }
            previous = b
        }
        if previous == 0x2E {
            throw .invalidArgument("\(field) '\(s)' is not an email address: the domain has an empty label", field: field)
        }
        if fast { return raw }
        return s.lowercased()
    }

    /// Social platform names: trimmed, lower-cased, letters/digits/`.`/`-`/`_` only (`twitter`, `x`,
    /// `facebook`, `whatsapp`), so `Twitter` and ` twitter ` are one platform.
    static func platform(_ raw: String, field makeField: @autoclosure () -> String) throws(SwitchboardError) -> String {
        var field: String { makeField() }
        let s = trimmed(raw)
        if s.isEmpty { throw .invalidArgument("\(field) is empty: name the platform, e.g. twitter", field: field) }
        if s.utf8.count > 64 { throw .invalidArgument("\(field) is longer than 64 bytes", field: field) }
        for b in s.utf8 where !((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D || b == 0x5F) {
            throw .invalidArgument("\(field) '\(s)' may hold only letters, digits, '.', '-' and '_'", field: field)
        }
        return s.lowercased()
    }

    /// Handles: trimmed, one leading `@` dropped, case-folded (handles on the major platforms are
    /// case-insensitive), no inner whitespace.
    static func handle(_ raw: String, field makeField: @autoclosure () -> String) throws(SwitchboardError) -> String {
        var field: String { makeField() }
        var s = trimmed(raw)
        if s.first == "@" { s = s.dropFirst() }
        if s.isEmpty { throw .invalidArgument("\(field) is empty: send the handle, e.g. @alice", field: field) }
        if s.utf8.count > maxOpaqueLength { throw .invalidArgument("\(field) is longer than \(maxOpaqueLength) bytes", field: field) }
        if s.contains(where: \.isWhitespace) {
            throw .invalidArgument("\(field) '\(s)' contains whitespace: a handle is one word", field: field)
        }
        return s.lowercased()
    }

    /// Logins, external ids and platform user ids: trimmed, no control characters, at most 256 bytes;
    /// logins are case-folded, ids keep their case (`AB12` and `ab12` may be two CRM records).
    static func opaque(_ raw: String, field makeField: @autoclosure () -> String, caseFold: Bool) throws(SwitchboardError) -> String {
        var field: String { makeField() }
        var clean = true
        for b in raw.utf8 where b <= 0x20 || b >= 0x7F || (caseFold && b >= 0x41 && b <= 0x5A) {
            clean = false
            break
        }
        if clean, !raw.isEmpty, raw.utf8.count <= maxOpaqueLength { return raw }
        let s = trimmed(raw)
        if s.isEmpty { throw .invalidArgument("\(field) is empty: send the id or leave the identifier out", field: field) }
        if s.utf8.count > maxOpaqueLength { throw .invalidArgument("\(field) is longer than \(maxOpaqueLength) bytes", field: field) }
        for scalar in s.unicodeScalars where scalar.properties.generalCategory == .control {
            throw .invalidArgument("\(field) contains a control character", field: field)
        }
        return caseFold ? s.lowercased() : String(s)
    }
}
