import Foundation
import SwiftProtobuf
import SwitchboardWire
import Testing

/// The encoder produces the checked-in golden frames byte for byte (they are written from the spec
/// by make_golden.py, not by this encoder), and the decoder reads them back.
@Suite struct GoldenFrameTests {
    static let t0: Int64 = 1_763_900_000_000_000

    static func golden(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden"), "missing Golden/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static func expectHeader(_ header: FrameHeader, matches name: String) throws {
        let golden = try golden(name)
        #expect(try header.encoded() == golden, "\(name)")
        #expect(try FrameHeader(decoding: golden) == header, "\(name)")
    }

    static func expectBody<M: SwiftProtobuf.Message & Equatable>(_ message: M, matches name: String) throws {
        let golden = try golden(name)
        #expect(try WireBody.encode(message) == golden, "\(name)")
        #expect(try WireBody.decode(M.self, from: golden) == message, "\(name)")
    }

    /// Health/Check: the request and its SERVING reply.
    @Test func healthCheck() throws {
        try Self.expectHeader(.request(id: 1, method: WireMethod.healthCheck.path, timeoutMilliseconds: 1000), matches: "health-check.request.header.bin")
        try Self.expectBody(Switchboard_V1_HealthCheckRequest(), matches: "health-check.request.body.bin")
        try Self.expectHeader(.response(id: 1), matches: "health-check.response.header.bin")
        var reply = Switchboard_V1_HealthCheckResponse()
        reply.status = .serving
        reply.version = "0.1.0"
        reply.uptimeMicros = 90_000_000
        reply.protocolVersion = 1
        reply.serverTimeUnixMicros = Self.t0
        try Self.expectBody(reply, matches: "health-check.response.body.bin")
    }

    /// Ingest/PushContact: an email reply with every kind of field, and the answer.
    @Test func pushContact() throws {
        try Self.expectHeader(.request(id: 2, method: WireMethod.ingestPushContact.path, timeoutMilliseconds: 5000), matches: "push-contact.request.header.bin")
        var request = Switchboard_V1_PushContactRequest()
        request.channel = .email
        var email = Switchboard_V1_CustomerIdentifier()
        email.email = "ana.lopez@example.com"
        var phone = Switchboard_V1_CustomerIdentifier()
        phone.phone = "+34911234567"
        request.identifiers = [email, phone]
        request.subject = "Re: Refund for order 1182 [SB-7]"
        request.textPreview = "Hello, I was charged twice for order 1182."
        request.language = "es"
        request.priority = 5
        var billing = Switchboard_V1_SkillRequirement()
        billing.skill = "billing"
        billing.minimumLevel = 3
        request.requiredSkills = [billing]
        var refunds = Switchboard_V1_SkillRequirement()
        refunds.skill = "refunds"
        request.preferredSkills = [refunds]
        request.topic = "billing/refund"
        request.email.messageID = "<m2@mail.example.com>"
        request.email.inReplyTo = "<m1@sb.example.com>"
        request.email.references = ["<m1@sb.example.com>"]
        request.idempotencyKey = "mail:<m2@mail.example.com>"
        request.metadata = ["mailbox": "support"]
        try Self.expectBody(request, matches: "push-contact.request.body.bin")

        try Self.expectHeader(.response(id: 2), matches: "push-contact.response.header.bin")
        var reply = Switchboard_V1_PushContactResponse()
        reply.contactID = 42
        reply.caseID = 7
        reply.customerID = 3
        reply.threading.rule = .emailReply
        reply.threading.reason = "In-Reply-To <m1@sb.example.com> is contact 41 of case 7"
        reply.queuePosition = 2
        reply.estimatedWaitMicros = 45_000_000
        try Self.expectBody(reply, matches: "push-contact.response.body.bin")
    }

    /// An unknown method is answered UNIMPLEMENTED with the registry's message and an empty body.
    @Test func unknownMethod() throws {
        let path = "/switchboard.v1.Health/Nope"
        try Self.expectHeader(.request(id: 3, method: path), matches: "unknown-method.request.header.bin")
        #expect(WireMethod(path: path) == nil)
        try Self.expectHeader(.response(id: 3, error: .unknownMethod(path)), matches: "unknown-method.response.header.bin")
    }

    /// Agents/StreamOffers: request, one offer, the client's CANCEL and the STREAM_END.
    @Test func streamOffers() throws {
        try Self.expectHeader(.request(id: 4, method: WireMethod.agentsStreamOffers.path), matches: "stream-offers.request.header.bin")
        var request = Switchboard_V1_StreamOffersRequest()
        request.agentID = "agent-7"
        try Self.expectBody(request, matches: "stream-offers.request.body.bin")

        try Self.expectHeader(.streamMessage(id: 4), matches: "stream-offers.message.header.bin")
        var contact = Switchboard_V1_ContactDetails()
        contact.contactID = 42
        contact.caseID = 7
        contact.customerID = 3
        contact.channel = .email
        var email = Switchboard_V1_CustomerIdentifier()
        email.email = "ana.lopez@example.com"
        contact.identifiers = [email]
        contact.subject = "Re: Refund for order 1182 [SB-7]"
        contact.language = "es"
        contact.priority = 5
        contact.arrivedAtUnixMicros = Self.t0
        var earlier = Switchboard_V1_CaseHistoryEntry()
        earlier.contactID = 41
        earlier.channel = .chat
        earlier.arrivedAtUnixMicros = Self.t0 - 86_400_000_000
        earlier.subject = "Charged twice?"
        earlier.handledByAgentID = "agent-7"
        earlier.outcome = .unresolved
        earlier.disposition = "escalated_to_billing"
        earlier.endedAtUnixMicros = Self.t0 - 86_000_000_000
        var candidate = Switchboard_V1_CandidateScore()
        candidate.agentID = "agent-7"
        candidate.score = 0.875
        var offer = Switchboard_V1_Offer()
        offer.contact = contact
        offer.history = [earlier]
        offer.offeredAtUnixMicros = Self.t0 + 1_000_000
        offer.expiresAtUnixMicros = Self.t0 + 31_000_000
        offer.explanation.rule = "affinity"
        offer.explanation.topCandidates = [candidate]
        offer.explanation.reason = "agent-7 handled this case before"
        var element = Switchboard_V1_StreamOffersResponse()
        element.offer = offer
        try Self.expectBody(element, matches: "stream-offers.message.body.bin")

        try Self.expectHeader(.cancel(id: 4), matches: "stream-offers.cancel.header.bin")
        try Self.expectHeader(.streamEnd(id: 4, status: .cancelled, message: "the stream was cancelled by the client"), matches: "stream-offers.end.header.bin")
    }

    /// PING and PONG echo the nonce.
    @Test func pingPong() throws {
        try Self.expectHeader(.ping(id: 0x0102_0304_0506_0708), matches: "ping.header.bin")
        try Self.expectHeader(.pong(id: 0x0102_0304_0506_0708), matches: "pong.header.bin")
    }

    /// A PUB event: the topic frame and the Event frame.
    @Test func contactAssignedEvent() throws {
        var assigned = Switchboard_V1_ContactAssigned()
        assigned.contactID = 42
        assigned.caseID = 7
        assigned.customerID = 3
        assigned.channel = .voice
        assigned.agentID = "agent-7"
        assigned.waitedMicros = 12_500_000
        var event = Switchboard_V1_Event()
        event.sequence = 17
        event.atUnixMicros = Self.t0 + 2_000_000
        event.contactAssigned = assigned
        #expect(Array((event.topic ?? "").utf8) == (try Self.golden("event-contact-assigned.topic.bin")))
        try Self.expectBody(event, matches: "event-contact-assigned.event.bin")
    }
}
