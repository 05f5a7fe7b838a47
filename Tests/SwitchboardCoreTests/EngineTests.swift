import Foundation
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardTestSupport
import SwitchboardThreading
import Testing

/// An engine, a manual clock and the last call's events.
struct EngineHarness {
    var engine: Engine
    var clock = ManualClock(start: .seconds(1_000_000))
    var events: [EngineEvent] = []

    init(_ configure: (inout Policy) -> Void = { _ in }) throws {
        var policy = Policy()
        configure(&policy)
        engine = try Engine(policy: policy)
    }

    var now: Instant { clock.now }

    mutating func login(_ id: AgentID, _ skills: [String: Int] = ["general": 5], languages: [String] = ["en"]) throws {
        events.removeAll()
        try engine.login(AgentProfile(id: id, skills: skills, languages: languages), at: now, events: &events)
    }

    mutating func push(_ contact: NewContact) throws -> PushReceipt {
        events.removeAll()
        return try engine.pushContact(contact, at: now, events: &events)
    }

    mutating func accept(_ c: ContactID, _ a: AgentID) throws {
        events.removeAll()
        try engine.accept(c, by: a, at: now, events: &events)
    }

    mutating func complete(_ c: ContactID, _ a: AgentID, resolved: Bool = false) throws {
        events.removeAll()
        try engine.complete(c, by: a, Completion(resolved: resolved, wrapUp: .zero), at: now, events: &events)
    }
}

@Suite struct EngineTests {
    /// An email, then a chat, then a call from the same customer land on one case, and the case
    /// history the third offer comes with shows the first two and who handled them.
    @Test func contactsAcrossChannelsShareOneCase() throws {
        var h = try EngineHarness()
        try h.login("ann")
        let email = try h.push(NewContact(channel: .email, identifiers: [.email("Pat@Example.com")], subject: "Refund"))
        try h.accept(email.contact, "ann")
        try h.complete(email.contact, "ann")
        h.clock.advance(seconds: 3600)
        let chat = try h.push(NewContact(channel: .chat, identifiers: [.email("pat@example.com")]))
        try h.accept(chat.contact, "ann")
        try h.complete(chat.contact, "ann")
        h.clock.advance(seconds: 3600)
        let call = try h.push(NewContact(channel: .voice, identifiers: [.email("pat@example.com")]))
        #expect(email.caseID == chat.caseID)
        #expect(chat.caseID == call.caseID)
        #expect(call.threading.decision?.rule == .openCase)
        let history = h.engine.caseHistory(call.caseID)
        #expect(history.map(\.channel) == [.email, .chat, .voice])
        #expect(history.prefix(2).allSatisfy { $0.agent == "ann" })
        #expect(h.events.contains { if case .contactOffered(let o, let c, _) = $0 { o.contact == call.contact && c == call.caseID } else { false } })
    }

    /// The agent who handled the case last gets the customer's next contact over a better-skilled agent.
    @Test func caseAffinityRoutesToLastHandler() throws {
        var h = try EngineHarness()
        try h.login("junior", ["general": 2])
        let first = try h.push(NewContact(channel: .chat, identifiers: [.phone("+14155550100")]))
        try h.accept(first.contact, "junior")
        try h.complete(first.contact, "junior")
        try h.login("senior", ["general": 10])
        h.clock.advance(seconds: 600)
        let second = try h.push(NewContact(channel: .voice, identifiers: [.phone("+1 (415) 555-0100")]))
        #expect(second.routing == .offered(to: "junior"))
    }

    /// A second delivery with the same idempotency key returns the original contact and routes nothing.
    @Test func duplicatePushReturnsOriginal() throws {
        var h = try EngineHarness()
        let first = try h.push(NewContact(channel: .chat, idempotencyKey: "k-1"))
        let again = try h.push(NewContact(channel: .chat, idempotencyKey: "k-1"))
        #expect(again.contact == first.contact)
        #expect(again.routing == .duplicate)
        #expect(h.events.isEmpty)
        #expect(h.engine.stats(at: h.now).routing.waiting.chat == 1)
    }

