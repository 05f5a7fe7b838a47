#if canImport(Glibc)
import Glibc
#endif
import Logging
import SwiftProtobuf
import SwitchboardDomain
import SwitchboardWire
import ZeroMQ

/// The one thread that owns the server's sockets: a `zmq_poll` loop over the ROUTER, the control
/// channel and any sockets services add, dispatching each request by method path through a handler
/// table. Synchronous inside: no task or actor hop per message.
///
/// Not `Sendable`, and its methods may only be called on the reactor thread (from handlers and
/// services). Other threads talk to it through `Server` (the control channel) or through sockets a
/// service registers with `addSource`.
public final class Reactor {
    /// The server's configuration.
    public let configuration: Server.Configuration
    /// The server's logger; services log through it so everything carries the same metadata.
    public let logger: Logger
    /// The ZeroMQ context, for services that open their own (inproc) sockets.
    public let context: Context
    /// The time at the start of the current turn.
    public private(set) var time: ReactorTime
    /// Set to false by a service that cannot take work (storage failing): Health then reports
    /// NOT_SERVING. The server still answers every request.
    public var isHealthy = true

    /// The server's counters (for a Stats method, say).
    public var statistics: Server.Statistics { metrics.snapshot }

    /// Where the ROUTER listens, with an ephemeral port resolved.
    let endpoint: String

    private enum Phase: Equatable {
        case serving
        /// Stop accepting; close once in-flight work is done or at the monotonic instant given.
        case draining(until: Instant)
    }

    private struct PendingCall {
        var method: WireMethod
        var deadline: Instant?
        var timeoutMilliseconds: UInt32
    }

    private struct OpenStream {
        var method: WireMethod
        var deadline: Instant?
        var timeoutMilliseconds: UInt32
    }

    private enum Delivery { case sent, peerGone, peerNotReading, failed }

    private let router: Socket
    private let control: Socket
    /// Connection events of the ROUTER (accepted, disconnected): libzmq tells the application nothing
    /// else about connections without the DRAFT API, and operators want to see churn.
    private let monitor: Socket
    private var frames = Frames(capacity: 3)
    private var poller = Poller()
    private let controlIndex: Int
    private let routerIndex: Int
    private let monitorIndex: Int
    private var sources: [(index: Int, onReadable: (Reactor) -> Void)] = []
    private var handlers: [WireMethod: MethodHandler] = [:]
    private var pending: [CallID: PendingCall] = [:]
    private var streams: [CallID: OpenStream] = [:]
    /// The earliest deadline among pending calls and streams, or later (entries that were answered
    /// are not removed from it): only when it passes does the reactor look for expired calls.
    private var nextDeadlineSweep: Instant?
    private var services: [any ReactorService] = []
    private var warnings: WarningLimiter
    private var headerBuffer: [UInt8] = []
    private let metrics: ServerMetrics
    private let startedAt: Instant
    private var phase: Phase = .serving

