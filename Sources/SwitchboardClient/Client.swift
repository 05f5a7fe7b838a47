import SwiftProtobuf
import Synchronization
import SwitchboardWire
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers each client's monitor endpoint, so clients in one process never share one.
private let clientCounter = Atomic<Int>(0)

/// A small blocking v1 client over one DEALER socket: unary calls with a timeout, server streams,
/// pings, and raw sends for tests. Used by `switchboard call`, the tests and the load tests.
///
/// Not `Sendable`: like its socket, a client belongs to one thread. Requests may be pipelined
/// (`send` several, then `receive`); replies that arrive while a call waits for a different id are
/// kept for the next `receive`, so nothing is lost.
public final class Client {
    /// What a server sent: a RESPONSE, STREAM_MESSAGE, STREAM_END or PONG.
    public struct Reply: Sendable, Hashable {
        public var header: FrameHeader
        public var body: [UInt8]

        public var requestID: UInt64 { header.requestID }
        public var status: StatusCode { header.status }
        /// The status message (empty on OK).
        public var message: String { header.kind.carriesStatus ? header.text : "" }
        public var isOK: Bool { header.status == .ok }
        /// The error this reply carries, or nil when it is OK.
        public var error: WireError? { isOK ? nil : WireError(header.status, header.text) }
    }

    public struct Configuration: Sendable {
        /// How long `linger` keeps unsent requests (a final CANCEL) when the client closes. Default 100 ms.
        public var lingerMilliseconds: Int32 = 100
        /// The routing id to present (agents use a stable one so a reconnect takes over); nil lets
        /// libzmq pick one.
        public var routingID: [UInt8]?
        /// How long a send waits for a connection (a finished ZMTP handshake) when there is none:
        /// at the first request, and after the server went away. Default 5 s.
        public var connectTimeoutMilliseconds: Int32 = 5_000
        /// How long a unary call waits past its own timeout for the server's DEADLINE_EXCEEDED answer
        /// (whose message is better than ours). Default 250 ms.
        public var deadlineGraceMilliseconds: Int = 250
        /// Requests and replies queued per direction. Default 10,000 (deep pipelines in load tests).
        public var highWaterMark: Int32 = 10_000
        /// Replies kept for later `receive`s while a call waits for another id; past this the oldest
        /// is dropped. Default 100,000.
        public var maxBufferedReplies: Int = 100_000

        public init() {}
    }

    public let endpoint: String
    public let configuration: Configuration
    private let socket: Socket
    /// Hears the socket's handshakes and disconnections (see `waitForConnection`).
    private let connectionEvents: Socket
    private var connectionEventFrames = Frames(capacity: 2)
    private var isConnected = false
    /// When the monitor was last read while connected (monotonic ms).
    private var connectionCheckedAt = 0
    private var frames = Frames(capacity: 2)
    /// The RCVTIMEO currently set on the socket (-1 = wait forever).
    private var receiveTimeout = -1
    private var nextRequestID: UInt64 = 1
    private var buffered: [Reply] = []
    private var bufferedStart = 0
    /// Calls given up on (timed out): their late replies are dropped when they arrive.
    private var abandoned: Set<UInt64> = []

