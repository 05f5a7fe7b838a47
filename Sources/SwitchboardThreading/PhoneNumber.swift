import SwitchboardDomain

/// A country's dialling rules, enough to turn what people type into E.164: its calling code, the
/// trunk prefix dialled before national numbers (`0` in the UK, `1` in North America, none in Spain),
/// the international prefix dialled before a foreign calling code (`00`, `011`, `0011`...), and the
/// length range of its national significant numbers (the digits after the calling code).
///
/// Switchboard ships a compact table of common countries (`PhoneCountry.known`); numbers written
/// with `+` or an international prefix are accepted for every calling code (checked against E.164's
/// length rule only when the code is not in the table). The table: US, CA (NANP, `+1`), GB, IE, FR,
/// DE, ES, IT, NL, BE, PT, CH, AT, SE, NO, DK, FI, PL, AU, NZ, IN, JP, CN, BR, MX, ZA, SG, HK, AE, IL.
/// Length ranges are deliberately generous (they reject typos such as a missing digit in a NANP
/// number or a 20-digit string, not rare short service numbers).
public struct PhoneCountry: Hashable, Sendable, CustomStringConvertible {
    /// ISO 3166-1 alpha-2 code, upper case (`GB`).
    public var isoCode: String
    /// Country calling code digits without `+` (`44`).
    public var callingCode: String
    /// The national trunk prefix, when the country has one (`0`).
    public var trunkPrefix: String?
    /// The prefix dialled from this country to reach another (`00`; `011` in NANP).
    public var internationalPrefix: String
    /// Allowed lengths of the national significant number.
    public var nationalLengths: ClosedRange<Int>

    public init(isoCode: String, callingCode: String, trunkPrefix: String?, internationalPrefix: String, nationalLengths: ClosedRange<Int>) {
        self.isoCode = isoCode
        self.callingCode = callingCode
        self.trunkPrefix = trunkPrefix
        self.internationalPrefix = internationalPrefix
        self.nationalLengths = nationalLengths
    }

    public var description: String { isoCode }

    public static let unitedStates = PhoneCountry(isoCode: "US", callingCode: "1", trunkPrefix: "1", internationalPrefix: "011", nationalLengths: 10...10)
    public static let unitedKingdom = PhoneCountry(isoCode: "GB", callingCode: "44", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 7...10)

    /// The compact table (see the type's documentation for the list).
    public static let known: [PhoneCountry] = [
        unitedStates,
        PhoneCountry(isoCode: "CA", callingCode: "1", trunkPrefix: "1", internationalPrefix: "011", nationalLengths: 10...10),
        unitedKingdom,
        PhoneCountry(isoCode: "IE", callingCode: "353", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 7...9),
        PhoneCountry(isoCode: "FR", callingCode: "33", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "DE", callingCode: "49", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 6...13),
        PhoneCountry(isoCode: "ES", callingCode: "34", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "IT", callingCode: "39", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 6...11),
        PhoneCountry(isoCode: "NL", callingCode: "31", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "BE", callingCode: "32", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 8...9),
        PhoneCountry(isoCode: "PT", callingCode: "351", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "CH", callingCode: "41", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "AT", callingCode: "43", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 4...13),
        PhoneCountry(isoCode: "SE", callingCode: "46", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 6...10),
        PhoneCountry(isoCode: "NO", callingCode: "47", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 8...8),
        PhoneCountry(isoCode: "DK", callingCode: "45", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 8...8),
        PhoneCountry(isoCode: "FI", callingCode: "358", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 5...12),
        PhoneCountry(isoCode: "PL", callingCode: "48", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "AU", callingCode: "61", trunkPrefix: "0", internationalPrefix: "0011", nationalLengths: 6...10),
        PhoneCountry(isoCode: "NZ", callingCode: "64", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 8...10),
        PhoneCountry(isoCode: "IN", callingCode: "91", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 10...10),
        PhoneCountry(isoCode: "JP", callingCode: "81", trunkPrefix: "0", internationalPrefix: "010", nationalLengths: 9...10),
        PhoneCountry(isoCode: "CN", callingCode: "86", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 9...11),
        PhoneCountry(isoCode: "BR", callingCode: "55", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 10...11),
        PhoneCountry(isoCode: "MX", callingCode: "52", trunkPrefix: nil, internationalPrefix: "00", nationalLengths: 10...10),
        PhoneCountry(isoCode: "ZA", callingCode: "27", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 9...9),
        PhoneCountry(isoCode: "SG", callingCode: "65", trunkPrefix: nil, internationalPrefix: "000", nationalLengths: 8...8),
        PhoneCountry(isoCode: "HK", callingCode: "852", trunkPrefix: nil, internationalPrefix: "001", nationalLengths: 8...8),
        PhoneCountry(isoCode: "AE", callingCode: "971", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 8...9),
        PhoneCountry(isoCode: "IL", callingCode: "972", trunkPrefix: "0", internationalPrefix: "00", nationalLengths: 8...9),
    ]

