import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardThreading

@Suite struct ThreadingRules {
    /// A first contact from an unknown customer creates customer and case.
    @Test func firstContactCreatesCustomerAndCase() throws {
        var h = Harness()
        let d = try h.decide(.email(from: "alice@example.com"))
        #expect(d.rule == .newCase && d.isNewCase && d.isNewCustomer)
        #expect(h.directory.customer(for: try Identifier.email("ALICE@example.com")) == d.customer)
        #expect(d.reason.contains("new case \(d.caseID)"))
    }

    /// An explicit case reference joins that case.
    @Test func explicitReferenceJoinsTheNamedCase() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100", topic: "billing"))
        _ = try h.decide(.call(from: "+14155550100", topic: "delivery"))
        h.advance(days: 30)
        let d = try h.decide(.call(from: "+14155550100", caseReference: first.caseID))
        #expect(d.rule == .explicitReference && d.caseID == first.caseID)
        #expect(d.reason.contains("references \(first.caseID)"))
    }

    /// An explicit reference to a closed case reopens it, however long ago it closed.
    @Test func explicitReferenceToClosedCaseReopensIt() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100"))
        try h.directory.recordOutcome(contact: first.contact, case: first.caseID, resolved: true, at: h.clock.now)
        h.advance(days: 90)
        let d = try h.decide(.call(from: "+14155550100", caseReference: first.caseID))
        #expect(d.rule == .explicitReference && d.reopened)
        #expect(h.directory.caseSummary(first.caseID)?.status == .reopened)
        #expect(h.directory.caseSummary(first.caseID)?.reopenCount == 1)
    }

    /// An unknown case reference is `notFound` and creates nothing.
    @Test func unknownCaseReferenceIsNotFoundAndChangesNothing() throws {
        var h = Harness()
        _ = try h.decide(.call(from: "+14155550100"))
        let before = h.directory.fingerprint
        #expect {
            _ = try h.push(.call(from: "+14155550199", caseReference: CaseID(77)))
        } throws: { ($0 as? SwitchboardError)?.code == .notFound && ($0 as? SwitchboardError)?.field == "caseReference" }
        #expect(h.directory.fingerprint == before)
    }

    /// An email whose In-Reply-To names a message we saw joins that message's case.
    @Test func inReplyToJoinsTheCase() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com", subject: "Kettle", messageID: "<m1@mail.example>", topic: "repair"))
        _ = try h.decide(.email(from: "alice@example.com", subject: "Invoice", topic: "billing"))
        h.advance(days: 20)
        let d = try h.decide(.email(from: "alice@example.com", messageID: "<m2@mail.example>", inReplyTo: "<m1@mail.example>"))
        #expect(d.rule == .emailReply && d.caseID == first.caseID && d.matchedMessageID == "m1@mail.example")
        #expect(d.reason.contains("m1@mail.example"))
    }

    /// Any ancestor in References threads, not only the parent; a single header string of several ids works too.
    @Test func anyReferencesAncestorThreads() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com", messageID: "<root@mail.example>"))
        h.advance(days: 1)
        let d = try h.decide(.email(from: "alice@example.com", messageID: "<m3@x>", references: ["<root@mail.example>", "<unknown-parent@elsewhere>"]))
        #expect(d.rule == .emailReply && d.caseID == first.caseID)
        let e = try h.decide(.email(from: "alice@example.com", messageID: "<m4@x>", references: ["<root@mail.example> <never-seen@y>"]))
        #expect(e.rule == .emailReply && e.caseID == first.caseID)
    }

    /// Our own outgoing mail's Message-ID threads the customer's answer to it.
    @Test func outgoingMessageIDsThreadReplies() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100", extra: [.email("alice@example.com")]))
        try h.directory.recordOutgoingMessage("<agent-reply-1@switchboard>", case: first.caseID)
        _ = try h.decide(.call(from: "+14155550100", topic: "other"))
        h.advance(days: 10)
        let d = try h.decide(.email(from: "alice@example.com", inReplyTo: "agent-reply-1@switchboard"))
        #expect(d.rule == .emailReply && d.caseID == first.caseID)
    }

    /// A subject carrying the case tag joins the case.
    @Test func subjectTagJoinsTheCase() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com", topic: "repair"))
        h.advance(days: 20)
        let d = try h.decide(.email(from: "alice@example.com", subject: "Re: your kettle \(h.directory.subjectTag(for: first.caseID))"))
        #expect(d.rule == .subjectTag && d.caseID == first.caseID)
    }

    /// The Monday email and the Wednesday call of one customer join one case.
    @Test func openCaseJoinsAcrossChannels() throws {
        var h = Harness()
        let monday = try h.decide(.email(from: "alice@example.com", extra: [.phone("+1 415 555 0100")]))
        h.advance(days: 2)
        let wednesday = try h.decide(.call(from: "(415) 555-0100"))
        #expect(wednesday.rule == .openCase && wednesday.caseID == monday.caseID && !wednesday.isNewCustomer)
        #expect(h.directory.caseSummary(monday.caseID)?.channels == [.email, .voice])
        #expect(wednesday.reason.contains("open case \(monday.caseID)"))
        let history = h.directory.history(of: monday.caseID)
        #expect(history.map(\.channel) == [.email, .voice])
    }

    /// An open case quiet for longer than the window does not absorb a new contact.
    @Test func openCaseBeyondWindowStartsNewCase() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100"))
        h.advance(days: 8)
        let d = try h.decide(.call(from: "+14155550100"))
        #expect(d.rule == .newCase && d.caseID != first.caseID)
        #expect(d.passedOver == PassedOverCase(caseID: first.caseID, rule: .openCase, why: .inactiveTooLong))
    }

    /// A case closed within the reopen window reopens when the customer comes back.
    @Test func closedCaseWithinReopenWindowReopens() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100"))
        try h.directory.recordOutcome(contact: first.contact, case: first.caseID, resolved: true, at: h.clock.now)
        #expect(h.directory.caseSummary(first.caseID)?.status == .closed)
        h.advance(days: 2)
        let d = try h.decide(.call(from: "+14155550100"))
        #expect(d.rule == .reopened && d.reopened && d.caseID == first.caseID)
        #expect(h.directory.openCases(of: d.customer) == [first.caseID])
        #expect(d.reason.contains("within the reopen window"))
    }

    /// A case closed longer ago than the reopen window stays closed; a new case starts.
    @Test func closedCaseBeyondReopenWindowStartsNewCase() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com", messageID: "a@x"))
        try h.directory.recordOutcome(contact: first.contact, case: first.caseID, resolved: true, at: h.clock.now)
        h.advance(days: 4)
        let d = try h.decide(.email(from: "alice@example.com", inReplyTo: "a@x"))
        #expect(d.rule == .newCase && d.caseID != first.caseID)
        #expect(d.passedOver == PassedOverCase(caseID: first.caseID, rule: .emailReply, why: .closedTooLongAgo))
        #expect(h.directory.caseSummary(first.caseID)?.status == .closed)
    }

    /// An open case with another topic does not absorb a contact; the same topic joins; a topic-less case adopts one.
    @Test func topicsKeepProblemsApart() throws {
        var h = Harness()
        let billing = try h.decide(.call(from: "+14155550100", topic: "billing"))
        h.advance(hours: 1)
        let delivery = try h.decide(.call(from: "+14155550100", topic: "delivery"))
        #expect(delivery.isNewCase && delivery.passedOver?.why == .differentTopic)
        #expect(delivery.reason.contains("different topic"))
        h.advance(hours: 1)
        let billingAgain = try h.decide(.call(from: "+14155550100", topic: "billing"))
        #expect(billingAgain.rule == .openCase && billingAgain.caseID == billing.caseID)
        let noTopic = try h.decide(.call(from: "+14155550100"))
        #expect(noTopic.rule == .openCase && noTopic.caseID == billingAgain.caseID)  // most recently active

        var g = Harness()
        let untopical = try g.decide(.call(from: "+14155550100"))
        let topical = try g.decide(.call(from: "+14155550100", topic: "repair"))
        #expect(topical.caseID == untopical.caseID)
        #expect(g.directory.caseSummary(untopical.caseID)?.topic == "repair")
    }

    /// The reopen rule honours topics too.
    @Test func reopenHonoursTopic() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100", topic: "billing"))
        try h.directory.recordOutcome(contact: first.contact, case: first.caseID, resolved: true, at: h.clock.now)
        h.advance(hours: 2)
        let d = try h.decide(.call(from: "+14155550100", topic: "delivery"))
        #expect(d.rule == .newCase && !d.reopened)
        #expect(h.directory.caseSummary(first.caseID)?.status == .closed)
    }
}

