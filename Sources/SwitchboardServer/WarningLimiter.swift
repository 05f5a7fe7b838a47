/// The kinds of peer trouble the server warns about. Bounded on purpose: rate limits (and any
/// metric labels) are per kind, never per peer, so a flood of peers cannot grow them.
public enum PeerTrouble: String, CaseIterable, Hashable, Sendable {
    /// A message without exactly [header][body]: cannot be answered, dropped.
    case wrongFrameCount = "wrong_frame_count"
    /// A header too short to hold a request id: cannot be answered, dropped.
    case unreadableHeader = "unreadable_header"
    /// A header that decoded far enough to answer, but broke a rule (answered with an error).
    case badHeader = "bad_header"
    /// A request with a method path outside the contract (answered UNIMPLEMENTED).
    case unknownMethod = "unknown_method"
    /// A body that does not decode for its method (answered INVALID_ARGUMENT).
    case badBody = "bad_body"
    /// A reply to a peer that disconnected (ROUTER_MANDATORY send failed with EHOSTUNREACH).
    case peerGone = "peer_gone"
    /// A reply to a peer whose queue is full (it is not reading); the reply is dropped.
    case peerNotReading = "peer_not_reading"
    /// A call refused because the server tracks `maxCallsInFlight` already (answered RESOURCE_EXHAUSTED).
    case tooManyCalls = "too_many_calls"
}

/// A token bucket per kind of trouble: a value-type state machine that takes `now` (monotonic
/// microseconds) so it is tested without a clock.
///
/// Each kind may log `burst` warnings per `interval`; past that, warnings are counted, and the
/// first warning admitted after a quiet spell reports how many were suppressed, so an operator
/// never loses the fact that something happened, only the repetition.
public struct WarningLimiter: Sendable {
    public enum Decision: Equatable, Sendable {
        /// Log it; `suppressed` warnings of this kind were skipped since the last one logged.
        case log(suppressed: Int)
        /// Skip it (it is counted).
        case suppress
    }

    private struct Bucket: Sendable {
        var windowStart: Int64
        var admitted: Int
        var suppressed: Int
    }

    public let burst: Int
    public let intervalMicroseconds: Int64
    private var buckets: [PeerTrouble: Bucket] = [:]

    public init(burst: Int, intervalMicroseconds: Int64) {
        self.burst = max(1, burst)
        self.intervalMicroseconds = max(1, intervalMicroseconds)
    }

    public mutating func admit(_ trouble: PeerTrouble, nowMicroseconds now: Int64) -> Decision {
        var bucket = buckets[trouble] ?? Bucket(windowStart: now, admitted: 0, suppressed: 0)
        if now - bucket.windowStart >= intervalMicroseconds {
            bucket.windowStart = now
            bucket.admitted = 0
        }
        let decision: Decision
        if bucket.admitted < burst {
            bucket.admitted += 1
            decision = .log(suppressed: bucket.suppressed)
            bucket.suppressed = 0
        } else {
            bucket.suppressed += 1
            decision = .suppress
        }
        buckets[trouble] = bucket
        return decision
    }
}