    /// Connects (lazily: the first send waits for the connection) to a server at `endpoint`.
    ///
    /// The socket does not set `ZMQ_IMMEDIATE`: with it, libzmq tears down a connection's pipe when
    /// the server closes it, and a reply that arrived just before (the answers a stopping server
    /// flushes on its way out) was seen lost in about a third of runs on a loaded machine. Without
    /// it a send to a server that is not there would queue silently, so the client watches the
    /// connection through a socket monitor instead and bounds the wait itself.
    public init(endpoint: String, context: Context, configuration: Configuration = Configuration()) throws(ClientError) {
        self.endpoint = endpoint
        self.configuration = configuration
        do throws(ZMQError) {
            socket = try Socket(context, type: .dealer)
            try socket.set(.linger, configuration.lingerMilliseconds)
            try socket.set(.sendHighWaterMark, configuration.highWaterMark)
            try socket.set(.receiveHighWaterMark, configuration.highWaterMark)
            if let id = configuration.routingID { try socket.set(.routingID, id) }
            // A send blocks only while the queue to the server is full; bound that wait.
            try socket.set(.sendTimeout, configuration.connectTimeoutMilliseconds)
            let number = clientCounter.add(1, ordering: .relaxed).newValue
            let monitorEndpoint = "inproc://switchboard-client-\(getpid())-\(number)"
            try socket.monitor(monitorEndpoint, events: [.handshakeSucceeded, .disconnected])
            connectionEvents = try Socket(context, type: .pair)
            try connectionEvents.set(.linger, 0)
            try connectionEvents.connect(monitorEndpoint)
            try socket.connect(endpoint)
        } catch {
            throw .transport(error)
        }
    }

    /// Connects with a context of its own (for a program with one client, such as `switchboard call`).
    public convenience init(endpoint: String, configuration: Configuration = Configuration()) throws(ClientError) {
        let context: Context
        do throws(ZMQError) {
            context = try Context()
        } catch {
            throw .transport(error)
        }
        try self.init(endpoint: endpoint, context: context, configuration: configuration)
    }

    // MARK: - Calls

    /// Calls a unary method and waits for its RESPONSE.
    /// - Parameter timeoutMilliseconds: sent as the request's deadline and waited for (plus a short
    ///   grace for the server's own DEADLINE_EXCEEDED answer); 0 waits forever.
    /// - Returns: the reply, OK or not.
    public func call(_ method: String, body: [UInt8], timeoutMilliseconds: UInt32) throws(ClientError) -> Reply {
        let id = try send(method, body: body, timeoutMilliseconds: timeoutMilliseconds)
        let wait = timeoutMilliseconds == 0 ? nil : Int(timeoutMilliseconds) + configuration.deadlineGraceMilliseconds
        guard let reply = try receive(id: id, waitMilliseconds: wait) else {
            abandoned.insert(id)
            throw .timedOut(method: method, waitedMilliseconds: wait ?? 0)
        }
        return reply
    }

