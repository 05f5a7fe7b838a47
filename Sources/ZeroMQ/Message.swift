import CZeroMQ

/// One ZeroMQ frame, owning a `zmq_msg_t`.
///
/// `zmq_msg_t` imports as a copyable struct, and copying it would double-free its buffer; this
/// type is `~Copyable` and closes the message in `deinit`. The `zmq_msg_t` itself lives in a heap
/// cell that never moves, because frames of up to 33 bytes store their data inside the struct:
/// a pointer from `zmq_msg_data` stays valid only as long as the struct stays put. The bytes are
/// reachable only inside `withUnsafeBytes`, so no pointer escapes.
public struct Message: ~Copyable {
    @usableFromInline let raw: UnsafeMutablePointer<zmq_msg_t>

    /// An empty message, ready to be received into.
    public init() {
        raw = .allocate(capacity: 1)
        zmq_msg_init(raw)  // cannot fail (documented to always return 0)
    }

    /// A message holding a copy of `bytes`.
    public init(bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        raw = .allocate(capacity: 1)
        do {
            try checkedNonBlocking("zmq_msg_init_size") { zmq_msg_init_size(raw, bytes.count) }
        } catch {
            raw.deallocate()
            throw error
        }
        if let base = bytes.baseAddress, bytes.count > 0, let data = zmq_msg_data(raw) {
            data.copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// A message holding a copy of `bytes`.
    public init(_ bytes: [UInt8]) throws(ZMQError) {
        raw = .allocate(capacity: 1)
        do {
            try checkedNonBlocking("zmq_msg_init_size") { zmq_msg_init_size(raw, bytes.count) }
        } catch {
            raw.deallocate()
            throw error
        }
        let data = zmq_msg_data(raw)
        bytes.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress, buffer.count > 0, let data {
                data.copyMemory(from: base, byteCount: buffer.count)
            }
        }
    }

    deinit {
        zmq_msg_close(raw)
        raw.deallocate()
    }

    /// The number of bytes in the frame.
    public var count: Int { zmq_msg_size(raw) }

    /// Whether another frame of the same multipart message follows this one (after a receive).
    public var hasMore: Bool { zmq_msg_more(raw) != 0 }

    /// Calls `body` with the frame's bytes; the pointer is valid only inside the call.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(raw), count: zmq_msg_size(raw)))
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
