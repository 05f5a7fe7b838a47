import Dispatch
import Logging
import SwiftProtobuf
import SwitchboardClient
import SwitchboardCore
import SwitchboardDomain
import SwitchboardServer
import SwitchboardTestSupport
import SwitchboardWire
import Testing
import ZeroMQ

/// A live server (engine + command log + events) on ephemeral loopback ports, over a data dir that
/// outlives restarts: `restart()` stops the server and starts a new one on the same directory.
final class LiveFixture {
    let directory = TemporaryDirectory(prefix: "switchboard-live-test")
    let logs = LogStore()
    private(set) var server: Server
    private(set) var handle: LiveHandle
    private(set) var live: LiveConfiguration
    private var context: Context { server.context }

    init(_ configure: (inout LiveConfiguration) -> Void = { _ in }) throws {
        var live = LiveConfiguration.ephemeral()
        configure(&live)
        self.live = live
        (server, handle) = try Self.start(directory: directory.path + "/var", live: live, logs: logs)
    }

    private static func start(directory: String, live: LiveConfiguration, logs: LogStore) throws -> (Server, LiveHandle) {
        var configuration = Server.Configuration.ephemeral(dataDirectory: directory)
        configuration.version = "test-live"
        let store = logs
        let logger = Logger(label: "switchboard.live-test") { _ in RecordingLogHandler(store: store) }
        let (server, handle) = try LiveService.server(configuration, live: live, logger: logger)
        try server.start()
        return (server, handle)
    }

    /// Stops the server gracefully and starts a new one on the same data dir, with a new database size limit.
    func restart(maximumDatabaseBytes: Int64?) throws {
        live.maximumDatabaseBytes = maximumDatabaseBytes
        try restart()
    }

    /// Stops the server gracefully and starts a new one on the same data dir.
    func restart() throws {
        server.stop()
        server.waitUntilStopped()
        (server, handle) = try Self.start(directory: directory.path + "/var", live: live, logs: logs)
    }

    var endpoint: String { server.endpoint ?? "" }

    func client() throws -> Client { try Client(endpoint: endpoint, context: server.context) }

    func agent(_ id: String, skills: [String: UInt32] = [:], languages: [String] = ["en"], capacity: UInt32 = 0) throws -> TestAgent {
        try TestAgent(id: id, client: client(), skills: skills, languages: languages, capacity: capacity)
    }

    func shutdown() {
        server.stopNow()
        server.waitUntilStopped()
        directory.delete()
    }
}

/// An agent desktop for tests: logs in, opens its offer stream, reads offers with a bounded wait.
final class TestAgent {
    let id: String
    let client: Client
    private(set) var streamID: UInt64 = 0
    let login: Switchboard_V1_LoginResponse

    init(id: String, client: Client, skills: [String: UInt32], languages: [String], capacity: UInt32) throws {
        self.id = id
        self.client = client
        var request = Switchboard_V1_LoginRequest()
        request.agentID = id
        request.skills = skills.sorted { $0.key < $1.key }.map { name, level in
            var s = Switchboard_V1_SkillLevel()
            s.skill = name
            s.level = level
            return s
        }
        request.languages = languages
        request.capacity = capacity
        login = try client.call(.agentsLogin, request)
        try openStream()
    }

    func openStream() throws {
        var request = Switchboard_V1_StreamOffersRequest()
        request.agentID = id
        streamID = try client.send(WireMethod.agentsStreamOffers.path, body: try request.serializedBytes())
    }

    /// The next element of the offer stream, or nil if none within `wait` (or the stream ended).
    func nextItem(wait: Int = safetyWaitMilliseconds) throws -> Switchboard_V1_StreamOffersResponse? {
        guard let reply = try client.receive(id: streamID, waitMilliseconds: wait) else { return nil }
        guard reply.header.kind == .streamMessage else { return nil }
        return try Switchboard_V1_StreamOffersResponse(serializedBytes: reply.body)
    }

