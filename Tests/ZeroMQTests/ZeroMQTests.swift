import Testing
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Every socket in these tests gives up on a blocking receive after this long, so a broken
/// behaviour fails the test instead of hanging it. No test waits for it to pass.
private let safetyTimeoutMilliseconds: Int32 = 5_000

private func makeSocket(_ context: Context, _ type: SocketType) throws -> Socket {
    let socket = try Socket(context, type: type)
    try socket.set(.receiveTimeout, safetyTimeoutMilliseconds)
    try socket.set(.sendTimeout, safetyTimeoutMilliseconds)
    return socket
}

/// A ROUTER bound on an ephemeral loopback port and the endpoint it resolved to.
private func boundRouter(_ context: Context, configure: (Socket) throws -> Void = { _ in }) throws -> (Socket, String) {
    let router = try makeSocket(context, .router)
    try configure(router)
    try router.bind("tcp://127.0.0.1:*")
    return (router, try router.lastEndpoint())
}

/// Unique inproc names, so tests running in parallel in one process never share an endpoint.
private let inprocCounter = Atomic<Int>(0)
private func uniqueInproc(_ name: String) -> String { "inproc://\(name)-\(inprocCounter.add(1, ordering: .relaxed).newValue)" }

@Suite struct ZeroMQTests {
    /// A DEALER's two-frame message reaches a ROUTER with the routing id in front, and the ROUTER's
    /// reply addressed by that id comes back to the DEALER without it.
    @Test(arguments: ["tcp", "inproc"])
    func dealerRouterRoundTrip(transport: String) throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        let endpoint: String
        if transport == "tcp" {
            try router.bind("tcp://127.0.0.1:*")
            endpoint = try router.lastEndpoint()
        } else {
            endpoint = uniqueInproc("round-trip")
            try router.bind(endpoint)
        }
        let dealer = try makeSocket(context, .dealer)
        try dealer.connect(endpoint)

        #expect(try dealer.send(multipart: [Array("header".utf8), Array("body".utf8)]))

        var frames = Frames(capacity: 4)
        #expect(try router.receive(into: &frames))
        #expect(frames.count == 3)
        #expect(frames.bytes(at: 1) == Array("header".utf8))
        #expect(frames.bytes(at: 2) == Array("body".utf8))
        let routingID = frames.bytes(at: 0)
        #expect(!routingID.isEmpty)