@Suite struct Duplicates {
    /// A retry with the same idempotency key returns the original contact and changes nothing.
    @Test func sameIdempotencyKeyReturnsTheOriginal() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com", key: "push-1"))
        let before = h.directory.fingerprint
        let again = try h.push(.email(from: "alice@example.com", key: "push-1"))
        #expect(again == .duplicate(DuplicateDelivery(original: first.contact, caseID: first.caseID, customer: first.customer, matchedOn: .idempotencyKey)))
        #expect(h.directory.fingerprint == before)
    }

    /// A second delivery of the same email Message-ID returns the original contact.
    @Test func sameMessageIDReturnsTheOriginal() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com", messageID: "<dup@x>"))
        let before = h.directory.fingerprint
        let again = try h.push(.email(from: "alice@example.com", messageID: "dup@x"))
        guard case .duplicate(let d) = again else {
            Issue.record("expected a duplicate, got \(again)")
            return
        }
        #expect(d.original == first.contact && d.matchedOn == .messageID)
        #expect(h.directory.fingerprint == before)
    }

    /// An idempotency key is forgotten after the retention period and may then be reused.
    @Test func idempotencyKeysExpireAfterRetention() throws {
        var h = Harness()
        _ = try h.decide(.call(from: "+14155550100").keyed("k"))
        h.advance(hours: 23)
        #expect(try h.push(.call(from: "+14155550100").keyed("k")).decision == nil)
        h.advance(hours: 2)
        #expect(try h.push(.call(from: "+14155550100").keyed("k")).decision != nil)
        #expect(h.directory.idempotency.count == 1)
    }

    /// An empty idempotency key or Message-ID is rejected naming the field.
    @Test func emptyKeysAreRejected() throws {
        var h = Harness()
        #expect { _ = try h.push(.call(from: "+14155550100").keyed("")) } throws: { ($0 as? SwitchboardError)?.field == "idempotencyKey" }
        #expect { _ = try h.push(.email(from: "a@b.c", messageID: " <> ")) } throws: { ($0 as? SwitchboardError)?.field == "messageID" }
    }
}

