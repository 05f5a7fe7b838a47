import CZeroMQ

/// One event from a socket monitor (`Socket.monitor`): a two-frame message of
/// [u16 event, u32 value][endpoint], in host byte order as libzmq writes it.
public struct MonitorEvent: Sendable, Hashable {
    /// Event kinds, as the `ZMQ_EVENT_*` bits.
    public struct Kind: OptionSet, Sendable, Hashable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let connected = Kind(rawValue: ZMQ_EVENT_CONNECTED)
        public static let listening = Kind(rawValue: ZMQ_EVENT_LISTENING)
        public static let accepted = Kind(rawValue: ZMQ_EVENT_ACCEPTED)
        public static let closed = Kind(rawValue: ZMQ_EVENT_CLOSED)
        public static let disconnected = Kind(rawValue: ZMQ_EVENT_DISCONNECTED)
        public static let handshakeSucceeded = Kind(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        public static let handshakeFailedProtocol = Kind(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        public static let monitorStopped = Kind(rawValue: ZMQ_EVENT_MONITOR_STOPPED)
        public static let all = Kind(rawValue: ZMQ_EVENT_ALL)
    }

    public let kind: Kind
    /// The event's value: a file descriptor, an errno, or a retry interval, depending on `kind`.
    public let value: UInt32
    public let endpoint: String

    /// Decodes a monitor message; `nil` if it does not have the documented shape.
    public init?(frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let f = frames[0]
        let event = UInt16(f[0]) | UInt16(f[1]) << 8
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(f[2 + i]) << (8 * UInt32(i)) }
        // libzmq writes host order; every platform Switchboard runs on is little-endian.
        kind = Kind(rawValue: Int32(event))
        self.value = value
        endpoint = String(decoding: frames[1], as: UTF8.self)
    }
}
