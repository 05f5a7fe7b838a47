import CZeroMQ

/// The ZeroMQ socket patterns Switchboard uses.
public enum SocketType: Int32, Sendable {
    case pair = 0   // ZMQ_PAIR
    case pub = 1    // ZMQ_PUB
    case sub = 2    // ZMQ_SUB
    case req = 3    // ZMQ_REQ
    case rep = 4    // ZMQ_REP
    case dealer = 5 // ZMQ_DEALER
    case router = 6 // ZMQ_ROUTER
    case pull = 7   // ZMQ_PULL
    case push = 8   // ZMQ_PUSH
    case xpub = 9   // ZMQ_XPUB
    case xsub = 10  // ZMQ_XSUB
}

/// A ZeroMQ socket.
///
/// Deliberately not `Sendable`: libzmq sockets must be used by one thread at a time, so each one
/// has a single owner (the reactor thread, a client's caller). Create it on the thread that will
/// use it. `deinit` closes it.
///
/// Calls that can block take `dontWait` and return `false` (or `nil`) for "would block" instead of
/// throwing, so backpressure is an ordinary value and errors are only errors.
public final class Socket {
    @usableFromInline let handle: UnsafeMutableRawPointer
    public let type: SocketType
    /// Keeps the context alive while this socket is open (see `Context`).
    private let context: Context

    public init(_ context: Context, type: SocketType) throws(ZMQError) {
        self.context = context
        self.type = type
        handle = try checkedPointer("zmq_socket") { zmq_socket(context.handle, type.rawValue) }
    }

    deinit {
        _ = zmq_close(handle)  // only fails for an invalid handle, which cannot happen here
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        try checkedNonBlocking("zmq_bind") { zmq_bind(handle, endpoint) }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        try checkedNonBlocking("zmq_connect") { zmq_connect(handle, endpoint) }
    }

    public func unbind(_ endpoint: String) throws(ZMQError) {
        try checkedNonBlocking("zmq_unbind") { zmq_unbind(handle, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        try checkedNonBlocking("zmq_disconnect") { zmq_disconnect(handle, endpoint) }
    }

    /// The endpoint of the last bind or connect; after binding `tcp://127.0.0.1:*` it names the port.
    public func lastEndpoint() throws(ZMQError) -> String {
        try get(.lastEndpoint)
    }

    // MARK: Options

    public func set(_ option: SocketOption<Int32>, _ value: Int32) throws(ZMQError) {
        var v = value
        try checkedNonBlocking("zmq_setsockopt") { zmq_setsockopt(handle, option.code, &v, MemoryLayout<Int32>.size) }
    }

    public func set(_ option: SocketOption<Bool>, _ value: Bool) throws(ZMQError) {
        try set(SocketOption<Int32>(code: option.code), value ? 1 : 0)
    }

    public func set(_ option: SocketOption<Int64>, _ value: Int64) throws(ZMQError) {
        var v = value
        try checkedNonBlocking("zmq_setsockopt") { zmq_setsockopt(handle, option.code, &v, MemoryLayout<Int64>.size) }
    }

    public func set(_ option: SocketOption<[UInt8]>, _ value: [UInt8]) throws(ZMQError) {
        let result: Result<Void, ZMQError> = value.withUnsafeBytes { buffer in
            Result { () throws(ZMQError) in
                try checkedNonBlocking("zmq_setsockopt") { zmq_setsockopt(handle, option.code, buffer.baseAddress, buffer.count) }
            }
        }
        try result.get()
    }

    public func get(_ option: SocketOption<Int32>) throws(ZMQError) -> Int32 {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try checkedNonBlocking("zmq_getsockopt") { zmq_getsockopt(handle, option.code, &v, &size) }
        return v
    }

    public func get(_ option: SocketOption<Bool>) throws(ZMQError) -> Bool {
        try get(SocketOption<Int32>(code: option.code)) != 0
    }

    public func get(_ option: SocketOption<Int64>) throws(ZMQError) -> Int64 {
        var v: Int64 = 0
        var size = MemoryLayout<Int64>.size
        try checkedNonBlocking("zmq_getsockopt") { zmq_getsockopt(handle, option.code, &v, &size) }
        return v
    }

    public func get(_ option: SocketOption<[UInt8]>) throws(ZMQError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        let result: Result<Void, ZMQError> = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(ZMQError) in
                try checkedNonBlocking("zmq_getsockopt") { zmq_getsockopt(handle, option.code, raw.baseAddress, &size) }
            }
        }
        try result.get()
        return Array(buffer.prefix(size))
    }

