import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardThreading

private func phone(_ raw: String, _ country: String = "US") throws -> String {
    let c = try #require(PhoneCountry.named(country))
    return try Identifier.normalise(.phone(raw), defaultCountry: c, field: "identifiers[0]").value
}

private func expectInvalid(_ raw: RawIdentifier, field: String, country: PhoneCountry = .unitedStates) {
    #expect {
        _ = try Identifier.normalise(raw, defaultCountry: country, field: "identifiers[3]")
    } throws: { error in
        guard let e = error as? SwitchboardError else { return false }
        return e.code == .invalidArgument && e.field == field && e.message.contains(field)
    }
}

@Suite struct EmailNormalisation {
    /// Emails are trimmed and case-folded, so spelling variants name one customer.
    @Test func emailsAreTrimmedAndCaseFolded() throws {
        #expect(try Identifier.email("  Alice.Smith@Example.COM \n").value == "alice.smith@example.com")
        #expect(try Identifier.email("alice@example.com").value == "alice@example.com")
    }

    /// A display-name wrapper and a mailto: scheme are removed.
    @Test func displayNameAndMailtoAreRemoved() throws {
        #expect(try Identifier.email("Alice Smith <Alice@Example.com>").value == "alice@example.com")
        #expect(try Identifier.email("mailto:bob@example.org").value == "bob@example.org")
    }

    /// Non-ASCII addresses are folded too.
    @Test func internationalAddressesAreFolded() throws {
        #expect(try Identifier.email("ÉLODIE@Exemple.FR").value == "élodie@exemple.fr")
    }

    /// Garbage is rejected with an error naming the field.
    @Test func garbageEmailsAreRejectedNamingTheField() {
        for bad in ["", "   ", "alice", "alice@", "@example.com", "a@b@c.com", "al ice@example.com", "alice@exa mple.com", "alice@.com", "alice@example..com"] {
            expectInvalid(.email(bad), field: "identifiers[3].email")
        }
    }
}

@Suite struct PhoneNormalisation {
    /// North American national formats become E.164 with the default country US.
    @Test func northAmericanNationalFormatsBecomeE164() throws {
        for raw in ["(415) 555-0100", "415-555-0100", "415.555.0100", "1 415 555 0100", "+1 (415) 555-0100", "011 1 415 555 0100", "tel:+1-415-555-0100"] {
            #expect(try phone(raw) == "+14155550100", "\(raw)")
        }
    }

    /// UK numbers in national, international, 00-prefixed and (0) forms all agree.
    @Test func britishFormatsAgree() throws {
        #expect(try phone("020 7946 0958", "GB") == "+442079460958")
        #expect(try phone("+44 20 7946 0958", "GB") == "+442079460958")
        #expect(try phone("+44 (0)20 7946 0958", "US") == "+442079460958")
        #expect(try phone("00 44 20 7946 0958", "GB") == "+442079460958")
        #expect(try phone("00 44 20 7946 0958", "US") == "+442079460958")
        #expect(try phone("+44 020 7946 0958") == "+442079460958")
    }

    /// Other countries' national numbers use their trunk prefix rules.
    @Test func otherCountriesUseTheirTrunkPrefixes() throws {
        #expect(try phone("030 123456", "DE") == "+4930123456")
        #expect(try phone("06 1234 5678", "IT") == "+390612345678")  // Italy keeps its leading 0
        #expect(try phone("0412 345 678", "AU") == "+61412345678")
        #expect(try phone("0011 44 20 7946 0958", "AU") == "+442079460958")
        #expect(try phone("612 345 678", "ES") == "+34612345678")
    }

    /// Numbers with a + and an unlisted calling code pass on E.164's length rule alone.
    @Test func unlistedCallingCodesAreAccepted() throws {
        #expect(try phone("+254 712 345678") == "+254712345678")
    }

