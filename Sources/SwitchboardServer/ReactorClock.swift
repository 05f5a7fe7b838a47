import SwitchboardDomain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reactor's two clocks, read in one place. Monotonic time drives deadlines, uptime and rate
/// limits (it never jumps); wall-clock time (Unix microseconds) is what the engine and the wire see
/// as `now`. The core never reads either: the reactor passes them in.
public struct ReactorTime: Sendable, Hashable {
    /// Microseconds on the monotonic clock (an arbitrary epoch; only differences mean anything).
    public var monotonic: Instant
    /// Microseconds since the Unix epoch.
    public var wall: Instant

    public static func now() -> ReactorTime {
        ReactorTime(monotonic: read(CLOCK_MONOTONIC), wall: read(CLOCK_REALTIME))
    }

    static func monotonicNow() -> Instant { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> Instant {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Instant(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }
}