@Suite struct ForeignReplies {
    /// A reply from someone who is not the case's customer gets its own customer and case, and the
    /// decision names the refused case.
    @Test func replyFromAnotherPersonDoesNotJoin() throws {
        var h = Harness()
        let alice = try h.decide(.email(from: "alice@example.com", messageID: "<thread@x>"))
        let mallory = try h.decide(.email(from: "mallory@example.net", inReplyTo: "<thread@x>"))
        #expect(mallory.caseID != alice.caseID && mallory.customer != alice.customer)
        #expect(mallory.rule == .newCase && mallory.refusedForeignCase == alice.caseID)
        #expect(mallory.reason.contains("refused \(alice.caseID)") && mallory.reason.contains("another customer"))
        #expect(h.directory.history(of: alice.caseID).count == 1)
    }

    /// The same guard holds for subject tags and explicit references.
    @Test func foreignSubjectTagsAndReferencesAreRefused() throws {
        var h = Harness()
        let alice = try h.decide(.email(from: "alice@example.com"))
        let bob = try h.decide(.email(from: "bob@example.com", subject: "about \(h.directory.subjectTag(for: alice.caseID))"))
        #expect(bob.refusedForeignCase == alice.caseID && bob.passedOver?.rule == .subjectTag)
        let carol = try h.decide(.call(from: "+14155550123", caseReference: alice.caseID))
        #expect(carol.refusedForeignCase == alice.caseID && carol.passedOver?.rule == .explicitReference)
        #expect(h.directory.history(of: alice.caseID).count == 1)
    }

