import Dispatch
import SwiftProtobuf
import SwitchboardClient
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardServer
import SwitchboardWire
import Testing
import ZeroMQ

/// The live service over real sockets: adapters push, agents pull offers, cases thread across
/// channels, and what was acknowledged survives a restart.
@Suite(.serialized) struct LiveServiceTests {
    /// An email, then a chat, then a call from the same customer land on one case, and the offer of
    /// the call shows the email and the chat in its history.
    @Test func crossChannelContactsShareOneCaseAndTheThirdOfferShowsTheFirstTwo() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let adapter = try fixture.client()
        let agent = try fixture.agent("ana")

        let email = try adapter.push(pushRequest(.email, email: "maria@example.com", subject: "Refund for order 17"))
        let first = try #require(try agent.nextOffer())
        #expect(first.contact.contactID == email.contactID)
        try agent.accept(email.contactID)
        try agent.complete(email.contactID)

        let chat = try adapter.push(pushRequest(.chat, email: "maria@example.com", phone: "+34911234567", subject: "Still waiting"))
        #expect(chat.caseID == email.caseID)
        let second = try #require(try agent.nextOffer())
        #expect(second.contact.contactID == chat.contactID)
        try agent.accept(chat.contactID)
        try agent.complete(chat.contactID)

        let call = try adapter.push(pushRequest(.voice, phone: "+34 911 234 567"))
        #expect(call.caseID == email.caseID)
        #expect(call.customerID == email.customerID)
        let third = try #require(try agent.nextOffer())
        #expect(third.contact.contactID == call.contactID)
        #expect(third.history.map(\.contactID) == [email.contactID, chat.contactID])
        #expect(third.history.map(\.channel) == [.email, .chat])
        #expect(third.history.map(\.handledByAgentID) == ["ana", "ana"])
        #expect(third.history.first?.subject == "Refund for order 17")
    }

    /// A reply whose References name an earlier email threads into that email's case by the email
    /// reply rule, even without In-Reply-To.
    @Test func replyThreadsByReferencesWithoutInReplyTo() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let adapter = try fixture.client()
        let original = try adapter.push(pushRequest(.email, email: "li@example.com", subject: "Invoice", messageID: "<a1@mail.example.com>"))
        let reply = try adapter.push(pushRequest(
            .email, email: "li@example.com", subject: "Re: Invoice", messageID: "<b2@mail.example.com>",
            references: ["<zz@elsewhere.example>", "<a1@mail.example.com>"]))
        #expect(reply.caseID == original.caseID)
        #expect(reply.threading.rule == .emailReply)
        #expect(reply.contactID != original.contactID)
    }

    /// A Spanish contact is offered to the Spanish-speaking agent, not to the English-only one.
    @Test func spanishContactsReachSpanishSpeakingAgents() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let english = try fixture.agent("en-1", languages: ["en"])
        let spanish = try fixture.agent("es-1", languages: ["es"])
        let adapter = try fixture.client()
        let pushed = try adapter.push(pushRequest(.chat, email: "jose@example.com", language: "es"))
        let offer = try #require(try spanish.nextOffer())
        #expect(offer.contact.contactID == pushed.contactID)
        #expect(offer.contact.language == "es")
        _ = english
        let stats = try adapter.stats()
        #expect(stats.queues.first { $0.channel == .chat }?.offered == 1)
    }

    /// With no agent free, a higher-priority contact that arrives later is offered first.
    @Test func higherPriorityOvertakes() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let adapter = try fixture.client()
        let low = try adapter.push(pushRequest(.chat, email: "low@example.com", priority: 1))
        let high = try adapter.push(pushRequest(.chat, email: "high@example.com", priority: 10))
        #expect(low.queuePosition >= 1)
        let agent = try fixture.agent("solo", capacity: 34)  // room for one chat
        let offer = try #require(try agent.nextOffer())
        #expect(offer.contact.contactID == high.contactID)
    }

    /// A declined contact goes back to the queue and is offered to another agent.
    @Test func declineRequeuesToAnotherAgent() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let first = try fixture.agent("first")
        let adapter = try fixture.client()
        let pushed = try adapter.push(pushRequest(.chat, email: "d@example.com"))
        #expect(try first.nextOffer()?.contact.contactID == pushed.contactID)
        let second = try fixture.agent("second")
        try first.decline(pushed.contactID)
        let offer = try #require(try second.nextOffer())
        #expect(offer.contact.contactID == pushed.contactID)
    }

    /// An offer nobody answers expires: the agent sees it withdrawn and the contact goes to another agent.
    @Test func offerTimeoutRequeues() throws {
        let fixture = try LiveFixture { $0.policy.routing.offerTimeout.chat = .milliseconds(300) }
        defer { fixture.shutdown() }
        let slow = try fixture.agent("slow")
        let adapter = try fixture.client()
        let pushed = try adapter.push(pushRequest(.chat, email: "t@example.com"))
        #expect(try slow.nextOffer()?.contact.contactID == pushed.contactID)
        let other = try fixture.agent("other")
        let withdrawn = try #require(try slow.nextWithdrawal())
        #expect(withdrawn.contactID == pushed.contactID)
        #expect(withdrawn.reason == .expired)
        #expect(try other.nextOffer()?.contact.contactID == pushed.contactID)
    }

    /// An agent that stops sending heartbeats mid-offer goes offline; the offer returns to the
    /// queue and reaches an agent that is alive. The vanished agent must log in again.
    @Test func agentThatMissesHeartbeatsLosesItsOffer() throws {
        let fixture = try LiveFixture { $0.heartbeatInterval = .milliseconds(100) }
        defer { fixture.shutdown() }
        let gone = try fixture.agent("gone")
        #expect(gone.login.heartbeatIntervalMicros == 100_000)
        #expect(gone.login.missedHeartbeatsAllowed == 3)
        let adapter = try fixture.client()
        let pushed = try adapter.push(pushRequest(.chat, email: "v@example.com"))
        #expect(try gone.nextOffer()?.contact.contactID == pushed.contactID)

        let alive = try fixture.agent("alive")
        var offered: Switchboard_V1_Offer?
        for _ in 0..<50 where offered == nil {
            _ = try alive.heartbeat()
            offered = try alive.nextOffer(wait: 100)
        }
        #expect(offered?.contact.contactID == pushed.contactID)
        var heartbeat = Switchboard_V1_HeartbeatRequest()
        heartbeat.agentID = "gone"
        let error = try gone.client.failure(.agentsHeartbeat, heartbeat, as: Switchboard_V1_HeartbeatResponse.self)
        #expect(error?.status == .failedPrecondition)
    }

    /// A push retried with the same idempotency key answers the first contact and creates nothing.
    @Test func idempotentRetryCreatesNothing() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let adapter = try fixture.client()
        let request = pushRequest(.email, email: "r@example.com", idempotencyKey: "mail:<r1@example.com>")
        let first = try adapter.push(request)
        let again = try adapter.push(request)
        #expect(!first.replayed)
        #expect(again.replayed)
        #expect(again.contactID == first.contactID && again.caseID == first.caseID)
        let kase = try adapter.getCase(first.caseID)
        #expect(kase.history.count == 1)
        #expect(try adapter.stats().queues.map(\.waiting).reduce(0, +) == 1)
    }

    /// Bad input is answered INVALID_ARGUMENT naming the proto field, and writes nothing.
    @Test func invalidPushNamesTheField() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let adapter = try fixture.client()
        var request = pushRequest(.chat, email: "ok@example.com")
        request.identifiers.append(Switchboard_V1_CustomerIdentifier())
        let error = try adapter.failure(.ingestPushContact, request, as: Switchboard_V1_PushContactResponse.self)
        #expect(error?.status == .invalidArgument)
        #expect(error?.message.hasPrefix("identifiers[1]") == true)
        let badPhone = pushRequest(.voice, phone: "call me maybe")
        let phoneError = try adapter.failure(.ingestPushContact, badPhone, as: Switchboard_V1_PushContactResponse.self)
        #expect(phoneError?.message.hasPrefix("identifiers[0].phone") == true)
        #expect(try adapter.stats().queues.map(\.waiting).reduce(0, +) == 0)
    }

    /// A customer who hangs up while the call is offered: the agent sees the offer withdrawn, and a
    /// retried EndContact answers OK again without storing anything new.
    @Test func endContactWithdrawsTheOfferAndRetriesAnswerOK() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let agent = try fixture.agent("ringing")
        let adapter = try fixture.client()
        let call = try adapter.push(pushRequest(.voice, phone: "+14155550123"))
        #expect(try agent.nextOffer()?.contact.contactID == call.contactID)
        var end = Switchboard_V1_EndContactRequest()
        end.contactID = call.contactID
        end.reason = .abandoned
        let first: Switchboard_V1_EndContactResponse = try adapter.call(.ingestEndContact, end)
        #expect(first.offerWithdrawn)
        let withdrawn = try #require(try agent.nextWithdrawal())
        #expect(withdrawn.contactID == call.contactID && withdrawn.reason == .contactEnded)
        let again: Switchboard_V1_EndContactResponse = try adapter.call(.ingestEndContact, end)
        #expect(again.waitedMicros == first.waitedMicros)
        end.reason = .selfServed
        #expect(try adapter.failure(.ingestEndContact, end, as: Switchboard_V1_EndContactResponse.self)?.status == .failedPrecondition)
        #expect(try adapter.getCase(call.caseID).history.first?.outcome == .abandoned)
    }

    /// A transfer to a named agent keeps the case: the second agent's offer shows the same case.
    @Test func transferToAnAgentKeepsTheCase() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let first = try fixture.agent("tier1")
        let adapter = try fixture.client()
        let chat = try adapter.push(pushRequest(.chat, email: "x@example.com"))
        #expect(try first.nextOffer()?.contact.contactID == chat.contactID)
        try first.accept(chat.contactID)
        let second = try fixture.agent("tier2")
        var transfer = Switchboard_V1_TransferRequest()
        transfer.agentID = "tier1"
        transfer.contactID = chat.contactID
        transfer.toAgentID = "tier2"
        let _: Switchboard_V1_TransferResponse = try first.client.call(.agentsTransfer, transfer)
        let offer = try #require(try second.nextOffer())
        #expect(offer.contact.contactID == chat.contactID && offer.contact.caseID == chat.caseID)
    }

    /// Stopping the server and starting a new one on the same data dir keeps customers, cases,
    /// waiting contacts in their order and assignments; agents are logged out until they return,
    /// and get their accepted work back at login.
    @Test func restartKeepsEverything() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        var adapter = try fixture.client()
        let agent = try fixture.agent("keeper")
        let call = try adapter.push(pushRequest(.voice, phone: "+14155550100"))
        #expect(try agent.nextOffer()?.contact.contactID == call.contactID)
        try agent.accept(call.contactID)
        let waiting1 = try adapter.push(pushRequest(.chat, email: "w1@example.com", subject: "first"))
        let waiting2 = try adapter.push(pushRequest(.email, email: "w2@example.com", subject: "second"))
        let before = (try adapter.getCase(waiting1.caseID), try adapter.getCase(waiting2.caseID),
                      try adapter.findCustomer(email: "w1@example.com"), try adapter.stats())

        try fixture.restart()
        #expect(fixture.handle.replayedRecords > 0)
        adapter = try fixture.client()
        let after = (try adapter.getCase(waiting1.caseID), try adapter.getCase(waiting2.caseID),
                     try adapter.findCustomer(email: "w1@example.com"), try adapter.stats())
        #expect(after.0 == before.0)
        #expect(after.1 == before.1)
        #expect(after.2 == before.2)
        #expect(after.3.queues.map(\.waiting) == before.3.queues.map(\.waiting))
        #expect(after.3.queues.map(\.inProgress) == before.3.queues.map(\.inProgress))
        #expect(after.3.agents.offline == 1)

        let back = try fixture.agent("keeper")
        #expect(back.login.assignments.map(\.contact.contactID) == [call.contactID])
        // New work continues the numbering: nothing is reused after a restart.
        let next = try adapter.push(pushRequest(.chat, email: "w3@example.com"))
        #expect(next.contactID > waiting2.contactID)
    }

    /// Events go out on the PUB socket with a topic frame: a new contact publishes case.opened and
    /// contact.queued.<channel>, with sequences that increase by one.
    @Test func eventsArePublishedWithTopics() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let subscriber = try Socket(fixture.server.context, type: .sub)
        try subscriber.set(.subscribe, Array("".utf8))
        try subscriber.connect(try #require(fixture.handle.eventsEndpoint))
        var poller = Poller()
        poller.add(subscriber)
        let adapter = try fixture.client()
        var topics: [String] = []
        var sequences: [UInt64] = []
        // A SUB socket joins asynchronously: push until its first event arrives.
        for i in 0..<50 where !topics.contains("contact.queued.chat") {
            _ = try adapter.push(pushRequest(.chat, email: "e\(i)@example.com"))
            while try poller.poll(timeoutMilliseconds: 100) > 0, let frames = try subscriber.receiveMultipart(dontWait: true) {
                guard frames.count == 2 else { continue }
                topics.append(String(decoding: frames[0], as: UTF8.self))
                sequences.append(try Switchboard_V1_Event(serializedBytes: frames[1]).sequence)
            }
        }
        #expect(topics.contains("case.opened"))
        #expect(topics.contains("contact.queued.chat"))
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 + 1 })
    }

    /// When the disk fills, the push that could not be stored is answered UNAVAILABLE, the server
    /// stops taking work (Health NOT_SERVING), and after a restart every acknowledged contact is there.
    @Test func storageFailureAnswersUnavailableAndKeepsWhatWasAcknowledged() throws {
        let fixture = try LiveFixture { $0.maximumDatabaseBytes = 96 * 1024 }
        defer { fixture.shutdown() }
        let adapter = try fixture.client()
        var acknowledged: [Switchboard_V1_PushContactResponse] = []
        var failure: WireError?
        for i in 0..<200 where failure == nil {
            var request = pushRequest(.email, email: "full\(i)@example.com")
            request.textPreview = String(repeating: "x", count: 4000)
            do {
                acknowledged.append(try adapter.push(request))
            } catch let error as ClientError {
                guard case .status(let status) = error else { throw error }
                failure = status
            }
        }
        #expect(failure?.status == .unavailable)
        #expect(!acknowledged.isEmpty)
        #expect(try adapter.health().status == .notServing)
        let later = try adapter.failure(.statsGetStats, Switchboard_V1_GetStatsRequest(), as: Switchboard_V1_GetStatsResponse.self)
        #expect(later?.status == .unavailable)

        try fixture.restart(maximumDatabaseBytes: nil)
        let fresh = try fixture.client()
        for ack in acknowledged {
            #expect(try fresh.getCase(ack.caseID).history.map(\.contactID) == [ack.contactID])
        }
    }
}

/// Group commit under load: thousands of pipelined pushes are each acknowledged exactly once.
@Suite struct LivePipelineTests {
    /// Pipelined pushes from one connection are all answered OK, each once.
    @Test func pipelinedPushesAreAllAcknowledged() throws {
        let fixture = try LiveFixture()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let total = 1_000
        var ids: Set<UInt64> = []
        for i in 0..<total {
            var r = pushRequest(.chat, email: "p\(i)@example.com")
            r.idempotencyKey = "p-\(i)"
            ids.insert(try client.send(WireMethod.ingestPushContact.path, body: try r.serializedBytes()))
        }
        var acknowledged = 0
        while let reply = try client.receive(waitMilliseconds: safetyWaitMilliseconds) {
            #expect(reply.isOK, "\(reply.status): \(reply.message)")
            if ids.remove(reply.requestID) != nil { acknowledged += 1 }
            if ids.isEmpty { break }
        }
        #expect(acknowledged == total)
    }
}
