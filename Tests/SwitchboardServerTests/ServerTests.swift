#if canImport(Glibc)
import Dispatch
import Glibc
#endif
import Logging
import SwitchboardDomain
import SwitchboardClient
import SwitchboardServer
import SwitchboardTestSupport
import SwitchboardWire
import Testing
import ZeroMQ

/// The server over real sockets: an in-process server on an ephemeral loopback port, clients over tcp.
@Suite struct ServerTests {
    /// Health/Check answers SERVING with the configured version, protocol 1 and the server's clock.
    @Test func healthAnswersServing() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()

        let health = try client.health()
        #expect(health.status == .serving)
        #expect(health.version == "test-1")
        #expect(health.protocolVersion == 1)
        #expect(health.uptimeMicros >= 0)
        #expect(health.serverTimeUnixMicros > 1_600_000_000_000_000)
    }

    /// Every v1 method nobody serves yet answers UNIMPLEMENTED with a message saying so: unary
    /// methods with a RESPONSE, the streaming method with a STREAM_END.
    @Test func unservedMethodsAnswerUnimplemented() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        // A server without the test service: only the built-in methods.
        let bare = try Server(configuration: .ephemeral(dataDirectory: fixture.directory.path + "/bare"),
                              logger: Logger(label: "bare") { _ in SwiftLogNoOpLogHandler() })
        let endpoint = try bare.start()
        defer { bare.stopNow(); bare.waitUntilStopped() }
        let client = try Client(endpoint: endpoint, context: bare.context)

        for method in WireMethod.allCases where method != .healthCheck {
            let id = try client.send(method.path, body: [])
            let reply = try #require(try client.reply(to: id), "no reply to \(method)")
            #expect(reply.header.kind == (method.shape == .serverStreaming ? .streamEnd : .response))
            #expect(reply.status == .unimplemented, "\(method)")
            #expect(reply.message.contains(method.path) && reply.message.contains("not serve it yet"), "\(reply.message)")
        }
        #expect(try client.health().status == .serving)
    }

    /// A PING is answered by a PONG with the same request id.
    @Test func pingIsAnsweredWithPong() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        try client.sendRaw([try headerBytes(.ping(id: 0xDEAD_BEEF)), []])
        let pong = try #require(try client.reply(to: 0xDEAD_BEEF))
        #expect(pong.header.kind == .pong)
        #expect(try client.ping())
        _ = try client.health()  // answered after the pings were counted
        #expect(fixture.server.statistics.pings == 2)
    }

    /// Many requests in flight on one socket each get their own request id back.
    @Test func pipelinedRequestsGetTheirOwnIDs() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        var sent: Set<UInt64> = []
        for _ in 0..<200 {
            sent.insert(try client.send(WireMethod.healthCheck.path, body: []))
        }
        var received: Set<UInt64> = []
        for _ in 0..<200 {
            let reply = try #require(try client.receive(waitMilliseconds: safetyWaitMilliseconds))
            #expect(reply.isOK && reply.header.kind == .response)
            received.insert(reply.requestID)
        }
        #expect(received == sent)
    }

    // MARK: - Bad input

    /// Messages that are not [header][body] cannot be answered: they are dropped, logged as a
    /// warning, and the same peer is served normally afterwards.
    @Test(arguments: [1, 3, 5])
    func wrongFrameCountIsDroppedAndLogged(frameCount: Int) throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let header = try headerBytes(.request(id: 7, method: WireMethod.healthCheck.path))
        try client.sendRaw([header] + Array(repeating: [], count: frameCount - 1))

        #expect(try client.health().status == .serving)
        #expect(try client.receive(waitMilliseconds: 0) == nil)  // nothing answered the bad message
        #expect(fixture.server.statistics.droppedMessages == 1)
        let warnings = fixture.logs.warnings(trouble: .wrongFrameCount)
        #expect(warnings.count == 1)
        #expect(warnings.first?.metadata["sb.frames"] == "\(frameCount)")
        #expect(warnings.first?.metadata["sb.peer"]?.isEmpty == false)
    }

    /// A header too short to hold a request id is dropped and logged; the peer is still served.
    @Test func headerTooShortForARequestIDIsDropped() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        try client.sendRaw([[0x53, 0x42, 0x01], []])
        try client.sendRaw([[], []])

        #expect(try client.health().status == .serving)
        #expect(fixture.server.statistics.droppedMessages == 2)
        #expect(fixture.logs.warnings(trouble: .unreadableHeader).count == 2)
    }

    /// A header that holds a request id but breaks a rule (bad magic, non-zero flags, a length that
    /// does not match, text that is not UTF-8) is answered INVALID_ARGUMENT with that id.
    @Test(arguments: HeaderCorruption.allCases)
    func malformedHeaderIsAnsweredInvalidArgument(corruption: HeaderCorruption) throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        var header = try headerBytes(.request(id: 4242, method: WireMethod.healthCheck.path))
        corruption.apply(to: &header)
        try client.sendRaw([header, []])

        let reply = try #require(try client.reply(to: 4242), "\(corruption)")
        #expect(reply.header.kind == .response)
        #expect(reply.status == .invalidArgument, "\(corruption)")
        #expect(!reply.message.isEmpty)
        #expect(try client.health().status == .serving)
        #expect(fixture.logs.warnings(trouble: .badHeader).count == 1)
    }

    /// An unknown protocol version is answered FAILED_PRECONDITION, in a version-1 header, with a
    /// message naming the version the server speaks.
    @Test func unknownProtocolVersionIsAnsweredFailedPrecondition() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        var header = try headerBytes(.request(id: 99, method: WireMethod.healthCheck.path))
        header[2] = 2
        try client.sendRaw([header, []])

        let reply = try #require(try client.reply(to: 99))
        #expect(reply.status == .failedPrecondition)
        #expect(reply.message.contains("version 1"))
        #expect(try client.health().status == .serving)
    }

    /// A method path outside the contract is answered UNIMPLEMENTED, naming the path.
    @Test func unknownMethodIsAnsweredUnimplemented() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let reply = try client.call("/switchboard.v1.Health/Chek", body: [], timeoutMilliseconds: UInt32(safetyWaitMilliseconds))
        #expect(reply.status == .unimplemented)
        #expect(reply.message.contains("/switchboard.v1.Health/Chek"))
        #expect(try client.health().status == .serving)
        #expect(fixture.logs.warnings(trouble: .unknownMethod).count == 1)
    }

    /// A body that does not decode as the method's request is answered INVALID_ARGUMENT naming the type.
    @Test func undecodableBodyIsAnsweredInvalidArgument() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let reply = try client.call(WireMethod.healthCheck.path, body: [0xFF, 0xFF, 0xFF], timeoutMilliseconds: UInt32(safetyWaitMilliseconds))
        #expect(reply.status == .invalidArgument)
        #expect(reply.message.contains("HealthCheckRequest"), "\(reply.message)")
        #expect(try client.health().status == .serving)
        #expect(fixture.logs.warnings(trouble: .badBody).count == 1)
    }

    /// Kinds only a server sends (RESPONSE, STREAM_END, ...) coming from a client are answered
    /// INVALID_ARGUMENT rather than silently ignored.
    @Test func serverOnlyKindFromClientIsAnswered() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        try client.sendRaw([try headerBytes(.response(id: 5)), []])
        let reply = try #require(try client.reply(to: 5))
        #expect(reply.status == .invalidArgument)
        #expect(try client.health().status == .serving)
    }

    /// A call whose deadline passes before its handler answers is answered DEADLINE_EXCEEDED by the
    /// reactor, and the handler's late answer is dropped.
    @Test func expiredDeadlineIsAnsweredDeadlineExceeded() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let id = try client.send(WireMethod.statsGetStats.path, body: [], timeoutMilliseconds: 20)
        let reply = try #require(try client.reply(to: id))
        #expect(reply.status == .deadlineExceeded)
        #expect(reply.message.contains("20 ms"))
        #expect(fixture.server.statistics.deadlineExceeded == 1)

        try fixture.poke(.replyToHeld)  // the late answer
        #expect(try client.health().status == .serving)
        #expect(try client.receive(waitMilliseconds: 0) == nil)  // and nothing else arrived
    }

    /// A frame over the maximum message size makes libzmq disconnect that peer; nothing is answered,
    /// and other peers are served as before.
    @Test func oversizeFrameDisconnectsOnlyThatPeer() throws {
        let fixture = try TestServer { $0.maxMessageSize = 4_096 }
        defer { fixture.shutdown() }
        let offender = try Socket(fixture.server.context, type: .dealer)
        try offender.set(.reconnectInterval, 60_000)
        try offender.set(.receiveTimeout, Int32(safetyWaitMilliseconds))
        try offender.monitor("inproc://offender-monitor", events: .disconnected)
        let monitor = try Socket(fixture.server.context, type: .pair)
        try monitor.set(.receiveTimeout, Int32(safetyWaitMilliseconds))
        try monitor.connect("inproc://offender-monitor")
        try offender.connect(fixture.endpoint)

        let header = try headerBytes(.request(id: 1, method: WireMethod.healthCheck.path))
        try offender.send(multipart: [header, [UInt8](repeating: 0x08, count: 8_192)])

        let event = try #require(try monitor.receiveMultipart())
        #expect(MonitorEvent(frames: event)?.kind == .disconnected)
        #expect(try offender.receiveMultipart(dontWait: true) == nil)

        let bystander = try fixture.client()
        #expect(try bystander.health().status == .serving)
        #expect(fixture.server.statistics.requests == 1)  // only the bystander's reached the server
    }

    /// A peer that disconnects while its call is in flight costs a logged, counted reply that cannot
    /// be delivered (EHOSTUNREACH under ROUTER_MANDATORY); the server keeps serving.
    @Test func peerDisconnectingMidRequestIsLoggedAndSurvived() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        do {
            let leaver = try fixture.client { $0.lingerMilliseconds = 0 }
            try leaver.send(WireMethod.statsGetStats.path, body: [])
            #expect(fixture.probe.waitUntil { $0.heldCalls.count == 1 })
        }  // the leaver's socket closes here
        #expect(waitUntil { fixture.server.statistics.connectionsClosed == 1 })

        try fixture.poke(.replyToHeld)
        let client = try fixture.client()
        #expect(try client.health().status == .serving)
        #expect(waitUntil { fixture.server.statistics[.peerGone] == 1 })
        #expect(fixture.logs.warnings(trouble: .peerGone).count == 1)
    }

    /// Calls the reactor must track (deferred answers, open streams) are bounded: past the limit a
    /// new one is refused RESOURCE_EXHAUSTED, and Health is still answered.
    @Test func callsInFlightAreBounded() throws {
        let fixture = try TestServer { $0.maxCallsInFlight = 2 }
        defer { fixture.shutdown() }
        let client = try fixture.client()
        try client.send(WireMethod.statsGetStats.path, body: [])
        try client.send(WireMethod.statsGetStats.path, body: [])
        let third = try client.send(WireMethod.statsGetStats.path, body: [])
        let refused = try #require(try client.reply(to: third))
        #expect(refused.status == .resourceExhausted)
        #expect(try client.health().status == .serving)
        #expect(fixture.probe.snapshot.heldCalls.count == 2)
    }

    /// A request id still in flight cannot be reused on the same connection.
    @Test func reusingAnIDInFlightIsRefused() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let header = try headerBytes(.request(id: 77, method: WireMethod.statsGetStats.path))
        try client.sendRaw([header, []])
        try client.sendRaw([header, []])
        let reply = try #require(try client.reply(to: 77))
        #expect(reply.status == .invalidArgument)
        #expect(reply.message.contains("already in flight"))
    }

    /// A client reconnecting with the routing id of a connection the server still holds takes it
    /// over (ROUTER_HANDOVER): an answer owed to that routing id goes to the new connection.
    @Test func reconnectWithTheSameRoutingIDTakesOver() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let stale = try fixture.client { $0.routingID = Array("agent-desk-7".utf8) }
        #expect(try stale.health().status == .serving)
        let owed = try stale.send(WireMethod.statsGetStats.path, body: [])
        #expect(fixture.probe.waitUntil { $0.heldCalls.count == 1 })

        let fresh = try fixture.client { $0.routingID = Array("agent-desk-7".utf8) }
        #expect(try fresh.health().status == .serving)
        try fixture.poke(.replyToHeld)
        let reply = try #require(try fresh.reply(to: owed))
        #expect(reply.isOK)
        #expect(try stale.receive(waitMilliseconds: 0) == nil)
    }

    /// A handler that answers through `Reactor.reply` before it returns is answered exactly once,
    /// whatever it returns afterwards.
    @Test(arguments: [WireMethod.casesGetCase, .casesFindCustomer])
    func aCallIsAnsweredExactlyOnce(method: WireMethod) throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let id = try client.send(method.path, body: [])
        let reply = try #require(try client.reply(to: id))
        #expect(reply.isOK)
        #expect(try client.health().status == .serving)
        #expect(try client.receive(waitMilliseconds: 0) == nil)
    }

    // MARK: - Streams

    /// A stream delivers elements until the client cancels it; the cancel is answered with
    /// STREAM_END CANCELLED and the handler hears why the stream closed.
    @Test func cancelEndsAStream() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let id = try client.send(WireMethod.agentsStreamOffers.path, body: [])
        let first = try #require(try client.reply(to: id))
        #expect(first.header.kind == .streamMessage)

        try fixture.poke(.sendOnStreams)
        let second = try #require(try client.reply(to: id))
        #expect(second.header.kind == .streamMessage)

        try client.cancel(id)
        let end = try #require(try client.reply(to: id))
        #expect(end.header.kind == .streamEnd)
        #expect(end.status == .cancelled)
        #expect(fixture.probe.waitUntil { $0.closures == [.cancelledByClient] })

        try client.cancel(id)  // a CANCEL for a stream that is gone is ignored
        #expect(try client.health().status == .serving)
        #expect(try client.receive(waitMilliseconds: 0) == nil)
    }

    /// A stream whose deadline passes is ended DEADLINE_EXCEEDED, and its handler hears why.
    @Test func streamDeadlineEndsTheStream() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let id = try client.send(WireMethod.agentsStreamOffers.path, body: [], timeoutMilliseconds: 20)
        let first = try #require(try client.reply(to: id))
        #expect(first.header.kind == .streamMessage)
        let end = try #require(try client.reply(to: id))
        #expect(end.header.kind == .streamEnd && end.status == .deadlineExceeded)
        #expect(fixture.probe.waitUntil { $0.closures == [.deadlineExceeded] })
    }

    /// The blocking stream helper hands each element over and returns the STREAM_END.
    @Test func streamHelperReturnsTheEnd() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        var elements = 0
        let end = try client.stream(WireMethod.agentsStreamOffers.path, body: []) { _ in
            elements += 1
            if elements == 1 { try? fixture.poke(.sendOnStreams) }
            if elements == 2 { try? fixture.poke(.endStreams) }
            return true
        }
        #expect(elements == 2)
        #expect(end.header.kind == .streamEnd && end.isOK)
    }

    // MARK: - Shutdown

    /// stop() drains: new work is refused UNAVAILABLE (Health says NOT_SERVING), the call in flight is
    /// still answered, open streams end UNAVAILABLE, and then the server closes.
    @Test func gracefulStopFinishesInFlightWork() throws {
        // A drain timeout no loaded test machine reaches: the point here is that the call is finished.
        let fixture = try TestServer { $0.drainTimeoutMilliseconds = 60_000 }
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let held = try client.send(WireMethod.statsGetStats.path, body: [])
        let stream = try client.send(WireMethod.agentsStreamOffers.path, body: [])
        #expect(fixture.probe.waitUntil { $0.heldCalls.count == 1 && $0.openedStreams.count == 1 })
        _ = try #require(try client.reply(to: stream))  // the stream's first element

        fixture.server.stop()
        let streamEnd = try #require(try client.reply(to: stream))
        #expect(streamEnd.header.kind == .streamEnd && streamEnd.status == .unavailable)
        #expect(fixture.probe.waitUntil { $0.closures == [.serverStopping] })

        let refused = try client.call(WireMethod.statsGetStats.path, body: [], timeoutMilliseconds: UInt32(safetyWaitMilliseconds))
        #expect(refused.status == .unavailable)
        #expect(try client.health().status == .notServing)

        try fixture.poke(.replyToHeld)
        let answer = try #require(try client.reply(to: held))
        #expect(answer.isOK)
        fixture.server.waitUntilStopped()
    }

    /// When in-flight work outlasts the drain timeout, it is answered UNAVAILABLE and the server
    /// closes anyway.
    @Test func drainTimeoutAnswersWhatIsLeftUnavailable() throws {
        let fixture = try TestServer { $0.drainTimeoutMilliseconds = 50 }
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let held = try client.send(WireMethod.statsGetStats.path, body: [])
        #expect(fixture.probe.waitUntil { $0.heldCalls.count == 1 })

        fixture.server.stop()
        fixture.server.waitUntilStopped()
        let answer = try #require(try client.reply(to: held))
        #expect(answer.status == .unavailable)
    }

    /// A client whose server is not there fails UNAVAILABLE once the connect timeout has passed,
    /// naming the endpoint, instead of queueing the request for a server that may never come.
    @Test func callWithNoServerFailsUnavailable() throws {
        // A port held by a socket that never listens: connecting to it is refused, and no server
        // of a test running beside this one can take it (a port just freed by a server could be
        // handed to one, which then answered the handshake: CI saw that).
        let held = try UnlistenedPort()
        defer { held.close() }
        let endpoint = "tcp://127.0.0.1:\(held.port)"
        let context = try Context()
        var configuration = Client.Configuration()
        configuration.connectTimeoutMilliseconds = 200
        let client = try Client(endpoint: endpoint, context: context, configuration: configuration)
        let error = #expect(throws: ClientError.self) { _ = try client.health() }
        #expect(error == .unavailable(endpoint: endpoint, waitedMilliseconds: 200))
        #expect(error?.wireError.message.contains(endpoint) == true)
    }

    /// After its server stops, a client reconnects to the server that takes its place on the same
    /// address, and its calls are answered there.
    @Test func clientReconnectsToAServerThatRestarted() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        let endpoint = fixture.endpoint
        #expect(try client.health().status == .serving)
        fixture.server.stopNow()
        fixture.server.waitUntilStopped()

        var configuration = Server.Configuration.ephemeral(dataDirectory: fixture.directory.path + "/second")
        configuration.listen = endpoint
        let second = try startWhenThePortIsFree(configuration)
        defer { second.stopNow(); second.waitUntilStopped() }
        // A message written to the old connection in the moment before the client's I/O thread hears
        // it close is lost with it (the caller's timeout says so; on a loaded machine that moment
        // can outlast starting the new server). Pings, which are safe to repeat, find when the new
        // server answers; the call after them must be answered there.
        #expect(try answersPingWithinTheSafetyWait(client))
        #expect(try client.health().status == .serving)
    }

    private func answersPingWithinTheSafetyWait(_ client: Client) throws -> Bool {
        let giveUp = DispatchTime.now() + .milliseconds(safetyWaitMilliseconds)
        while DispatchTime.now() < giveUp {
            if try client.ping(waitMilliseconds: 200) { return true }
        }
        return false
    }

    /// Starts a server on an address a stopped server just left. libzmq releases the old listener
    /// in the background, once the closed socket's linger is done with it; until then the port is
    /// still taken, so this retries for at most the safety wait.
    private func startWhenThePortIsFree(_ configuration: Server.Configuration) throws -> Server {
        let giveUp = DispatchTime.now() + .milliseconds(safetyWaitMilliseconds)
        while true {
            let server = try Server(configuration: configuration, logger: Logger(label: "second") { _ in SwiftLogNoOpLogHandler() })
            do throws(SwitchboardError) {
                try server.start()
                return server
            } catch {
                if error.code != .unavailable || DispatchTime.now() >= giveUp { throw error }
            }
            usleep(20_000)
        }
    }

    /// Starting on an address that is taken fails with a message naming the address, and nothing leaks.
    @Test func startOnATakenAddressFailsClearly() throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        var configuration = Server.Configuration.ephemeral(dataDirectory: fixture.directory.path + "/second")
        configuration.listen = fixture.endpoint
        let second = try Server(configuration: configuration, logger: Logger(label: "second") { _ in SwiftLogNoOpLogHandler() })
        let error = #expect(throws: SwitchboardError.self) { try second.start() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains(fixture.endpoint) == true)
    }
}

