import Synchronization
import SwitchboardCore
import SwitchboardDomain
import SwitchboardStore

/// Everything an operator can set about the live service (engine, events, liveness, storage). A
/// `Sendable` value with defaults; `switchboard serve` fills it from flags, tests build one directly.
public struct LiveConfiguration: Sendable {
    /// Where the PUB socket for events binds (`--events`). `tcp://127.0.0.1:*` picks a free port
    /// (read it back from `LiveHandle.eventsEndpoint`). Default `tcp://127.0.0.1:5556`.
    public var events: String = "tcp://127.0.0.1:5556"
    /// The engine's policy (threading, routing, KPIs). Default: every documented default.
    public var policy: Policy = Policy()
    /// How often an agent desktop must call Heartbeat (LoginResponse tells it). Default 10 s.
    public var heartbeatInterval: Span = .seconds(10)
    /// How many intervals may pass without a heartbeat (or another Agents call) before the agent is
    /// set offline and its open offers return to the queue. Default 3.
    public var missedHeartbeatsAllowed: Int = 3
    /// What an acknowledgement promises about the disk (see docs/storage.md). Default `.full`.
    public var durability: StoreConfiguration.Durability = .full
    /// The largest the database may grow, or nil for the disk's size. Past it commits fail as on a full disk.
    public var maximumDatabaseBytes: Int64?
    /// Events queued per subscriber before PUB drops them for that subscriber (`ZMQ_SNDHWM`). Default 100,000.
    public var eventsHighWaterMark: Int32 = 100_000

    public init() {}

    /// For tests and embedded servers: events on a free loopback port.
    public static func ephemeral() -> LiveConfiguration {
        var c = LiveConfiguration()
        c.events = "tcp://127.0.0.1:*"
        return c
    }
}

/// What a running live service tells the thread that started it.
public final class LiveHandle: Sendable {
    private let state = Mutex<(events: String?, replayed: Int)>((nil, 0))

    public init() {}

    /// The endpoint the PUB socket listens on (the port resolved), once the server has started.
    public var eventsEndpoint: String? { state.withLock { $0.events } }

    /// How many command-log records the server replayed at start.
    public var replayedRecords: Int { state.withLock { $0.replayed } }

    func started(events: String, replayed: Int) {
        state.withLock { $0 = (events, replayed) }
    }
}
