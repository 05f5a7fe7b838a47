import CZeroMQ

/// A reusable receive buffer for multipart messages: a fixed number of `zmq_msg_t` slots that
/// stay allocated across receives, so the hot path allocates nothing per frame (libzmq's
/// `zmq_msg_recv` releases a slot's previous content before filling it again).
///
/// The capacity bounds what one peer can make us hold: frames past it are received into a scratch
/// slot and discarded, and only counted (`totalCount`), so a peer sending a thousand-frame message
/// costs one slot, not a thousand.
public struct Frames: ~Copyable {
    @usableFromInline let slots: UnsafeMutablePointer<zmq_msg_t>
    /// How many frames are kept; one more slot exists as scratch for the excess.
    public let capacity: Int
    /// Frames kept from the last receive (at most `capacity`).
    public internal(set) var count: Int = 0
    /// Frames in the last received message, including those discarded past `capacity`.
    public internal(set) var totalCount: Int = 0

    public init(capacity: Int) {
        precondition(capacity >= 1, "Frames needs room for at least one frame")
        self.capacity = capacity
        slots = .allocate(capacity: capacity + 1)
        for i in 0...capacity { zmq_msg_init(slots + i) }
    }

    deinit {
        for i in 0...capacity { zmq_msg_close(slots + i) }
        slots.deallocate()
    }

    /// Whether the last message had more frames than this buffer keeps.
    public var overflowed: Bool { totalCount > count }

    /// The byte count of kept frame `index`.
    public func size(at index: Int) -> Int {
        precondition(index >= 0 && index < count, "frame index \(index) out of 0..<\(count)")
        return zmq_msg_size(slots + index)
    }

    /// Calls `body` with the bytes of kept frame `index`; the pointer is valid only inside the call
    /// and only until the next receive into this buffer.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(at index: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        precondition(index >= 0 && index < count, "frame index \(index) out of 0..<\(count)")
        let slot = slots + index
        return try body(UnsafeRawBufferPointer(start: zmq_msg_data(slot), count: zmq_msg_size(slot)))
    }

    /// A copy of kept frame `index`.
    public func bytes(at index: Int) -> [UInt8] {
        withUnsafeBytes(at: index) { Array($0) }
    }

    /// Receives one whole multipart message from `handle` into the slots.
    /// - Returns: `false` when nothing was waiting and `dontWait` was set.
    mutating func receive(from handle: UnsafeMutableRawPointer, dontWait: Bool) throws(ZMQError) -> Bool {
        count = 0
        totalCount = 0
        var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            let slot = slots + min(totalCount, capacity)
            guard try checked("zmq_msg_recv", { zmq_msg_recv(slot, handle, flags) }) != nil else {
                // Only the first frame can be missing: libzmq delivers multipart messages atomically.
                return false
            }
            totalCount += 1
            if totalCount <= capacity { count = totalCount }
            if zmq_msg_more(slot) == 0 { return true }
            // The rest of the message is already here; never wait for it.
            flags = 0
        }
    }
}