    /// The table entry for an ISO code (case-insensitive), or nil when the country is not in the table.
    public static func named(_ isoCode: String) -> PhoneCountry? {
        let code = isoCode.uppercased()
        return known.first { $0.isoCode == code }
    }

    /// The table entry whose calling code starts `digits` (first match in the table wins, so `+1` reads
    /// as the US entry; US and CA share every NANP rule).
    static func forInternational<C: Collection<UInt8>>(_ digits: C) -> PhoneCountry? {
        for country in known where digits.starts(with: country.callingCode.utf8) { return country }
        return nil
    }
}

/// Turns what people type into E.164 (`+` then 7 to 15 digits, the first not 0).
///
/// Accepted: `+44 20 7946 0958`, `+44 (0)20 7946 0958` (the UK habit of writing the trunk prefix in
/// brackets), `00 44 20 7946 0958` and the default country's own international prefix (`011 44 ...` in
/// NANP), national numbers with or without the trunk prefix (`020 7946 0958`, `(415) 555-0100`,
/// `1-415-555-0100`), separators space, `-`, `.`, `/`, `(`, `)`, and a `tel:` scheme. Rejected, with an
/// error naming the field: letters (vanity numbers and extensions are not caller ids), a `+` anywhere
/// but first, no digits, a national number of the wrong length for the default country, an E.164
/// number that is too short or too long.
enum PhoneNumberNormaliser {
    static func e164(_ raw: String, defaultCountry: PhoneCountry, field makeField: @autoclosure () -> String) throws(SwitchboardError) -> String {
        var field: String { makeField() }
        if isCanonical(raw) { return raw }
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var sawPlus = false
        var sawAnything = false
        var bytes = Substring(raw).utf8[...]
        // Drop a tel: scheme.
        while let f = bytes.first, f == 0x20 || f == 0x09 { bytes = bytes.dropFirst() }
        if bytes.count >= 4, zip(bytes.prefix(4), "tel:".utf8).allSatisfy({ $0 | 0x20 == $1 }) { bytes = bytes.dropFirst(4) }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            switch b {
            case 0x30...0x39:
                digits.append(b)
                sawAnything = true
            case 0x2B:  // +
                if sawAnything || sawPlus {
                    throw .invalidArgument("\(field) '\(raw)': '+' may appear only at the start of a phone number", field: field)
                }
                sawPlus = true
            case 0x28:  // "(0)" after a calling code is a written-out trunk prefix: skip it.
                let rest = bytes[i...]
                if sawPlus, rest.starts(with: "(0)".utf8) {
                    i = bytes.index(i, offsetBy: 3)
                    continue
                }
            case 0x20, 0x09, 0x2D, 0x2E, 0x2F, 0x29, 0x0A, 0x0D:
                break
            case 0xC2 where bytes.index(after: i) < bytes.endIndex && bytes[bytes.index(after: i)] == 0xA0:
                i = bytes.index(after: i)  // U+00A0 no-break space, which copy-paste loves
            default:
                if b == 0x23 || (b < 0x80 && (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) {
                    throw .invalidArgument(
                        "\(field) '\(raw)' contains letters or '#': send the number alone, without an extension or letters",
                        field: field)
                }
                throw .invalidArgument("\(field) '\(raw)' contains a character that is not part of a phone number", field: field)
            }
            i = bytes.index(after: i)
        }
        if digits.isEmpty {
            throw .invalidArgument("\(field) '\(raw)' has no digits: send a phone number such as +14155550100", field: field)
        }
        var international: ArraySlice<UInt8>
        if sawPlus {
            international = digits[...]
        } else if digits.starts(with: defaultCountry.internationalPrefix.utf8) {
            international = digits.dropFirst(defaultCountry.internationalPrefix.utf8.count)
        } else if defaultCountry.internationalPrefix != "00", digits.starts(with: "00".utf8) {
            international = digits.dropFirst(2)
        } else {
            var national = digits[...]
            if let trunk = defaultCountry.trunkPrefix, national.starts(with: trunk.utf8),
                national.count - trunk.utf8.count >= defaultCountry.nationalLengths.lowerBound
            {
                national = national.dropFirst(trunk.utf8.count)
            }
            guard defaultCountry.nationalLengths.contains(national.count) else {
                throw .invalidArgument(
                    "\(field) '\(raw)' is not a valid \(defaultCountry.isoCode) number (\(national.count) digits after the trunk prefix; expected \(lengths(defaultCountry))); write it with + and the country code",
                    field: field)
            }
            var joined: [UInt8] = []
            joined.reserveCapacity(16)
            joined.append(contentsOf: defaultCountry.callingCode.utf8)
            joined.append(contentsOf: national)
            international = joined[...]
        }
        // A written-out trunk prefix after the calling code ("+44 020...") is dropped.
        if let country = PhoneCountry.forInternational(international) {
            var national = international.dropFirst(country.callingCode.utf8.count)
            // Where the trunk prefix is 0, no national significant number starts with 0.
            if country.trunkPrefix == "0", national.first == 0x30 {
                national = national.dropFirst()
            }
            guard country.nationalLengths.contains(national.count) else {
                throw .invalidArgument(
                    "\(field) '\(raw)' is not a valid +\(country.callingCode) (\(country.isoCode)) number: \(national.count) digits after the country code, expected \(lengths(country))",
                    field: field)
            }
            if national.count != international.count - country.callingCode.utf8.count {
                var joined: [UInt8] = []
                joined.reserveCapacity(16)
                joined.append(contentsOf: country.callingCode.utf8)
                joined.append(contentsOf: national)
                international = joined[...]
            }
        }
        guard international.first != 0x30, (7...15).contains(international.count) else {
            throw .invalidArgument(
                "\(field) '\(raw)' is not a valid international number: E.164 needs 7 to 15 digits after '+', not starting with 0",
                field: field)
        }
        var e164: [UInt8] = [0x2B]
        e164.reserveCapacity(16)
        e164.append(contentsOf: international)
        return String(decoding: e164, as: UTF8.self)
    }

    /// True when `raw` is already E.164 that this normaliser would return unchanged: the hot path
    /// (adapters usually send caller ids in E.164) then costs no allocation.
    static func isCanonical(_ raw: String) -> Bool {
        let u = raw.utf8
        guard u.first == 0x2B, (8...16).contains(u.count) else { return false }
        let digits = u.dropFirst()
        guard digits.first != 0x30, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        guard let country = PhoneCountry.forInternational(digits) else { return true }
        let national = digits.dropFirst(country.callingCode.utf8.count)
        if country.trunkPrefix == "0", national.first == 0x30 { return false }
        return country.nationalLengths.contains(national.count)
    }

    static func lengths(_ c: PhoneCountry) -> String {
        let r = c.nationalLengths
        return r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound) to \(r.upperBound)"
    }
}