        #expect(try router.send(multipart: [routingID, Array("reply".utf8), []]))
        let reply = try #require(try dealer.receiveMultipart())
        #expect(reply == [Array("reply".utf8), []])
    }

    /// A message with more frames than the buffer keeps is received whole: the extra frames are
    /// counted and discarded, and the next message is intact.
    @Test func framesBufferBoundsWhatAPeerCanMakeUsKeep() throws {
        let context = try Context()
        let endpoint = uniqueInproc("overflow")
        let pull = try makeSocket(context, .pull)
        try pull.bind(endpoint)
        let push = try makeSocket(context, .push)
        try push.connect(endpoint)

        try push.send(multipart: (0..<10).map { [UInt8($0)] })
        try push.send(multipart: [[42], [43]])

        var frames = Frames(capacity: 3)
        #expect(try pull.receive(into: &frames))
        #expect(frames.count == 3)
        #expect(frames.totalCount == 10)
        let overflowed = frames.overflowed
        #expect(overflowed)
        #expect((0..<3).map { frames.bytes(at: $0) } == [[0], [1], [2]])

        #expect(try pull.receive(into: &frames))
        let (kept, total, overflowedAgain) = (frames.count, frames.totalCount, frames.overflowed)
        #expect(kept == 2 && total == 2 && !overflowedAgain)
        #expect(frames.bytes(at: 0) == [42] && frames.bytes(at: 1) == [43])
    }

    /// A non-blocking receive on an empty socket, and a non-blocking send with no peer to take it,
    /// report "would block" as `false`, not as an error.
    @Test func wouldBlockIsAValueNotAnError() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.bind(uniqueInproc("empty"))
        var frames = Frames(capacity: 2)
        #expect(try router.receive(into: &frames, dontWait: true) == false)
        #expect(frames.count == 0)

        let lonely = try makeSocket(context, .dealer)  // connected to nobody
        #expect(try lonely.send([1, 2, 3], dontWait: true) == false)
        #expect(try lonely.send(multipart: [[1], [2]], dontWait: true) == false)
    }

    /// A receive timeout that expires reads as "would block", like `dontWait`.
    @Test func receiveTimeoutReadsAsWouldBlock() throws {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.set(.receiveTimeout, 1)
        try pull.bind(uniqueInproc("timeout"))
        var message = Message()
        #expect(try pull.receive(&message) == false)
    }

    /// With ROUTER_MANDATORY, a reply to a routing id nobody holds fails with EHOSTUNREACH and
    /// the socket keeps working.
    @Test func routerMandatoryReportsUnreachablePeer() throws {
        let context = try Context()
        let (router, endpoint) = try boundRouter(context) { try $0.set(.routerMandatory, true) }
        let error = #expect(throws: ZMQError.self) {
            try router.send(multipart: [[0x01, 0x02, 0x03], [9]], dontWait: true)
        }
        #expect(error?.isHostUnreachable == true)
        #expect(error?.message.isEmpty == false)

        let dealer = try makeSocket(context, .dealer)
        try dealer.connect(endpoint)
        try dealer.send([7])
        let request = try #require(try router.receiveMultipart())
        #expect(request.count == 2 && request[1] == [7])
        #expect(try router.send(multipart: [request[0], [8]], dontWait: true))
        #expect(try dealer.receiveMultipart() == [[8]])
    }

    /// A peer that sends a frame over ZMQ_MAXMSGSIZE is disconnected by libzmq; the application
    /// never sees the frame, and other peers are served as before.
    @Test func maxMessageSizeDisconnectsTheOffender() throws {
        let context = try Context()
        let (router, endpoint) = try boundRouter(context) { try $0.set(.maxMessageSize, 1024) }
        let monitorEndpoint = uniqueInproc("monitor")
        try router.monitor(monitorEndpoint, events: .disconnected)
        let monitor = try makeSocket(context, .pair)
        try monitor.connect(monitorEndpoint)

        let offender = try makeSocket(context, .dealer)
        try offender.set(.reconnectInterval, 10_000)  // stay disconnected for the test
        try offender.connect(endpoint)
        try offender.send([UInt8](repeating: 0xAB, count: 4096))

        let eventFrames = try #require(try monitor.receiveMultipart())
        let event = try #require(MonitorEvent(frames: eventFrames))
        #expect(event.kind == .disconnected)
        var frames = Frames(capacity: 4)
        #expect(try router.receive(into: &frames, dontWait: true) == false)

        let wellBehaved = try makeSocket(context, .dealer)
        try wellBehaved.connect(endpoint)
        try wellBehaved.send([UInt8](repeating: 1, count: 1024))
        #expect(try router.receive(into: &frames))
        #expect(frames.count == 2 && frames.size(at: 1) == 1024)
    }

    /// A DEALER without IMMEDIATE reads a reply its server sent just before closing, even when it
    /// is already blocked in a receive as the connection drops: a server that answers and then stops
    /// loses nothing. (With IMMEDIATE set, libzmq dropped the reply in about a third of such runs on a
    /// loaded machine, which is why the client and the protocol doc leave it off.) Repeated, because
    /// the loss was a race.
    @Test func repliesSurviveTheServerClosing() throws {
        let context = try Context()
        for round in 0..<20 {
            var router: Socket? = try makeSocket(context, .router)
            try router?.set(.routerMandatory, true)
            try router?.bind("tcp://127.0.0.1:*")
            let endpoint = try #require(try router?.lastEndpoint())
            let dealer = try makeSocket(context, .dealer)
            try dealer.set(.linger, 0)
            try dealer.connect(endpoint)

            try dealer.send([UInt8(round)])
            let request = try #require(try router?.receiveMultipart())
            try router?.send(multipart: [request[0], [2]])
            try router?.set(.linger, 1_000)
            router = nil  // the server closes right after answering

            #expect(try dealer.receiveMultipart() == [[2]], "round \(round)")
        }
    }

    /// Sending a `Message` hands its buffer to libzmq without a copy and leaves it empty for reuse.
    @Test func sendingAMessageEmptiesIt() throws {
        let context = try Context()
        let endpoint = uniqueInproc("zero-copy")
        let pull = try makeSocket(context, .pull)
        try pull.bind(endpoint)
        let push = try makeSocket(context, .push)
        try push.connect(endpoint)

        let payload = (0..<200).map { UInt8($0 % 251) }
        var message = try Message(payload)
        #expect(message.count == 200)
        #expect(try push.send(&message))
        #expect(message.count == 0)

        var received = Message()
        #expect(try pull.receive(&received))
        #expect(received.bytes == payload)
        #expect(received.hasMore == false)
    }

    /// Options read back as they were set, including the byte-valued routing id.
    @Test func optionsRoundTrip() throws {
        let context = try Context()
        let dealer = try Socket(context, type: .dealer)
        try dealer.set(.sendHighWaterMark, 123)
        try dealer.set(.linger, 250)
        try dealer.set(.maxMessageSize, 1 << 20)
        try dealer.set(.immediate, true)
        try dealer.set(.routingID, Array("agent-7".utf8))
        try dealer.set(.heartbeatInterval, 1_000)
        try dealer.set(.heartbeatTimeout, 3_000)
        try dealer.set(.heartbeatTTL, 3_000)
        try dealer.set(.handshakeInterval, 2_000)
        #expect(try dealer.get(.sendHighWaterMark) == 123)
        #expect(try dealer.get(.linger) == 250)
        #expect(try dealer.get(.maxMessageSize) == 1 << 20)
        #expect(try dealer.get(.immediate) == true)
        #expect(try dealer.get(.routingID) == Array("agent-7".utf8))
        #expect(try dealer.get(.handshakeInterval) == 2_000)
        #expect(try dealer.get(.type) == SocketType.dealer.rawValue)
    }

    /// A bad endpoint is a typed error carrying the errno and libzmq's text, not a crash.
    @Test func badEndpointIsATypedError() throws {
        let context = try Context()
        let socket = try Socket(context, type: .router)
        let error = #expect(throws: ZMQError.self) { try socket.bind("nonsense://where") }
        #expect(error?.operation == "zmq_bind")
        #expect(error?.errno == EPROTONOSUPPORT)
        #expect(error?.description.contains("zmq_bind") == true)
    }

    /// The poller reports which socket is readable and times out when none is.
    @Test func pollerReportsReadableSockets() throws {
        let context = try Context()
        let a = uniqueInproc("poll-a"), b = uniqueInproc("poll-b")
        let pullA = try makeSocket(context, .pull), pullB = try makeSocket(context, .pull)
        try pullA.bind(a); try pullB.bind(b)
        let push = try makeSocket(context, .push)
        try push.connect(b)

        var poller = Poller()
        let ia = poller.add(pullA), ib = poller.add(pullB)
        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
        try push.send([1])
        #expect(try poller.poll(timeoutMilliseconds: Int(safetyTimeoutMilliseconds)) == 1)
        #expect(!poller.isReadable(ia))
        #expect(poller.isReadable(ib))
    }
}