/// Polls a condition that another thread makes true (a counter the reactor bumps), for at most the
/// safety wait. Used only where no event can be waited on directly.
func waitUntil(_ condition: () -> Bool) -> Bool {
    for _ in 0..<(safetyWaitMilliseconds / 2) {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// Ways to break a valid request header while keeping its request id readable.
enum HeaderCorruption: String, CaseIterable, Sendable, CustomStringConvertible {
    case badMagic, nonZeroFlags, lengthMismatch, textNotUTF8, unknownKind, statusOnRequest

    func apply(to header: inout [UInt8]) {
        switch self {
        case .badMagic: header[0] = 0x00
        case .nonZeroFlags: header[4] = 0x01
        case .lengthMismatch: header.append(0x20)
        case .textNotUTF8: header[header.count - 1] = 0xFF
        case .unknownKind: header[3] = 42
        case .statusOnRequest: header[6] = 3
        }
    }

    var description: String { rawValue }
}


/// A loopback TCP port bound by a socket that does not listen: nothing can connect to it, and no
/// other socket can bind it while this one is open.
struct UnlistenedPort {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SwitchboardError(.internal, "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let size = length
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        let named = bound == 0 ? withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        } : -1
        guard named == 0 else {
            let failure = errno
            Glibc.close(fd)
            throw SwitchboardError(.internal, "binding a loopback port failed: errno \(failure)")
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() { Glibc.close(descriptor) }
}
