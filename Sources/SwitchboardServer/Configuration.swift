import SwitchboardWire

extension Server {
    /// Everything an operator can set about the network face of the server. Parsed elsewhere (the
    /// `serve` command's flags); tests build one directly. Every default is what `switchboard serve`
    /// uses when no flag says otherwise.
    public struct Configuration: Sendable {
        /// The ZeroMQ endpoint the ROUTER socket binds. `tcp://127.0.0.1:*` picks a free port (read
        /// it back from `Server.endpoint`). Default `tcp://127.0.0.1:5555`.
        public var listen: String = "tcp://127.0.0.1:5555"

        /// Where durable state lives. Created at start if missing. Default `./var`.
        public var dataDirectory: String = "./var"

        /// The version string Health/Check reports.
        public var version: String = "0.0.0"

        /// The largest frame a peer may send, in bytes (`ZMQ_MAXMSGSIZE`). A peer that sends a bigger
        /// frame is disconnected by libzmq and nothing is answered. Default 1 MiB (the v1 limit).
        public var maxMessageSize: Int = WireLimits.maxFrameSize

        /// How long a new connection may take to finish the ZMTP handshake (`ZMQ_HANDSHAKE_IVL`), so
        /// half-open connections cannot pile up. Default 5 s (libzmq's own default is 30 s).
        public var handshakeIntervalMilliseconds: Int32 = 5_000

        /// ZMTP heartbeats on idle connections (`ZMQ_HEARTBEAT_IVL`/`_TIMEOUT`/`_TTL`): libzmq closes
        /// a connection whose peer stopped answering, so dead TCP connections do not hold queues
        /// forever. Application-level liveness (agents) is the Heartbeat method. Defaults 10 s / 30 s
        /// / 30 s.
        public var heartbeatIntervalMilliseconds: Int32 = 10_000
        public var heartbeatTimeoutMilliseconds: Int32 = 30_000
        public var heartbeatTTLMilliseconds: Int32 = 30_000

        /// `ZMQ_ROUTER_HANDOVER`: a client that connects with a routing id already in use (an agent
        /// desktop reconnecting with its stable id) takes it over from the stale connection, instead
        /// of being refused. Default true.
        public var routerHandover = true

        /// Messages queued per peer in each direction (`ZMQ_SNDHWM`/`ZMQ_RCVHWM`). A reply to a peer
        /// whose queue is full is dropped and logged (the reactor never blocks on one slow peer).
        /// Default 10,000 (libzmq's is 1,000; pipelining clients and offer streams need more).
        public var sendHighWaterMark: Int32 = 10_000
        public var receiveHighWaterMark: Int32 = 10_000

        /// The most messages read from the ROUTER in one reactor turn before timers, the control
        /// channel and services get their turn, so a flood from one peer cannot starve shutdown or
        /// deadlines. Default 256.
        public var maxMessagesPerTurn: Int = 256

        /// The most calls the reactor tracks at once: unary calls a handler answers later plus open
        /// streams. Past it, new calls that would be tracked are refused RESOURCE_EXHAUSTED (retryable),
        /// so no peer can grow the server's tables without bound. Default 100,000.
        public var maxCallsInFlight: Int = 100_000

        /// On SIGTERM/`stop()`, how long the server waits for in-flight calls to be answered before
        /// it answers the rest UNAVAILABLE and closes. Default 5 s.
        public var drainTimeoutMilliseconds: Int64 = 5_000

        /// How long closing the ROUTER keeps trying to deliver the last replies (`ZMQ_LINGER` at close).
        /// Default 1 s.
        public var closeLingerMilliseconds: Int32 = 1_000

        /// Warnings about misbehaving peers (malformed frames, unreachable peers) are rate-limited per
        /// kind of problem: at most `warningBurst` are logged per `warningIntervalMilliseconds`, then
        /// one summary with the count suppressed. Defaults 10 per 10 s.
        public var warningBurst: Int = 10
        public var warningIntervalMilliseconds: Int64 = 10_000

        public init() {}

        /// The configuration for a test or an embedded server: a free loopback port, the given data dir.
        public static func ephemeral(dataDirectory: String) -> Configuration {
            var configuration = Configuration()
            configuration.listen = "tcp://127.0.0.1:*"
            configuration.dataDirectory = dataDirectory
            return configuration
        }
    }
}