    /// A push that fails validation creates no customer, no case and no contact.
    @Test func invalidPushChangesNothing() throws {
        var h = try EngineHarness()
        #expect(throws: SwitchboardError.self) {
            _ = try h.push(NewContact(channel: .chat, identifiers: [.email("a@b.example")], priority: 0))
        }
        let stats = h.engine.stats(at: h.now)
        #expect(stats.customers == 0)
        #expect(stats.cases == 0)
        let ok = try h.push(NewContact(channel: .chat))
        #expect(ok.contact == ContactID(1))
    }

    /// Abandoning a waiting contact records it on the case and in the KPIs.
    @Test func abandonedContactIsRecorded() throws {
        var h = try EngineHarness()
        let r = try h.push(NewContact(channel: .voice))
        h.clock.advance(seconds: 42)
        h.events.removeAll()
        try h.engine.endContact(r.contact, reason: .abandoned, at: h.now, events: &h.events)
        #expect(h.events == [.contactAbandoned(r.contact, case: r.caseID, channel: .voice, waited: .seconds(42), at: h.now)])
        #expect(h.engine.caseHistory(r.caseID).first?.outcome == .abandoned)
        #expect(h.engine.stats(at: h.now).kpis?.channels[.voice]?.abandoned == 1)
        #expect(h.engine.phase(of: r.contact) == nil)
    }

    /// A resolved completion closes the case; the customer's next contact reopens it within the window.
    @Test func resolvedCompletionClosesCaseAndNextContactReopens() throws {
        var h = try EngineHarness()
        try h.login("ann")
        let first = try h.push(NewContact(channel: .email, identifiers: [.email("pat@example.com")]))
        try h.accept(first.contact, "ann")
        try h.complete(first.contact, "ann", resolved: true)
        #expect(h.engine.caseSummary(first.caseID)?.status == .closed)
        h.clock.advance(seconds: 3600)
        let again = try h.push(NewContact(channel: .chat, identifiers: [.email("pat@example.com")]))
        #expect(again.caseID == first.caseID)
        #expect(h.events.contains(.caseReopened(first.caseID, contact: again.contact, at: h.now)))
    }

    /// Completing for "whoever holds it" names the agent it was assigned to and does what
    /// completing by name does (units into wrap-up, reported in the agent's `wrapUpUntil`); a
    /// contact only offered, or unknown, is refused and changes nothing.
    @Test func completingForTheAssigneeNamesItAndStartsItsWrapUp() throws {
        var h = try EngineHarness { $0.routing.wrapUp.chat = .seconds(20) }
        try h.login("ann")
        let offered = try h.push(NewContact(channel: .chat))
        let before = h.engine.agent("ann")
        #expect(throws: SwitchboardError.self) {
            try h.engine.complete(offered.contact, Completion(resolved: true), at: h.now, events: &h.events)
        }
        #expect(h.engine.agent("ann") == before)
        #expect(throws: SwitchboardError.self) {
            try h.engine.complete(ContactID(999), Completion(resolved: true), at: h.now, events: &h.events)
        }
        try h.accept(offered.contact, "ann")
        h.clock.advance(seconds: 5)
        h.events.removeAll()
        let agent = try h.engine.complete(offered.contact, Completion(resolved: true), at: h.now, events: &h.events)
        #expect(agent == "ann")
        let ann = try #require(h.engine.agent("ann"))
        #expect(ann.assigned == 0 && ann.state == .wrapUp)
        #expect(ann.wrapUpUntil == h.now + .seconds(20))
        #expect(h.engine.caseSummary(offered.caseID)?.status == .closed)
    }

    /// Deadlines run in order, each stamped with its own time: an unanswered offer expires at its timeout.
    @Test func advanceRunsDeadlinesAtTheirOwnTime() throws {
        var h = try EngineHarness { $0.routing.offerTimeout.chat = .seconds(30) }
        try h.login("ann")
        let r = try h.push(NewContact(channel: .chat))
        let next = h.engine.nextDeadline
        let deadline = try #require(next)
        #expect(deadline == h.now + .seconds(30))
        h.events.removeAll()
        h.engine.advance(to: h.now + .seconds(100), events: &h.events)
        #expect(h.events.first == .offerExpired(r.contact, agent: "ann", at: deadline))
    }

    /// Transfer keeps the case; the new agent's acceptance is a second assignment on the same case.
    @Test func transferKeepsTheCase() throws {
        var h = try EngineHarness()
        try h.login("ann")
        try h.login("bob", ["refunds": 5])
        let r = try h.push(NewContact(channel: .chat, required: [SkillRequirement("general")]))
        try h.accept(r.contact, "ann")
        h.events.removeAll()
        try h.engine.transfer(r.contact, from: "ann", to: .skills([SkillRequirement("refunds")], language: nil), at: h.now, events: &h.events)
        #expect(h.events.contains(.contactTransferred(r.contact, from: "ann", case: r.caseID, at: h.now)))
        #expect(h.engine.phase(of: r.contact) == .offered(to: "bob", expiresAt: h.now + .seconds(30)))
        #expect(h.engine.caseOf(r.contact) == r.caseID)
    }
}