    /// Opens the sockets and binds; throws what an operator must fix (the port is taken).
    init(
        configuration: Server.Configuration,
        logger: Logger,
        context: Context,
        metrics: ServerMetrics,
        controlEndpoint: String,
        monitorEndpoint: String
    ) throws(SwitchboardError) {
        self.configuration = configuration
        self.logger = logger
        self.context = context
        self.metrics = metrics
        self.time = .now()
        self.startedAt = time.monotonic
        self.warnings = WarningLimiter(
            burst: configuration.warningBurst,
            intervalMicroseconds: configuration.warningIntervalMilliseconds * 1_000
        )
        do throws(ZMQError) {
            control = try Socket(context, type: .pair)
            try control.bind(controlEndpoint)
            router = try Socket(context, type: .router)
            try router.set(.routerMandatory, true)
            try router.set(.routerHandover, configuration.routerHandover)
            try router.set(.maxMessageSize, Int64(configuration.maxMessageSize))
            try router.set(.sendHighWaterMark, configuration.sendHighWaterMark)
            try router.set(.receiveHighWaterMark, configuration.receiveHighWaterMark)
            try router.set(.handshakeInterval, configuration.handshakeIntervalMilliseconds)
            try router.set(.heartbeatInterval, configuration.heartbeatIntervalMilliseconds)
            try router.set(.heartbeatTimeout, configuration.heartbeatTimeoutMilliseconds)
            try router.set(.heartbeatTTL, configuration.heartbeatTTLMilliseconds)
            try router.set(.linger, 0)
            try router.monitor(monitorEndpoint, events: [.accepted, .disconnected])
            monitor = try Socket(context, type: .pair)
            try monitor.connect(monitorEndpoint)
        } catch {
            throw SwitchboardError(.internal, "could not set up the server's sockets", cause: error.description)
        }
        do throws(ZMQError) {
            try router.bind(configuration.listen)
            endpoint = try router.lastEndpoint()
        } catch {
            let advice = switch error.errno {
            case EADDRINUSE: "another process holds it: stop that process or choose another --listen address"
            case EADDRNOTAVAIL: "this machine has no such address: choose one of its own, e.g. tcp://127.0.0.1:5555"
            case EACCES: "permission denied: choose a port above 1023 or another ipc path"
            default: "write the address as tcp://HOST:PORT (PORT * picks a free one) or ipc://PATH"
            }
            throw SwitchboardError(
                .unavailable,
                "cannot listen on \(configuration.listen): \(error.message); \(advice)",
                field: "listen",
                cause: error.description
            )
        }
        controlIndex = poller.add(control)
        routerIndex = poller.add(router)
        monitorIndex = poller.add(monitor)
        registerBuiltinMethods()
    }

    // MARK: - Handler table