    /// Calls a unary method with a typed request and returns the typed response; a non-OK status
    /// throws `.status`.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: WireMethod, _ request: Request, as: Response.Type = Response.self, timeoutMilliseconds: UInt32 = 5_000
    ) throws(ClientError) -> Response {
        let reply = try call(method.path, body: try encode(request), timeoutMilliseconds: timeoutMilliseconds)
        if let error = reply.error { throw .status(error) }
        do throws(WireError) {
            return try WireBody.decode(Response.self, from: reply.body)
        } catch {
            throw .malformedReply("the \(method) reply does not decode as \(Response.protoMessageName): \(error.message)")
        }
    }

    /// Opens a server stream and calls `onMessage` with each element's body until the stream ends.
    /// Return false from `onMessage` to cancel: the client sends CANCEL and waits for the STREAM_END.
    /// - Parameter timeoutMilliseconds: the stream's deadline (0 = none); the wait is bounded by it.
    /// - Returns: the STREAM_END (its status says how the stream ended).
    public func stream(
        _ method: String, body: [UInt8], timeoutMilliseconds: UInt32 = 0,
        onMessage: ([UInt8]) -> Bool
    ) throws(ClientError) -> Reply {
        let id = try send(method, body: body, timeoutMilliseconds: timeoutMilliseconds)
        let wait = timeoutMilliseconds == 0 ? nil : Int(timeoutMilliseconds) + configuration.deadlineGraceMilliseconds
        var cancelled = false
        while true {
            guard let reply = try receive(id: id, waitMilliseconds: wait) else {
                abandoned.insert(id)
                throw .timedOut(method: method, waitedMilliseconds: wait ?? 0)
            }
            switch reply.header.kind {
            case .streamMessage:
                if !cancelled && !onMessage(reply.body) {
                    cancelled = true
                    try cancel(id)
                }
            case .streamEnd, .response:
                // A RESPONSE here is the server refusing a path it does not know as a stream.
                return reply
            default:
                throw .malformedReply("a \(reply.header.kind) arrived for stream \(id)")
            }
        }
    }

    /// Sends a PING and waits for its PONG. Returns false when none came within the wait.
    public func ping(waitMilliseconds: Int = 5_000) throws(ClientError) -> Bool {
        let id = nextID()
        try sendFrames(FrameHeader.ping(id: id), body: [])
        if try receive(id: id, waitMilliseconds: waitMilliseconds) != nil { return true }
        abandoned.insert(id)
        return false
    }

    // MARK: - Pipelining

    /// Sends a REQUEST without waiting for the reply; returns its request id. Waits (up to the
    /// connect timeout) for a connection if there is none.
    @discardableResult
    public func send(_ method: String, body: [UInt8], timeoutMilliseconds: UInt32 = 0) throws(ClientError) -> UInt64 {
        let id = nextID()
        try sendFrames(.request(id: id, method: method, timeoutMilliseconds: timeoutMilliseconds), body: body)
        return id
    }

    /// Asks the server to end stream `id` (it answers STREAM_END CANCELLED).
    public func cancel(_ id: UInt64) throws(ClientError) {
        try sendFrames(.cancel(id: id), body: [])
    }

    /// Sends arbitrary frames, exactly as given: for tests of what the server does with bad input.
    /// Waits (up to the connect timeout) while there is no connection, and while the queue to the
    /// server is full.
    public func sendRaw(_ parts: [[UInt8]]) throws(ClientError) {
        try waitForConnection()
        let sent: Bool
        do throws(ZMQError) {
            sent = try socket.send(multipart: parts)
        } catch {
            throw .transport(error)
        }
        guard sent else {
            throw .queueFull(endpoint: endpoint, queued: Int(configuration.highWaterMark),
                             waitedMilliseconds: Int(configuration.connectTimeoutMilliseconds))
        }
    }

    /// Returns once the socket has a connection whose handshake finished, after reading (without
    /// waiting) the events that say it connected or lost its connection; waits at most the connect
    /// timeout for a new one. While connected the events are read at most once a millisecond (a
    /// read per send cost pipelined calls a fifth of their throughput), so a request is queued
    /// toward a server known to be gone only within a millisecond of hearing so; its timeout ends it.
    private func waitForConnection() throws(ClientError) {
        if isConnected {
            let now = monotonicMilliseconds()
            if now == connectionCheckedAt { return }
            connectionCheckedAt = now
        }
        while try readConnectionEvent(waitMilliseconds: 0) {}  // the last event says how things stand
        if isConnected { return }
        let start = monotonicMilliseconds()
        let limit = Int(configuration.connectTimeoutMilliseconds)
        while !isConnected {
            let remaining = limit - (monotonicMilliseconds() - start)
            guard remaining > 0, try readConnectionEvent(waitMilliseconds: remaining) else {
                throw .unavailable(endpoint: endpoint, waitedMilliseconds: limit)
            }
        }
    }

    /// Reads one monitor event, if one comes within the wait, and notes whether it connected or
    /// disconnected the socket. Returns false when none came.
    private func readConnectionEvent(waitMilliseconds: Int) throws(ClientError) -> Bool {
        let received: Bool
        do throws(ZMQError) {
            if waitMilliseconds > 0 { try connectionEvents.set(.receiveTimeout, Int32(clamping: waitMilliseconds)) }
            received = try connectionEvents.receive(into: &connectionEventFrames, dontWait: waitMilliseconds == 0)
        } catch {
            throw .transport(error)
        }
        guard received else { return false }
        let frames = (0..<connectionEventFrames.count).map { connectionEventFrames.bytes(at: $0) }
        if let event = MonitorEvent(frames: frames) {
            if event.kind == .handshakeSucceeded { isConnected = true }
            if event.kind == .disconnected { isConnected = false }
        }
        return true
    }

    /// The next message from the server for any request, or nil when none arrives within the wait
    /// (nil wait = forever).
    public func receive(waitMilliseconds: Int?) throws(ClientError) -> Reply? {
        if let reply = takeBuffered(where: { _ in true }) { return reply }
        return try readOne(waitMilliseconds: waitMilliseconds)
    }

    /// The next message for request `id`, keeping others for later; nil when none arrives in time.
    public func receive(id: UInt64, waitMilliseconds: Int?) throws(ClientError) -> Reply? {
        if let reply = takeBuffered(where: { $0.requestID == id }) { return reply }
        let start = monotonicMilliseconds()
        while true {
            var remaining: Int?
            if let wait = waitMilliseconds {
                remaining = max(0, wait - (monotonicMilliseconds() - start))
            }
            guard let reply = try readOne(waitMilliseconds: remaining) else { return nil }
            if reply.requestID == id { return reply }
            keep(reply)
        }
    }

    // MARK: - Internals

    private func nextID() -> UInt64 {
        defer { nextRequestID &+= 1 }
        return nextRequestID
    }

    private func encode(_ message: some SwiftProtobuf.Message) throws(ClientError) -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw .badRequest(WireError(.invalidArgument, "could not encode \(type(of: message).protoMessageName): \(error)"))
        }
    }

    private func sendFrames(_ header: FrameHeader, body: [UInt8]) throws(ClientError) {
        let headerBytes: [UInt8]
        do throws(FrameHeaderError) {
            headerBytes = try header.encoded()
        } catch {
            throw .badRequest(error.wireError)
        }
        try sendRaw([headerBytes, body])
    }

    /// Reads one server message, skipping late replies to abandoned calls.
    private func readOne(waitMilliseconds: Int?) throws(ClientError) -> Reply? {
        let start = monotonicMilliseconds()
        while true {
            var timeout = -1
            if let wait = waitMilliseconds { timeout = max(0, wait - (monotonicMilliseconds() - start)) }
            var received = false
            do throws(ZMQError) {
                // A blocking receive bounded by RCVTIMEO (a user-space option, no system call) is one
                // libzmq call per message; a poll first would be two.
                if timeout != receiveTimeout {
                    try socket.set(.receiveTimeout, Int32(clamping: timeout))
                    receiveTimeout = timeout
                }
                received = try socket.receive(into: &frames, dontWait: timeout == 0)
            } catch {
                throw .transport(error)
            }
            guard received else {
                if timeout == 0 { return nil }
                continue  // woken without a whole message; wait out the rest
            }
            guard frames.totalCount == 2 else {
                throw .malformedReply("a message of \(frames.totalCount) frames; v1 messages are [header][body]")
            }
            let header: FrameHeader
            do throws(FrameHeaderError) {
                header = try frames.withUnsafeBytes(at: 0) { raw throws(FrameHeaderError) in try FrameHeader(decoding: raw) }
            } catch {
                throw .malformedReply(error.message)
            }
            let reply = Reply(header: header, body: frames.bytes(at: 1))
            if abandoned.contains(header.requestID) {
                if header.kind != .streamMessage { abandoned.remove(header.requestID) }
                continue
            }
            return reply
        }
    }

    private func keep(_ reply: Reply) {
        if buffered.count - bufferedStart >= configuration.maxBufferedReplies { bufferedStart += 1 }
        buffered.append(reply)
    }

    private func takeBuffered(where matches: (Reply) -> Bool) -> Reply? {
        guard bufferedStart < buffered.count else { return nil }
        guard let index = buffered[bufferedStart...].firstIndex(where: matches) else { return nil }
        let reply = buffered[index]
        if index == bufferedStart { bufferedStart += 1 } else { buffered.remove(at: index) }
        if bufferedStart == buffered.count {
            buffered.removeAll(keepingCapacity: true)
            bufferedStart = 0
        }
        return reply
    }
}
