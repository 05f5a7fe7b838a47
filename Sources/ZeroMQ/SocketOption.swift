import CZeroMQ

/// A socket option with the Swift type of its value. Only the options Switchboard uses are named;
/// `init(code:)` reaches the rest. Durations are milliseconds, as libzmq takes them.
public struct SocketOption<Value>: Sendable {
    public let code: Int32
    public init(code: Int32) { self.code = code }
}

extension SocketOption where Value == Bool {
    /// ROUTER: a send to an unknown or disconnected routing id fails with `EHOSTUNREACH`, and a
    /// send to a full peer fails with `EAGAIN`, instead of silently dropping the message.
    public static var routerMandatory: Self { .init(code: ZMQ_ROUTER_MANDATORY) }
    /// ROUTER: a new connection with a routing id already in use takes it over (a reconnect).
    public static var routerHandover: Self { .init(code: ZMQ_ROUTER_HANDOVER) }
    /// Queue messages only to completed connections, so a send to a dead endpoint fails fast.
    public static var immediate: Self { .init(code: ZMQ_IMMEDIATE) }
    /// Allow IPv6 addresses in tcp endpoints.
    public static var ipv6: Self { .init(code: ZMQ_IPV6) }
}

extension SocketOption where Value == Int32 {
    /// Messages queued per peer before sends block or fail with "would block".
    public static var sendHighWaterMark: Self { .init(code: ZMQ_SNDHWM) }
    /// Messages queued per peer on the receive side before libzmq stops reading that peer.
    public static var receiveHighWaterMark: Self { .init(code: ZMQ_RCVHWM) }
    /// How long `close` keeps unsent messages, in ms (-1 forever, 0 drop at once).
    public static var linger: Self { .init(code: ZMQ_LINGER) }
    /// Time a connection may take to complete the ZMTP handshake, in ms (0 = no limit).
    public static var handshakeInterval: Self { .init(code: ZMQ_HANDSHAKE_IVL) }
    /// Send a ZMTP PING on an idle connection every this many ms (0 = off).
    public static var heartbeatInterval: Self { .init(code: ZMQ_HEARTBEAT_IVL) }
    /// Close a connection when no traffic arrives for this many ms after a PING.
    public static var heartbeatTimeout: Self { .init(code: ZMQ_HEARTBEAT_TIMEOUT) }
    /// Ask the remote peer to time us out after this many ms of silence (rounded to 100 ms).
    public static var heartbeatTTL: Self { .init(code: ZMQ_HEARTBEAT_TTL) }
    /// Timeout for a blocking receive, in ms (-1 forever); expiry reads as "would block".
    public static var receiveTimeout: Self { .init(code: ZMQ_RCVTIMEO) }
    /// Timeout for a blocking send, in ms (-1 forever); expiry reads as "would block".
    public static var sendTimeout: Self { .init(code: ZMQ_SNDTIMEO) }
    /// First reconnect delay after a lost connection, in ms.
    public static var reconnectInterval: Self { .init(code: ZMQ_RECONNECT_IVL) }
    /// Upper bound of the exponential reconnect backoff, in ms (0 = no backoff).
    public static var reconnectIntervalMax: Self { .init(code: ZMQ_RECONNECT_IVL_MAX) }
    /// The socket type (read only).
    public static var type: Self { .init(code: ZMQ_TYPE) }
    /// Pending poll events (`ZMQ_POLLIN`/`ZMQ_POLLOUT` bits; read only).
    public static var events: Self { .init(code: ZMQ_EVENTS) }
    /// Whether the last received frame has more frames after it (read only).
    public static var receiveMore: Self { .init(code: ZMQ_RCVMORE) }
}

extension SocketOption where Value == Int64 {
    /// The largest frame, in bytes, a peer may send; a peer that sends a bigger one is
    /// disconnected by libzmq and nothing reaches the application (-1 = no limit).
    public static var maxMessageSize: Self { .init(code: ZMQ_MAXMSGSIZE) }
}

extension SocketOption where Value == [UInt8] {
    /// The identity this socket presents to a ROUTER peer (1...255 bytes, not starting with 0).
    public static var routingID: Self { .init(code: ZMQ_ROUTING_ID) }
    /// SUB: receive messages whose first frame starts with this prefix.
    public static var subscribe: Self { .init(code: ZMQ_SUBSCRIBE) }
    /// SUB: stop receiving messages with this prefix.
    public static var unsubscribe: Self { .init(code: ZMQ_UNSUBSCRIBE) }
}

extension SocketOption where Value == String {
    /// The endpoint of the last bind or connect, with an ephemeral port resolved (read only).
    public static var lastEndpoint: Self { .init(code: ZMQ_LAST_ENDPOINT) }
}
