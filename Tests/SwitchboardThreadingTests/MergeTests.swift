import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardThreading

@Suite struct Merges {
    /// A contact carrying identifiers of two known customers merges them: the older survives, the
    /// merge is recorded, every identifier and case follows.
    @Test func contactLinkingTwoCustomersMergesThem() throws {
        var h = Harness()
        let work = try h.decide(.email(from: "alice@work.example"))
        let home = try h.decide(.email(from: "alice@home.example"))
        h.advance(hours: 1)
        let d = try h.decide(ThreadingInput(channel: .chat, identifiers: [.email("alice@home.example"), .email("alice@work.example")]))
        #expect(d.customer == work.customer)
        let merge = try #require(d.merges.first)
        #expect(merge.absorbed == home.customer && merge.into == work.customer && merge.at == h.clock.now && merge.contact == d.contact)
        #expect(merge.identifier == (try Identifier.email("alice@home.example")))
        #expect(h.directory.mergeLog == [merge])
        #expect(h.directory.customer(for: try Identifier.email("alice@home.example")) == work.customer)
        #expect(h.directory.canonical(home.customer) == work.customer)
        #expect(h.directory.customer(home.customer)?.id == work.customer)
        #expect(h.directory.caseSummary(home.caseID)?.customer == work.customer)
        #expect(h.directory.customer(work.customer)?.absorbed == [home.customer])
        #expect(d.reason.contains("merged \(home.customer) into \(work.customer)"))
        #expect(h.directory.violations().isEmpty)
    }

    /// A shared household phone does not glue two people who each have their own email.
    @Test func sharedHouseholdPhoneDoesNotGlueStrangers() throws {
        var h = Harness()
        let alice = try h.decide(.email(from: "alice@example.com", extra: [.phone("+14155550100")]))
        let bob = try h.decide(.email(from: "bob@example.com"))
        let d = try h.decide(.email(from: "bob@example.com", extra: [.phone("+1 415 555 0100")]))
        #expect(d.customer == bob.customer && d.merges.isEmpty)
        #expect(d.refusedMerges == [RefusedMerge(kept: bob.customer, other: alice.customer, identifier: try Identifier.phone("+14155550100"), rule: .ifNoConflict)])
        #expect(h.directory.customer(for: try Identifier.phone("+14155550100")) == alice.customer)
        #expect(d.reason.contains("not merged with \(alice.customer)"))
        #expect(h.directory.violations().isEmpty)
    }

    /// With `ifNoConflict`, a phone does merge a phone-only customer with an email-only one.
    @Test func phoneMergesWhenTheCustomersDoNotConflict() throws {
        var h = Harness()
        let caller = try h.decide(.call(from: "+14155550100"))
        let writer = try h.decide(.email(from: "alice@example.com"))
        let d = try h.decide(.email(from: "alice@example.com", extra: [.phone("+14155550100")]))
        #expect(d.merges.count == 1 && d.customer == caller.customer)
        #expect(h.directory.canonical(writer.customer) == caller.customer)
    }

    /// `never` refuses even without a conflict; `always` merges despite one.
    @Test func neverAndAlwaysRulesAreObeyed() throws {
        var never = ThreadingPolicy()
        never.merge.phone = .never
        var h = Harness(policy: never)
        _ = try h.decide(.call(from: "+14155550100"))
        let writer = try h.decide(.email(from: "alice@example.com"))
        let d = try h.decide(.email(from: "alice@example.com", extra: [.phone("+14155550100")]))
        #expect(d.merges.isEmpty && d.customer == writer.customer && d.refusedMerges.first?.rule == .never)

        var always = ThreadingPolicy()
        always.merge.phone = .always
        var g = Harness(policy: always)
        let a = try g.decide(.email(from: "alice@example.com", extra: [.phone("+14155550100")]))
        _ = try g.decide(.email(from: "bob@example.com"))
        let e = try g.decide(.email(from: "bob@example.com", extra: [.phone("+14155550100")]))
        #expect(e.merges.count == 1 && e.customer == a.customer)
    }

    /// The stricter rule of the two linking identifiers applies: a `never` email cannot be overridden by an `always` login.
    @Test func stricterRuleOfTheLinkApplies() throws {
        var policy = ThreadingPolicy()
        policy.merge.email = .never
        var h = Harness(policy: policy)
        let a = try h.decide(ThreadingInput(channel: .chat, identifiers: [.login("alice")]))
        let b = try h.decide(.email(from: "alice@example.com"))
        let d = try h.decide(ThreadingInput(channel: .chat, identifiers: [.login("alice"), .email("alice@example.com")]))
        #expect(d.customer == a.customer && d.merges.isEmpty && d.refusedMerges.map(\.other) == [b.customer])
    }

    /// Merges are transitive: three customers merged in two steps are one, and every identifier resolves to it.
    @Test func mergesAreTransitive() throws {
        var h = Harness()
        let a = try h.decide(.email(from: "a@example.com"))
        let b = try h.decide(.email(from: "b@example.com"))
        let c = try h.decide(.email(from: "c@example.com"))
        _ = try h.decide(ThreadingInput(channel: .email, identifiers: [.email("c@example.com"), .email("b@example.com")]))
        _ = try h.decide(ThreadingInput(channel: .email, identifiers: [.email("b@example.com"), .email("a@example.com")]))
        for address in ["a@example.com", "b@example.com", "c@example.com"] {
            #expect(h.directory.customer(for: try Identifier.email(address)) == a.customer)
        }
        #expect(h.directory.canonical(c.customer) == a.customer && h.directory.canonical(b.customer) == a.customer)
        #expect(Set(h.directory.customer(a.customer)?.cases ?? []) == [a.caseID, b.caseID, c.caseID])
        #expect(h.directory.customerCount == 1 && h.directory.caseCount == 3)
        #expect(h.directory.violations().isEmpty)
    }

    /// New identifiers on a known customer's contact attach to that customer.
    @Test func newIdentifiersAttachToTheCustomer() throws {
        var h = Harness()
        let d = try h.decide(.email(from: "alice@example.com"))
        _ = try h.decide(.email(from: "alice@example.com", extra: [.phone("+44 20 7946 0958")]))
        #expect(h.directory.customer(for: try Identifier.phone("+442079460958")) == d.customer)
    }

    /// A merged-away customer's open cases keep threading: the survivor's next contact finds them.
    @Test func mergedCasesKeepThreading() throws {
        var h = Harness()
        _ = try h.decide(ThreadingInput(channel: .chat, identifiers: [.login("alice")], topic: "billing"))
        let b = try h.decide(.email(from: "alice@example.com", topic: "repair"))
        _ = try h.decide(ThreadingInput(channel: .chat, identifiers: [.login("alice"), .email("alice@example.com")], topic: "billing"))
        let d = try h.decide(ThreadingInput(channel: .chat, identifiers: [.login("alice")], topic: "repair"))
        #expect(d.caseID == b.caseID && d.rule == .openCase)
    }
}

