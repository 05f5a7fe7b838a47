import Metrics
import Synchronization

/// What the reactor counts, created once per server. Each event goes to swift-metrics (for whatever
/// backend the process bootstrapped; none in tests) and to an atomic counter that `Server.statistics`
/// reads from any thread, so tests and Health can see the numbers without a metrics backend.
/// Labels are bounded: method paths come from the contract, troubles from `PeerTrouble`; never ids.
final class ServerMetrics: Sendable {
    /// Counters kept for `Server.Statistics`.
    let requests = Atomic<Int>(0)
    let replies = Atomic<Int>(0)
    let streamMessages = Atomic<Int>(0)
    let pings = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let deadlineExceeded = Atomic<Int>(0)
    let connectionsAccepted = Atomic<Int>(0)
    let connectionsClosed = Atomic<Int>(0)
    /// Peer trouble is the rare path, so a lock is fine here.
    let troubles = Mutex<[PeerTrouble: Int]>([:])

    private let requestCounter = Counter(label: "switchboard_server_requests_total")
    private let replyCounter = Counter(label: "switchboard_server_replies_total")
    private let troubleCounters: [PeerTrouble: Counter]
    private let deadlineCounter = Counter(label: "switchboard_server_deadline_exceeded_total")

    init() {
        var counters: [PeerTrouble: Counter] = [:]
        for trouble in PeerTrouble.allCases {
            counters[trouble] = Counter(label: "switchboard_server_peer_trouble_total", dimensions: [("kind", trouble.rawValue)])
        }
        self.troubleCounters = counters
    }

    func requestReceived() {
        requests.add(1, ordering: .relaxed)
        requestCounter.increment()
    }

    func replySent() {
        replies.add(1, ordering: .relaxed)
        replyCounter.increment()
    }

    func connectionAccepted() { connectionsAccepted.add(1, ordering: .relaxed) }
    func connectionClosed() { connectionsClosed.add(1, ordering: .relaxed) }
    func streamMessageSent() { streamMessages.add(1, ordering: .relaxed) }
    func pingAnswered() { pings.add(1, ordering: .relaxed) }
    func messageDropped() { dropped.add(1, ordering: .relaxed) }

    func deadlinePassed() {
        deadlineExceeded.add(1, ordering: .relaxed)
        deadlineCounter.increment()
    }

    func trouble(_ kind: PeerTrouble) {
        troubles.withLock { $0[kind, default: 0] += 1 }
        troubleCounters[kind]?.increment()
    }

    var snapshot: Server.Statistics {
        let byKind = troubles.withLock { $0 }
        return Server.Statistics(
            requests: requests.load(ordering: .relaxed),
            replies: replies.load(ordering: .relaxed),
            streamMessages: streamMessages.load(ordering: .relaxed),
            pings: pings.load(ordering: .relaxed),
            droppedMessages: dropped.load(ordering: .relaxed),
            deadlineExceeded: deadlineExceeded.load(ordering: .relaxed),
            connectionsAccepted: connectionsAccepted.load(ordering: .relaxed),
            connectionsClosed: connectionsClosed.load(ordering: .relaxed),
            troubles: byKind
        )
    }
}

extension Server {
    /// Counters since the server started, readable from any thread.
    public struct Statistics: Sendable, Hashable {
        /// REQUEST messages received (valid or not, once the header decoded).
        public var requests: Int
        /// RESPONSE and STREAM_END messages handed to libzmq.
        public var replies: Int
        /// STREAM_MESSAGE messages handed to libzmq.
        public var streamMessages: Int
        /// PINGs answered.
        public var pings: Int
        /// Messages that could not be answered at all (wrong frame count, unreadable header).
        public var droppedMessages: Int
        /// Calls answered DEADLINE_EXCEEDED.
        public var deadlineExceeded: Int
        /// Connections the ROUTER accepted, and connections that ended (closed by the peer, dropped
        /// by libzmq for an oversize frame or missed ZMTP heartbeats).
        public var connectionsAccepted: Int
        public var connectionsClosed: Int
        /// Peer trouble by kind.
        public var troubles: [PeerTrouble: Int]

        public subscript(_ trouble: PeerTrouble) -> Int { troubles[trouble] ?? 0 }
    }
}