@Suite struct PolicyTests {
    /// A policy file need only name what it changes: missing keys keep their documented defaults.
    @Test func decodesWithDefaultsForMissingKeys() throws {
        let json = #"{"routing": {"offer_timeout": {"chat": 45}, "missed_offers_to_away": 2}}"#
        let policy = try JSONDecoder().decode(Policy.self, from: Data(json.utf8))
        #expect(policy.routing.offerTimeout.chat == .seconds(45))
        #expect(policy.routing.offerTimeout.voice == RoutingPolicy().offerTimeout.voice)
        #expect(policy.routing.missedOffersToAway == 2)
        #expect(policy.routing.capacityCost == RoutingPolicy().capacityCost)
        #expect(policy.threading == ThreadingPolicy())
        let empty = try JSONDecoder().decode(Policy.self, from: Data("{}".utf8))
        #expect(empty == Policy())
    }

    /// A value out of range is refused with the key that holds it.
    @Test func invalidValueNamesItsKey() throws {
        var policy = Policy()
        policy.routing.capacityCost.chat = 0
        do {
            _ = try Engine(policy: policy)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.field == "routing.capacity_cost.chat")
        }
    }

    /// Encoding and decoding gives the same policy back.
    @Test func roundTrips() throws {
        var policy = Policy()
        policy.routing.languageFallbacks = ["pt": ["es", "en"]]
        policy.routing.relaxation = [RelaxationStep(after: .seconds(10), widenLanguage: true)]
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(Policy.self, from: data) == policy)
    }
}

@Suite struct UnrecordedContactTests {
    /// An engine that does not record unthreadable contacts routes an anonymous one exactly as
    /// one that does, gives it no case, and still threads a contact that carries an identifier.
    @Test func anonymousContactsAreRoutedWithoutACase() throws {
        var recorded = try Engine(trackKPIs: false)
        var bare = try Engine(trackKPIs: false, recordsUnthreadableContacts: false)
        let now = Instant.seconds(1_000)
        var events: [EngineEvent] = []
        func run(_ engine: inout Engine) throws -> [PushReceipt] {
            try engine.login(AgentProfile(id: "ann", skills: ["general": 5], languages: ["en"]), at: now, events: &events)
            var receipts: [PushReceipt] = []
            receipts.append(try engine.pushContact(NewContact(channel: .voice, language: "en"), at: now, events: &events))
            receipts.append(try engine.pushContact(NewContact(channel: .chat, topic: "billing"), at: now, events: &events))
            receipts.append(try engine.pushContact(NewContact(channel: .voice, identifiers: [.phone("+14155550100")]), at: now, events: &events))
            try engine.accept(receipts[0].contact, by: "ann", at: now, events: &events)
            try engine.complete(receipts[0].contact, by: "ann", Completion(resolved: true), at: now + .seconds(60), events: &events)
            try engine.endContact(receipts[1].contact, reason: .abandoned, at: now + .seconds(61), events: &events)
            return receipts
        }
        let withCases = try run(&recorded)
        let withoutCases = try run(&bare)
        #expect(withCases.map(\.contact) == withoutCases.map(\.contact))
        #expect(withCases.map(\.routing) == withoutCases.map(\.routing))
        #expect(withoutCases[0].caseID == CaseID(0) && withoutCases[0].customer == CustomerID(0))
        #expect(withoutCases[1].caseID == CaseID(0))
        #expect(withoutCases[2].caseID != CaseID(0))
        #expect(withCases[0].caseID != CaseID(0))
        #expect(bare.stats(at: now).cases == 1)
        #expect(recorded.stats(at: now).cases == 3)
        #expect(bare.caseHistory(withoutCases[2].caseID).count == 1)
    }