    /// Serves a unary method. The request body is decoded (with the wire's limits) before `handler`
    /// runs; a body that does not decode is answered INVALID_ARGUMENT without calling it.
    public func handleUnary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: WireMethod,
        _ handler: @escaping (Request, CallInfo, Reactor) -> UnaryOutcome<Response>
    ) {
        precondition(method.shape == .unary, "\(method) is not a unary method")
        precondition(Request.self == method.requestType, "\(method) takes \(method.requestTypeName), not \(Request.protoMessageName)")
        precondition(Response.self == method.responseType, "\(method) answers \(method.responseTypeName), not \(Response.protoMessageName)")
        handlers[method] = .unary { body, call, reactor in
            let request: Request
            do throws(WireError) {
                request = try WireBody.decode(Request.self, from: body)
            } catch {
                return .badBody(error)
            }
            switch handler(request, call, reactor) {
            case .reply(let response):
                do {
                    return .reply(try response.serializedBytes())
                } catch {
                    return .fail(WireError(.internal, "the server could not encode its \(Response.protoMessageName) reply"))
                }
            case .fail(let error): return .fail(error)
            case .later: return .later
            }
        }
    }

    /// Serves a server-streaming method. `open` decides whether the stream starts; `closed` is told
    /// when the reactor ends it on the handler's behalf (client CANCEL, peer gone, deadline,
    /// shutdown), so the handler can forget it (an agent's offer stream, for instance).
    public func handleServerStream<Request: SwiftProtobuf.Message>(
        _ method: WireMethod,
        open: @escaping (Request, CallInfo, Reactor) -> StreamOutcome,
        closed: @escaping (CallID, StreamClosure, Reactor) -> Void
    ) {
        precondition(method.shape == .serverStreaming, "\(method) is not a server-streaming method")
        precondition(Request.self == method.requestType, "\(method) takes \(method.requestTypeName), not \(Request.protoMessageName)")
        handlers[method] = .serverStreaming(
            open: { body, call, reactor in
                let request: Request
                do throws(WireError) {
                    request = try WireBody.decode(Request.self, from: body)
                } catch {
                    return .badBody(error)
                }
                switch open(request, call, reactor) {
                case .open: return .open
                case .fail(let error): return .fail(error)
                }
            },
            closed: closed
        )
    }

    /// Polls `socket` with the server's sockets and calls `onReadable` on the reactor thread when
    /// it has messages (read them all with `dontWait`: the loop calls again while any are left).
    public func addSource(_ socket: Socket, onReadable: @escaping (Reactor) -> Void) {
        let index = poller.add(socket)
        sources.append((index, onReadable))
    }

    // MARK: - Answering later

    /// Answers a call a unary handler deferred (`.later`) with OK and `response`. Dropped (and logged
    /// at debug) when the call was already answered: its deadline passed, or the server stopped.
    public func reply<Response: SwiftProtobuf.Message>(_ call: CallID, _ response: Response) {
        guard let entry = pending.removeValue(forKey: call) else {
            logger.debug("late reply dropped: the call was already answered", metadata: callMetadata(call))
            return
        }
        do {
            let body: [UInt8] = try response.serializedBytes()
            finishUnary(call, entry.method, deadline: entry.deadline, timeout: entry.timeoutMilliseconds, result: .reply(body))
        } catch {
            finishUnary(call, entry.method, deadline: entry.deadline, timeout: entry.timeoutMilliseconds,
                        result: .fail(WireError(.internal, "the server could not encode its \(Response.protoMessageName) reply")))
        }
    }

    /// Answers a deferred call with an error. Dropped when the call was already answered.
    public func fail(_ call: CallID, _ error: WireError) {
        guard let entry = pending.removeValue(forKey: call) else {
            logger.debug("late error dropped: the call was already answered", metadata: callMetadata(call))
            return
        }
        finishUnary(call, entry.method, deadline: entry.deadline, timeout: entry.timeoutMilliseconds, result: .fail(error))
    }

    /// Whether a deferred unary call is still waiting for its answer.
    public func isPending(_ call: CallID) -> Bool { pending[call] != nil }

    /// Whether a stream is still open (not ended, cancelled, timed out or lost with its peer).
    public func isStreamOpen(_ call: CallID) -> Bool { streams[call] != nil }

    /// Sends one element on an open stream. Returns false when the stream is not open or the element
    /// could not be delivered: a peer that is gone closes the stream (the handler's `closed` hears
    /// `.peerGone`); a peer whose queue is full keeps the stream but misses this element.
    @discardableResult
    public func send<Element: SwiftProtobuf.Message>(_ element: Element, on call: CallID) -> Bool {
        guard let stream = streams[call] else { return false }
        let body: [UInt8]
        do {
            body = try element.serializedBytes()
        } catch {
            logger.error("could not encode a stream element", metadata: callMetadata(call, stream.method))
            return false
        }
        switch deliver(to: call.peer, .streamMessage(id: call.requestID), body: body, method: stream.method) {
        case .sent:
            metrics.streamMessageSent()
            return true
        case .peerGone:
            closeStream(call, because: .peerGone)
            return false
        case .peerNotReading, .failed:
            return false
        }
    }

    /// Ends an open stream with OK (`error == nil`) or an error. Ignored when the stream is not open.
    public func endStream(_ call: CallID, _ error: WireError? = nil) {
        guard streams.removeValue(forKey: call) != nil else { return }
        let header = FrameHeader.streamEnd(id: call.requestID, status: error?.status ?? .ok, message: error?.message ?? "")
        if deliver(to: call.peer, header, body: [], method: nil) == .sent { metrics.replySent() }
    }

    // MARK: - Services

    func attach(_ newServices: [any ReactorService]) throws(SwitchboardError) {
        for service in newServices {
            try service.attach(to: self)
            services.append(service)
        }
    }

    // MARK: - The loop

    /// Runs until a stop command arrives and the drain finishes; then closes everything.
    func run() {
        logger.info("serving", metadata: ["sb.endpoint": "\(endpoint)"])
        loop: while true {
            do throws(ZMQError) {
                try poller.poll(timeoutMilliseconds: pollTimeoutMilliseconds())
            } catch {
                logger.critical("polling the server's sockets failed; stopping", metadata: ["sb.error": "\(error)"])
                break loop
            }
            time = .now()
            if poller.isReadable(controlIndex) { readControl() }
            if poller.isReadable(routerIndex) { readRouter() }
            if poller.isReadable(monitorIndex) { readMonitor() }
            for source in sources where poller.isReadable(source.index) {
                source.onReadable(self)
            }
            time = .now()
            expireDeadlines()
            for service in services { service.endOfTurn(self) }
            if case .draining(let until) = phase {
                if isDrained || time.monotonic >= until { break loop }
            }
        }
        close()
    }

    private var isDrained: Bool {
        pending.isEmpty && streams.isEmpty && !services.contains { $0.hasWorkInFlight }
    }

    private func pollTimeoutMilliseconds() -> Int {
        let now = ReactorTime.monotonicNow()
        var wake = now + .milliseconds(1_000)  // an upper bound, so a missed wake-up costs a second at most
        if let sweep = nextDeadlineSweep, sweep < wake { wake = sweep }
        for service in services {
            if let w = service.nextWakeup(), w < wake { wake = w }
        }
        if case .draining(let until) = phase, until < wake { wake = until }
        let micros = (wake - now).microseconds
        return micros <= 0 ? 0 : Int((micros + 999) / 1_000)
    }

    private func readControl() {
        while true {
            let command: [[UInt8]]?
            do throws(ZMQError) {
                command = try control.receiveMultipart(dontWait: true, maxFrames: 2)
            } catch {
                logger.error("reading the control channel failed", metadata: ["sb.error": "\(error)"])
                return
            }
            guard let command else { return }
            switch ControlCommand(rawValue: command.first?.first ?? 0) {
            case .stop: beginDraining(until: time.monotonic + .milliseconds(configuration.drainTimeoutMilliseconds))
            case .stopNow: beginDraining(until: time.monotonic)
            case .wake, nil: break
            }
        }
    }

    private func readMonitor() {
        while true {
            let frames: [[UInt8]]?
            do throws(ZMQError) {
                frames = try monitor.receiveMultipart(dontWait: true, maxFrames: 2)
            } catch {
                logger.error("reading the connection monitor failed", metadata: ["sb.error": "\(error)"])
                return
            }
            guard let frames else { return }
            guard let event = MonitorEvent(frames: frames) else { continue }
            if event.kind == .accepted {
                metrics.connectionAccepted()
                logger.debug("connection accepted", metadata: ["sb.listener": "\(event.endpoint)"])
            } else if event.kind == .disconnected {
                metrics.connectionClosed()
                logger.debug("connection closed", metadata: ["sb.listener": "\(event.endpoint)"])
            }
        }
    }

    private func readRouter() {
        for _ in 0..<configuration.maxMessagesPerTurn {
            let received: Bool
            do throws(ZMQError) {
                received = try router.receive(into: &frames, dontWait: true)
            } catch {
                logger.error("receiving on the server socket failed", metadata: ["sb.error": "\(error)"])
                return
            }
            guard received else { return }
            handleMessage()
        }
    }

    private func beginDraining(until: Instant) {
        if case .draining(let current) = phase {
            if until < current { phase = .draining(until: until) }  // a second signal: stop sooner
            return
        }
        phase = .draining(until: until)
        logger.info("stopping: no new work is accepted; finishing what is in flight", metadata: [
            "sb.pending": "\(pending.count)", "sb.streams": "\(streams.count)",
        ])
        // The listener stays bound until the socket closes: unbinding a tcp endpoint would also drop
        // every connection accepted through it, and with them the replies still owed. New work is
        // refused UNAVAILABLE instead, which tells a client to go elsewhere.
        for call in Array(streams.keys) { closeStream(call, because: .serverStopping) }
        for service in services { service.beginDraining(self) }
    }

    private func close() {
        let unavailable = WireError(.unavailable, "the server stopped before this call was answered; retry against a running server")
        for (call, entry) in pending {
            answerError(call, entry.method, unavailable)
        }
        pending.removeAll()
        for call in Array(streams.keys) { closeStream(call, because: .serverStopping) }
        for service in services { service.close(self) }
        services.removeAll()
        do throws(ZMQError) {
            try router.set(.linger, configuration.closeLingerMilliseconds)
        } catch {
            logger.warning("could not set linger on close", metadata: ["sb.error": "\(error)"])
        }
        logger.info("stopped", metadata: ["sb.uptime.s": "\((time.monotonic - startedAt).seconds)"])
    }

    // MARK: - One message

    private func handleMessage() {
        let received = ReactorTime.now()
        guard frames.totalCount == 3 else {
            metrics.messageDropped()
            let peer = frames.count > 0 ? PeerID(frames.bytes(at: 0)) : PeerID([])
            warn(.wrongFrameCount, "dropped a message that is not [header][body]", peer: peer,
                 ["sb.frames": "\(frames.totalCount - 1)"])
            return
        }
        let peer = PeerID(frames.bytes(at: 0))
        let header: FrameHeader
        do throws(FrameHeaderError) {
            header = try frames.withUnsafeBytes(at: 1) { raw throws(FrameHeaderError) in try FrameHeader(decoding: raw) }
        } catch {
            guard let requestID = error.requestID else {
                metrics.messageDropped()
                warn(.unreadableHeader, "dropped a message whose header is too short to answer", peer: peer,
                     ["sb.header.bytes": "\(frames.size(at: 1))"])
                return
            }
            warn(.badHeader, "answered a malformed header", peer: peer, ["sb.request.id": "\(requestID)", "sb.error": "\(error.message)"])
            respond(CallID(peer: peer, requestID: requestID), error: error.wireError)
            return
        }
        let call = CallID(peer: peer, requestID: header.requestID)
        switch header.kind {
        case .request:
            handleRequest(header, call: call, received: received)
        case .ping:
            if deliver(to: peer, .pong(id: header.requestID), body: [], method: nil) == .sent { metrics.pingAnswered() }
        case .cancel:
            if streams[call] != nil { closeStream(call, because: .cancelledByClient) }
        case .response, .streamMessage, .streamEnd, .pong:
            warn(.badHeader, "answered a message of a kind only servers send", peer: peer, ["sb.kind": "\(header.kind)"])
            respond(call, error: WireError(.invalidArgument, "header kind \(header.kind) is sent by servers; clients send REQUEST, CANCEL or PING"))
        }
    }

    private func handleRequest(_ header: FrameHeader, call: CallID, received: ReactorTime) {
        metrics.requestReceived()
        guard let method = WireMethod(path: header.text) else {
            warn(.unknownMethod, "answered a request for an unknown method", peer: call.peer, ["sb.method.bytes": "\(header.text.utf8.count)"])
            respond(call, error: .unknownMethod(header.text))
            return
        }
        if pending[call] != nil || streams[call] != nil {
            warn(.badHeader, "answered a request that reuses an id in flight", peer: call.peer, ["sb.method": "\(method)"])
            answerError(call, method, WireError(.invalidArgument, "request id \(call.requestID) is already in flight on this connection; use a new id for every request"))
            return
        }
        let timeout = header.timeoutMilliseconds
        let deadline: Instant? = timeout > 0 ? received.monotonic + .milliseconds(Int64(timeout)) : nil
        if case .draining = phase, method != .healthCheck {
            answerError(call, method, WireError(.unavailable, "the server is shutting down and takes no new work; retry against another server or after it restarts"))
            return
        }
        guard let handler = handlers[method] else {
            answerError(call, method, .notYetServed(method))
            return
        }
        // Checked before the handler runs (once it has run, its work is done), for every method
        // but Health, which is answered at once and must keep answering when the server is full.
        if method != .healthCheck, pending.count + streams.count >= configuration.maxCallsInFlight {
            warn(.tooManyCalls, "refused a call: too many calls in flight", peer: call.peer, ["sb.method": "\(method)"])
            answerError(call, method, WireError(.resourceExhausted, "the server has \(pending.count + streams.count) calls in flight, its limit; retry with backoff"))
            return
        }
        let info = CallInfo(id: call, method: method, timeoutMilliseconds: timeout, deadline: deadline, received: received)
        let body = frames.bytes(at: 2)
        logger.trace("request", metadata: callMetadata(call, method))
        switch handler {
        case .unary(let run):
            // Tracked while the handler runs, so a handler that answers through `reply`/`fail` before
            // returning (it had the answer at hand after all) is not answered twice.
            pending[call] = PendingCall(method: method, deadline: deadline, timeoutMilliseconds: timeout)
            let result = run(body, info, self)
            let stillOwed = pending[call] != nil
            switch result {
            case .later:
                if stillOwed { noteDeadline(deadline) }
            case .badBody(let error):
                pending.removeValue(forKey: call)
                warn(.badBody, "answered a request whose body does not decode", peer: call.peer, ["sb.method": "\(method)", "sb.error": "\(error.message)"])
                finishUnary(call, method, deadline: deadline, timeout: timeout, result: .fail(error))
            case .reply, .fail:
                guard stillOwed else {
                    logger.debug("second answer dropped: the handler already answered this call", metadata: callMetadata(call, method))
                    break
                }
                pending.removeValue(forKey: call)
                finishUnary(call, method, deadline: deadline, timeout: timeout, result: result)
            }
        case .serverStreaming(let open, _):
            // Registered before `open` runs, so the handler may send the first elements right away.
            streams[call] = OpenStream(method: method, deadline: deadline, timeoutMilliseconds: timeout)
            switch open(body, info, self) {
            case .open:
                noteDeadline(deadline)
            case .fail(let error):
                streams.removeValue(forKey: call)
                answerError(call, method, error)
            case .badBody(let error):
                streams.removeValue(forKey: call)
                warn(.badBody, "answered a request whose body does not decode", peer: call.peer, ["sb.method": "\(method)", "sb.error": "\(error.message)"])
                answerError(call, method, error)
            }
        }
    }

    /// Sends a unary call's one RESPONSE, unless its deadline passed first (then DEADLINE_EXCEEDED).
    private func finishUnary(_ call: CallID, _ method: WireMethod, deadline: Instant?, timeout: UInt32, result: UnaryResult) {
        if let deadline, ReactorTime.monotonicNow() > deadline {
            metrics.deadlinePassed()
            respond(call, error: .deadlineExceeded(timeoutMilliseconds: timeout))
            return
        }
        switch result {
        case .reply(let body):
            if deliver(to: call.peer, .response(id: call.requestID), body: body, method: method) == .sent { metrics.replySent() }
        case .fail(let error), .badBody(let error):
            respond(call, error: error)
        case .later:
            assertionFailure("a deferred call has no result to send")
        }
    }

    /// An error answer in the shape the method uses: STREAM_END for a stream, RESPONSE otherwise.
    private func answerError(_ call: CallID, _ method: WireMethod, _ error: WireError) {
        if method.shape == .serverStreaming {
            let header = FrameHeader.streamEnd(id: call.requestID, status: error.status, message: error.message)
            if deliver(to: call.peer, header, body: [], method: method) == .sent { metrics.replySent() }
        } else {
            respond(call, error: error)
        }
    }

    private func respond(_ call: CallID, error: WireError) {
        if deliver(to: call.peer, .response(id: call.requestID, error: error), body: [], method: nil) == .sent { metrics.replySent() }
    }

    private func closeStream(_ call: CallID, because why: StreamClosure) {
        guard let stream = streams.removeValue(forKey: call) else { return }
        let error: WireError? = switch why {
        case .cancelledByClient: WireError(.cancelled, "the stream was cancelled by the client")
        case .deadlineExceeded: .deadlineExceeded(timeoutMilliseconds: stream.timeoutMilliseconds)
        case .serverStopping: WireError(.unavailable, "the server is shutting down; reconnect and open the stream again")
        case .peerGone: nil
        }
        if let error {
            let header = FrameHeader.streamEnd(id: call.requestID, status: error.status, message: error.message)
            if deliver(to: call.peer, header, body: [], method: stream.method) == .sent { metrics.replySent() }
        }
        if case .serverStreaming(_, let closed) = handlers[stream.method] {
            closed(call, why, self)
        }
    }

    // MARK: - Deadlines

    private func noteDeadline(_ deadline: Instant?) {
        guard let deadline else { return }
        if let current = nextDeadlineSweep, current <= deadline { return }
        nextDeadlineSweep = deadline
    }

    /// Answers DEADLINE_EXCEEDED for every deferred call and stream whose deadline has passed.
    /// Runs only when the earliest noted deadline has passed, and then looks at every entry (fine for
    /// thousands of calls in flight; a heap would be the next step beyond that).
    private func expireDeadlines() {
        guard let sweep = nextDeadlineSweep, time.monotonic >= sweep else { return }
        let now = time.monotonic
        var next: Instant?
        var expiredCalls: [CallID] = []
        for (call, entry) in pending {
            guard let deadline = entry.deadline else { continue }
            if deadline <= now { expiredCalls.append(call) } else if next.map({ deadline < $0 }) ?? true { next = deadline }
        }
        var expiredStreams: [CallID] = []
        for (call, entry) in streams {
            guard let deadline = entry.deadline else { continue }
            if deadline <= now { expiredStreams.append(call) } else if next.map({ deadline < $0 }) ?? true { next = deadline }
        }
        nextDeadlineSweep = next
        for call in expiredCalls {
            guard let entry = pending.removeValue(forKey: call) else { continue }
            metrics.deadlinePassed()
            logger.debug("deadline passed before the call was answered", metadata: callMetadata(call, entry.method))
            respond(call, error: .deadlineExceeded(timeoutMilliseconds: entry.timeoutMilliseconds))
        }
        for call in expiredStreams {
            metrics.deadlinePassed()
            closeStream(call, because: .deadlineExceeded)
        }
    }

    // MARK: - Sending

    /// Sends [routing id][header][body] without ever blocking the reactor. A peer that is gone
    /// (EHOSTUNREACH under ROUTER_MANDATORY) or not reading (its queue is full) costs a rate-limited
    /// warning and the message, nothing else.
    private func deliver(to peer: PeerID, _ header: FrameHeader, body: [UInt8], method: WireMethod?) -> Delivery {
        headerBuffer.removeAll(keepingCapacity: true)
        do throws(FrameHeaderError) {
            try header.encode(into: &headerBuffer)
        } catch {
            logger.error("could not encode a reply header", metadata: ["sb.error": "\(error.message)"])
            return .failed
        }
        do throws(ZMQError) {
            guard try router.send(peer.bytes, more: true, dontWait: true) else {
                warn(.peerNotReading, "dropped a reply: the peer is not reading (its queue is full)", peer: peer, ["sb.kind": "\(header.kind)"])
                return .peerNotReading
            }
            // Once the routing-id frame is queued, libzmq takes the rest of the message.
            try router.send(headerBuffer, more: true, dontWait: true)
            try router.send(body, more: false, dontWait: true)
            return .sent
        } catch where error.isHostUnreachable {
            warn(.peerGone, "dropped a reply: the peer disconnected", peer: peer, ["sb.kind": "\(header.kind)"])
            return .peerGone
        } catch {
            logger.error("sending a reply failed", metadata: ["sb.peer": "\(peer)", "sb.error": "\(error)"])
            return .failed
        }
    }

    // MARK: - Logging

    private func warn(_ trouble: PeerTrouble, _ message: Logger.Message, peer: PeerID, _ metadata: Logger.Metadata = [:]) {
        metrics.trouble(trouble)
        switch warnings.admit(trouble, nowMicroseconds: ReactorTime.monotonicNow().microseconds) {
        case .suppress:
            return
        case .log(let suppressed):
            var all = metadata
            all["sb.peer"] = "\(peer)"
            all["sb.trouble"] = "\(trouble.rawValue)"
            if suppressed > 0 { all["sb.suppressed"] = "\(suppressed)" }
            logger.warning(message, metadata: all)
        }
    }

    private func callMetadata(_ call: CallID, _ method: WireMethod? = nil) -> Logger.Metadata {
        var m: Logger.Metadata = ["sb.peer": "\(call.peer)", "sb.request.id": "\(call.requestID)"]
        if let method { m["sb.method"] = "\(method)" }
        return m
    }

    // MARK: - Built-in methods

    /// Health/Check is answered by the reactor itself: cheap, no engine, no disk.
    private func registerBuiltinMethods() {
        handleUnary(.healthCheck) { (_: Switchboard_V1_HealthCheckRequest, call, reactor) -> UnaryOutcome<Switchboard_V1_HealthCheckResponse> in
            .reply(reactor.healthReport(at: call.received))
        }
    }

    private func healthReport(at time: ReactorTime) -> Switchboard_V1_HealthCheckResponse {
        var response = Switchboard_V1_HealthCheckResponse()
        let serving = phase == .serving && isHealthy
        response.status = serving ? .serving : .notServing
        response.version = configuration.version
        response.uptimeMicros = (time.monotonic - startedAt).microseconds
        response.protocolVersion = UInt32(FrameHeader.protocolVersion)
        response.serverTimeUnixMicros = time.wall.microseconds
        return response
    }
}

/// One-byte commands on the control channel (inproc PAIR), from `Server` to the reactor.
enum ControlCommand: UInt8 {
    /// Stop gracefully: stop accepting, finish in-flight work (up to the drain timeout), close.
    case stop = 1
    /// Stop at once: answer in-flight work UNAVAILABLE and close (a second SIGINT).
    case stopNow = 2
    /// Only wake the loop (a service's other thread has something for it).
    case wake = 3
}