    /// A refused reply still threads into the sender's own open case.
    @Test func refusedReplyThreadsAsTheSendersOwn() throws {
        var h = Harness()
        let alice = try h.decide(.email(from: "alice@example.com", messageID: "<thread@x>"))
        let bobFirst = try h.decide(.email(from: "bob@example.com"))
        let bobReply = try h.decide(.email(from: "bob@example.com", inReplyTo: "<thread@x>"))
        #expect(bobReply.caseID == bobFirst.caseID && bobReply.rule == .openCase && bobReply.refusedForeignCase == alice.caseID)
    }
}

@Suite struct AnonymousContacts {
    /// A contact with no identifiers gets a fresh customer and case.
    @Test func anonymousContactsGetTheirOwnCase() throws {
        var h = Harness()
        let a = try h.decide(ThreadingInput(channel: .chat))
        let b = try h.decide(ThreadingInput(channel: .chat))
        #expect(a.isAnonymous && a.isNewCase && b.caseID != a.caseID && b.customer != a.customer)
        #expect(a.reason.contains("anonymous"))
    }

    /// An anonymous contact may join the case it references when the policy trusts the adapter, not otherwise.
    @Test func anonymousCaseReferenceFollowsPolicy() throws {
        var h = Harness()
        let first = try h.decide(.call(from: "+14155550100"))
        let d = try h.decide(ThreadingInput(channel: .voice, caseReference: first.caseID))
        #expect(d.rule == .explicitReference && d.caseID == first.caseID && d.customer == first.customer)

        var policy = ThreadingPolicy()
        policy.anonymousMayUseCaseReference = false
        var g = Harness(policy: policy)
        let f = try g.decide(.call(from: "+14155550100"))
        let e = try g.decide(ThreadingInput(channel: .voice, caseReference: f.caseID))
        #expect(e.caseID != f.caseID && e.refusedForeignCase == f.caseID)
    }
}