    /// An anonymous contact that names its customer mid-way joins a case as if it had arrived
    /// with the identifier: opened at its arrival, its handler in the history; the customer's next
    /// contact threads to that case and the router prefers the same agent (affinity). What cannot
    /// be identified is refused and changes nothing.
    @Test func identifyingAnAnonymousContactThreadsItAsOfItsArrival() throws {
        var engine = try Engine(trackKPIs: false, acceptsOffersAtOnce: true, recordsUnthreadableContacts: false)
        var events: [EngineEvent] = []
        let t0 = Instant.seconds(1_000)
        try engine.login(AgentProfile(id: "ann", skills: ["general": 5], languages: ["en"]), at: t0, events: &events)
        try engine.login(AgentProfile(id: "bob", skills: ["general": 5], languages: ["en"]), at: t0, events: &events)
        let first = try engine.pushContact(NewContact(channel: .chat, topic: "refund", language: "en"), at: t0 + .seconds(5), events: &events)
        #expect(first.caseID == CaseID(0))
        guard case .offered(let handler) = first.routing else { Issue.record("not offered: \(first.routing)"); return }
        let mail = RawIdentifier.email("kim@example.com")
        try engine.identify(first.contact, as: [mail], topic: "refund", at: t0 + .seconds(30), events: &events)
        guard let customer = try engine.findCustomer(mail), let caseID = engine.directory.openCases(of: customer.id).first else {
            Issue.record("identify opened no case for the customer"); return
        }
        let history = engine.caseHistory(caseID)
        #expect(history.map(\.contact) == [first.contact])
        #expect(history.first?.at == t0 + .seconds(5))
        #expect(history.first?.agent == handler && history.first?.handledAt == t0 + .seconds(5))
        #expect(engine.caseSummary(caseID)?.topic == "refund")
        // Identified once, it is on a case: a second identify is refused.
        #expect(throws: SwitchboardError.self) { try engine.identify(first.contact, as: [mail], at: t0 + .seconds(31), events: &events) }
        try engine.complete(first.contact, by: handler, Completion(resolved: false), at: t0 + .seconds(60), events: &events)
        // The other agent is idle longer now, yet affinity sends the customer back to its handler.
        let again = try engine.pushContact(NewContact(channel: .chat, identifiers: [mail], topic: "refund", language: "en"),
                                           at: t0 + .seconds(600), events: &events)
        #expect(again.caseID == caseID)
        #expect(again.routing == .offered(to: handler))
        // Refused, changing nothing: unknown, already ended, or without an identifier.
        let other = try engine.pushContact(NewContact(channel: .email, language: "en"), at: t0 + .seconds(601), events: &events)
        #expect(throws: SwitchboardError.notFound("\(ContactID(999)) is not in progress (unknown, or already ended)", field: "contact_id")) {
            try engine.identify(ContactID(999), as: [mail], at: t0 + .seconds(602), events: &events)
        }
        #expect(throws: SwitchboardError.self) { try engine.identify(first.contact, as: [mail], at: t0 + .seconds(602), events: &events) }
        let before = engine.stats(at: t0 + .seconds(602)).cases
        #expect(throws: SwitchboardError.invalidArgument("name the customer with at least one identifier", field: "identifiers")) {
            try engine.identify(other.contact, as: [], at: t0 + .seconds(602), events: &events)
        }
        #expect(engine.stats(at: t0 + .seconds(602)).cases == before)
    }

    /// An unrecorded contact is refused for an over-long topic exactly as a threaded one is.
    @Test func unrecordedContactsRefuseTheSameTopicsAsThreadedOnes() throws {
        let topic = String(repeating: "t", count: 257)
        var events: [EngineEvent] = []
        var recorded = try Engine(trackKPIs: false)
        var bare = try Engine(trackKPIs: false, recordsUnthreadableContacts: false)
        var messages: [String] = []
        for engine in [0, 1] {
            do {
                if engine == 0 {
                    _ = try recorded.pushContact(NewContact(channel: .chat, topic: topic), at: .seconds(1), events: &events)
                } else {
                    _ = try bare.pushContact(NewContact(channel: .chat, topic: topic), at: .seconds(1), events: &events)
                }
                Issue.record("a 257-byte topic was accepted")
            } catch {
                #expect(error.field == "topic")
                messages.append(error.message)
            }
        }
        #expect(messages.count == 2 && messages[0] == messages[1])
        #expect(bare.stats(at: .seconds(1)).routing.waiting[.chat] == 0)
    }

    /// KPIs count contacts per case, so an engine tracking them must record every contact.
    @Test func trackingKPIsNeedsEveryContactRecorded() {
        #expect(throws: SwitchboardError.self) { try Engine(trackKPIs: true, recordsUnthreadableContacts: false) }
    }
}