    public func get(_ option: SocketOption<String>) throws(ZMQError) -> String {
        var bytes = try get(SocketOption<[UInt8]>(code: option.code))
        if let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Sending

    /// Sends one frame holding a copy of `bytes`.
    /// - Parameters:
    ///   - more: another frame of the same message follows.
    ///   - dontWait: return `false` instead of blocking when the peer's queue is full.
    /// - Returns: `false` when the send would block (nothing was queued).
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        return try checked("zmq_send") { zmq_send(handle, bytes.baseAddress, bytes.count, flags) } != nil
    }

    /// Sends one frame holding a copy of `bytes`; see `send(_:more:dontWait:)`.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let result: Result<Bool, ZMQError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(ZMQError) in try send(buffer, more: more, dontWait: dontWait) }
        }
        return try result.get()
    }

    /// Hands `message` to libzmq without copying. On success `message` is left empty (libzmq
    /// re-initialises it), ready to be reused; on "would block" it still holds its content.
    @discardableResult
    public func send(_ message: inout Message, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        let raw = message.raw
        return try checked("zmq_msg_send") { zmq_msg_send(raw, handle, flags) } != nil
    }

    /// Sends `parts` as one multipart message.
    ///
    /// Only the first frame can report "would block" (or, on a ROUTER with `routerMandatory`,
    /// `EHOSTUNREACH`): once it is queued, libzmq accepts the rest of the message, so a message is
    /// never half sent.
    /// - Returns: `false` when the first frame would block (nothing was queued).
    @discardableResult
    public func send(multipart parts: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        precondition(!parts.isEmpty, "a message has at least one frame")
        for (i, part) in parts.enumerated() {
            let more = i < parts.count - 1
            let sent = try send(part, more: more, dontWait: dontWait)
            if !sent {
                if i == 0 { return false }
                // libzmq promises this cannot happen; finish the message blocking rather than
                // leave the socket mid-message.
                try send(part, more: more, dontWait: false)
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one frame into `message`, replacing its previous content.
    /// - Returns: `false` when nothing was waiting (`dontWait`) or the receive timeout expired.
    public func receive(_ message: inout Message, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let raw = message.raw
        return try checked("zmq_msg_recv") { zmq_msg_recv(raw, handle, dontWait ? ZMQ_DONTWAIT : 0) } != nil
    }

    /// Receives one whole multipart message into the reusable `frames` buffer.
    /// - Returns: `false` when nothing was waiting (`dontWait`) or the receive timeout expired.
    public func receive(into frames: inout Frames, dontWait: Bool = false) throws(ZMQError) -> Bool {
        try frames.receive(from: handle, dontWait: dontWait)
    }

    /// Receives one whole multipart message as copied byte arrays (convenient, not for hot paths).
    /// - Returns: `nil` when nothing was waiting (`dontWait`) or the receive timeout expired.
    public func receiveMultipart(dontWait: Bool = false, maxFrames: Int = 64) throws(ZMQError) -> [[UInt8]]? {
        var frames = Frames(capacity: maxFrames)
        guard try receive(into: &frames, dontWait: dontWait) else { return nil }
        return (0..<frames.count).map { frames.bytes(at: $0) }
    }

    // MARK: Monitoring

    /// Publishes this socket's connection events on a PAIR socket bound at `endpoint` (inproc).
    public func monitor(_ endpoint: String, events: MonitorEvent.Kind = .all) throws(ZMQError) {
        try checkedNonBlocking("zmq_socket_monitor") { zmq_socket_monitor(handle, endpoint, events.rawValue) }
    }
}