@Suite struct Lifecycle {
    /// Invalid input throws naming the field and creates nothing, even for the valid identifiers before it.
    @Test func invalidIdentifierChangesNothing() throws {
        var h = Harness()
        #expect {
            _ = try h.push(ThreadingInput(channel: .voice, identifiers: [.email("ok@example.com"), .phone("not a phone")]))
        } throws: { ($0 as? SwitchboardError)?.field == "identifiers[1].phone" }
        #expect(h.directory.fingerprint == CaseDirectory().fingerprint)
    }

    /// recordHandled puts the agent in the history and makes it the case's last handler.
    @Test func recordHandledSetsLastHandler() throws {
        var h = Harness()
        let d = try h.decide(.email(from: "alice@example.com", subject: "Kettle"))
        #expect(h.directory.lastHandler(of: d.caseID) == nil)
        h.advance(hours: 1)
        try h.directory.recordHandled(contact: d.contact, case: d.caseID, agent: "agent-7", at: h.clock.now)
        let last = try #require(h.directory.lastHandler(of: d.caseID))
        #expect(last.agent == "agent-7" && last.at == h.clock.now)
        let entry = try #require(h.directory.history(of: d.caseID).first)
        #expect(entry.agent == "agent-7" && entry.subject == "Kettle" && entry.channel == .email)
    }

    /// Resolved closes the case, unresolved leaves it open; outcomes show in the history.
    @Test func outcomesDriveTheCaseLifecycle() throws {
        var h = Harness()
        let d = try h.decide(.call(from: "+14155550100"))
        try h.directory.recordOutcome(contact: d.contact, case: d.caseID, resolved: false, disposition: "callback", at: h.clock.now)
        #expect(h.directory.caseSummary(d.caseID)?.status == .open)
        let e = try h.decide(.call(from: "+14155550100"))
        try h.directory.recordOutcome(contact: e.contact, case: e.caseID, resolved: true, disposition: "fixed", at: h.clock.now)
        #expect(h.directory.caseSummary(d.caseID)?.status == .closed)
        #expect(h.directory.history(of: d.caseID).map(\.outcome) == [.unresolved(disposition: "callback"), .resolved(disposition: "fixed")])
        try h.directory.recordOutcome(contact: e.contact, case: e.caseID, outcome: .selfServed, at: h.clock.now)
        #expect(h.directory.violations().isEmpty)
    }

    /// Recording against an unknown case or a contact not in the case is `notFound`.
    @Test func recordingUnknownContactsIsNotFound() throws {
        var h = Harness()
        let d = try h.decide(.call(from: "+14155550100"))
        #expect { try h.directory.recordHandled(contact: ContactID(99), case: d.caseID, agent: "a", at: h.clock.now) } throws: {
            ($0 as? SwitchboardError)?.code == .notFound
        }
        #expect { try h.directory.recordOutcome(contact: d.contact, case: CaseID(5), resolved: true, at: h.clock.now) } throws: {
            ($0 as? SwitchboardError)?.code == .notFound
        }
    }

    /// Customers can be looked up by any identifier, in any spelling.
    @Test func lookupsByIdentifier() throws {
        var h = Harness()
        let d = try h.decide(.email(from: "alice@example.com", extra: [.phone("+14155550100"), .socialHandle(platform: "twitter", handle: "@alice")]))
        #expect(try h.directory.customer(for: RawIdentifier.phone("(415) 555-0100")) == d.customer)
        #expect(try h.directory.customer(for: RawIdentifier.socialHandle(platform: "Twitter", handle: "ALICE")) == d.customer)
        #expect(try h.directory.customer(for: RawIdentifier.email("nobody@example.com")) == nil)
        let summary = try #require(h.directory.customer(d.customer))
        #expect(summary.identifiers.count == 3 && summary.cases == [d.caseID])
    }
}

extension ThreadingInput {
    func keyed(_ key: String) -> ThreadingInput {
        var copy = self
        copy.idempotencyKey = key
        return copy
    }
}

@Suite struct CaseClosingTests {
    /// A resolved call does not close the case while the customer's email on it is still open;
    /// the case closes when the email ends (here: the customer withdrew it).
    @Test func resolutionWaitsForTheCaseOtherOpenContacts() throws {
        var h = Harness()
        let email = try h.decide(.email(from: "maria@example.com", subject: "Refund"))
        h.advance(hours: 2)
        let call = try h.decide(.call(from: "+14155550100", extra: [.email("maria@example.com")]))
        #expect(call.caseID == email.caseID)
        try h.directory.recordOutcome(contact: call.contact, case: call.caseID, resolved: true, at: h.clock.now)
        #expect(h.directory.caseSummary(email.caseID)?.status.isOpen == true)
        #expect(h.directory.violations().isEmpty)
        try h.directory.recordOutcome(contact: email.contact, case: email.caseID, outcome: .abandoned, at: h.clock.now)
        #expect(h.directory.caseSummary(email.caseID)?.status == .closed)
        #expect(h.directory.violations().isEmpty)
    }

    /// If the other open contact ends unresolved, the earlier resolution no longer closes the case.
    @Test func laterUnresolvedContactKeepsTheCaseOpen() throws {
        var h = Harness()
        let email = try h.decide(.email(from: "maria@example.com", subject: "Refund"))
        let call = try h.decide(.call(from: "+14155550100", extra: [.email("maria@example.com")]))
        try h.directory.recordOutcome(contact: call.contact, case: call.caseID, resolved: true, at: h.clock.now)
        try h.directory.recordOutcome(contact: email.contact, case: email.caseID, resolved: false, at: h.clock.now)
        #expect(h.directory.caseSummary(email.caseID)?.status.isOpen == true)
        #expect(h.directory.violations().isEmpty)
    }
}