    /// Letters, extensions, misplaced +, wrong lengths and empty input are rejected naming the field.
    @Test func garbagePhonesAreRejectedNamingTheField() {
        for bad in ["", "call me", "1-800-FLOWERS", "415 555 0100 x12", "415+5550100", "555-0100", "12345678901234567890", "+0 123 4567", "+1 415 555 01000", "#123", "☎ 415 555 0100"] {
            expectInvalid(.phone(bad), field: "identifiers[3].phone")
        }
    }

    /// Canonical E.164 input is returned unchanged (the allocation-free path).
    @Test func canonicalNumbersAreKept() throws {
        #expect(PhoneNumberNormaliser.isCanonical("+442079460958"))
        #expect(!PhoneNumberNormaliser.isCanonical("+4402079460958"))
        #expect(try phone("+14155550100") == "+14155550100")
    }
}

@Suite struct OtherIdentifiers {
    /// Social handles fold platform and handle case and drop the @.
    @Test func socialHandlesAreFolded() throws {
        let a = try Identifier.normalise(.socialHandle(platform: " Twitter", handle: "@Alice"), defaultCountry: .unitedStates, field: "i")
        let b = try Identifier.normalise(.socialHandle(platform: "twitter", handle: "alice "), defaultCountry: .unitedStates, field: "i")
        #expect(a == b)
        #expect(a.value == "twitter:alice")
    }

    /// Handles and platform user ids are different kinds even with the same text.
    @Test func handlesAndUserIDsAreDistinct() throws {
        let h = try Identifier.normalise(.socialHandle(platform: "x", handle: "123"), defaultCountry: .unitedStates, field: "i")
        let u = try Identifier.normalise(.socialUserID(platform: "x", id: "123"), defaultCountry: .unitedStates, field: "i")
        #expect(h != u)
    }

    /// Logins are case-folded; external ids keep their case.
    @Test func loginsFoldButExternalIDsKeepCase() throws {
        #expect(try Identifier.normalise(.login(" Alice "), defaultCountry: .unitedStates, field: "i").value == "alice")
        #expect(try Identifier.normalise(.externalID(" CRM-Ab12 "), defaultCountry: .unitedStates, field: "i").value == "CRM-Ab12")
    }

    /// Empty or malformed social/login/external values are rejected naming the sub-field.
    @Test func badOtherIdentifiersNameTheSubField() {
        expectInvalid(.socialHandle(platform: "", handle: "a"), field: "identifiers[3].social.platform")
        expectInvalid(.socialHandle(platform: "twitter", handle: "@"), field: "identifiers[3].social.handle")
        expectInvalid(.socialHandle(platform: "twitter", handle: "two words"), field: "identifiers[3].social.handle")
        expectInvalid(.socialHandle(platform: "tw itter", handle: "a"), field: "identifiers[3].social.platform")
        expectInvalid(.socialUserID(platform: "x", id: " "), field: "identifiers[3].social.userId")
        expectInvalid(.login(""), field: "identifiers[3].login")
        expectInvalid(.externalID(String(repeating: "x", count: 300)), field: "identifiers[3].externalId")
    }
}

@Suite struct SubjectTags {
    /// The default tag is found anywhere in the subject, case-insensitively.
    @Test func defaultTagIsFound() {
        let f = SubjectTagFormat.default
        #expect(f.caseNumbers(in: "Re: Fwd: broken kettle [#SB-1234]") == [1234])
        #expect(f.caseNumbers(in: "re: [#sb-7] and [#SB-8]") == [7, 8])
        #expect(f.caseNumbers(in: "no tag [#SB-] [#SB-12 [SB-3]").isEmpty)
        #expect(f.tag(for: CaseID(42)) == "[#SB-42]")
    }

    /// A custom template works, and a template without one {case} is rejected.
    @Test func customTemplates() throws {
        let f = try SubjectTagFormat(template: "(Ticket {case})")
        #expect(f.caseNumbers(in: "Re: (ticket 99) help") == [99])
        #expect(throws: SwitchboardError.self) { try SubjectTagFormat(template: "no placeholder") }
        #expect(throws: SwitchboardError.self) { try SubjectTagFormat(template: "{case}") }
        #expect(throws: SwitchboardError.self) { try SubjectTagFormat(template: "SB1{case}") }
    }
}