    /// The next offer (skipping withdrawals), or nil.
    func nextOffer(wait: Int = safetyWaitMilliseconds) throws -> Switchboard_V1_Offer? {
        while let item = try nextItem(wait: wait) {
            if case .offer(let offer)? = item.item { return offer }
        }
        return nil
    }

    /// The next withdrawal (skipping offers), or nil.
    func nextWithdrawal(wait: Int = safetyWaitMilliseconds) throws -> Switchboard_V1_OfferWithdrawn? {
        while let item = try nextItem(wait: wait) {
            if case .withdrawn(let w)? = item.item { return w }
        }
        return nil
    }

    @discardableResult
    func accept(_ contact: UInt64) throws -> Switchboard_V1_AcceptResponse {
        var r = Switchboard_V1_AcceptRequest()
        r.agentID = id
        r.contactID = contact
        return try client.call(.agentsAccept, r)
    }

    func decline(_ contact: UInt64) throws {
        var r = Switchboard_V1_DeclineRequest()
        r.agentID = id
        r.contactID = contact
        let _: Switchboard_V1_DeclineResponse = try client.call(.agentsDecline, r)
    }

    @discardableResult
    func complete(_ contact: UInt64, resolved: Bool = false, wrapUp: Int64 = 0) throws -> Switchboard_V1_CompleteResponse {
        var r = Switchboard_V1_CompleteRequest()
        r.agentID = id
        r.contactID = contact
        r.resolved = resolved
        r.wrapUpMicros = wrapUp
        return try client.call(.agentsComplete, r)
    }

    func heartbeat() throws -> Switchboard_V1_HeartbeatResponse {
        var r = Switchboard_V1_HeartbeatRequest()
        r.agentID = id
        return try client.call(.agentsHeartbeat, r)
    }
}

/// A push built from the few fields tests vary.
func pushRequest(
    _ channel: Switchboard_V1_Channel, email: String? = nil, phone: String? = nil, subject: String = "",
    language: String = "", priority: UInt32 = 0, skills: [String] = [], idempotencyKey: String = "",
    messageID: String = "", inReplyTo: String = "", references: [String] = []
) -> Switchboard_V1_PushContactRequest {
    var r = Switchboard_V1_PushContactRequest()
    r.channel = channel
    if let email {
        var id = Switchboard_V1_CustomerIdentifier()
        id.email = email
        r.identifiers.append(id)
    }
    if let phone {
        var id = Switchboard_V1_CustomerIdentifier()
        id.phone = phone
        r.identifiers.append(id)
    }
    r.subject = subject
    r.language = language
    r.priority = priority
    r.requiredSkills = skills.map { name in
        var s = Switchboard_V1_SkillRequirement()
        s.skill = name
        return s
    }
    r.idempotencyKey = idempotencyKey
    if !messageID.isEmpty || !inReplyTo.isEmpty || !references.isEmpty {
        var h = Switchboard_V1_EmailHeaders()
        h.messageID = messageID
        h.inReplyTo = inReplyTo
        h.references = references
        r.email = h
    }
    return r
}

extension Client {
    func push(_ request: Switchboard_V1_PushContactRequest) throws -> Switchboard_V1_PushContactResponse {
        try call(.ingestPushContact, request)
    }

    func getCase(_ id: UInt64) throws -> Switchboard_V1_GetCaseResponse {
        var r = Switchboard_V1_GetCaseRequest()
        r.caseID = id
        return try call(.casesGetCase, r)
    }

    func findCustomer(email: String) throws -> Switchboard_V1_FindCustomerResponse {
        var r = Switchboard_V1_FindCustomerRequest()
        var id = Switchboard_V1_CustomerIdentifier()
        id.email = email
        r.identifier = id
        return try call(.casesFindCustomer, r)
    }

    func stats() throws -> Switchboard_V1_GetStatsResponse {
        try call(.statsGetStats, Switchboard_V1_GetStatsRequest())
    }

    /// The status a call fails with, or nil when it succeeds.
    func failure<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: WireMethod, _ request: Request, as: Response.Type
    ) throws -> WireError? {
        do {
            let _: Response = try call(method, request)
            return nil
        } catch .status(let error) {
            return error
        }
    }
}
