import SwitchboardServer
import Testing

@Suite struct WarningLimiterTests {
    /// A burst of warnings of one kind is logged, the rest of the window is counted, and the first
    /// warning of the next window reports how many were suppressed.
    @Test func burstThenSuppressThenSummary() {
        var limiter = WarningLimiter(burst: 3, intervalMicroseconds: 1_000_000)
        let first = (0..<5).map { _ in limiter.admit(.badHeader, nowMicroseconds: 10) }
        #expect(first == [.log(suppressed: 0), .log(suppressed: 0), .log(suppressed: 0), .suppress, .suppress])
        #expect(limiter.admit(.badHeader, nowMicroseconds: 1_000_010) == .log(suppressed: 2))
        #expect(limiter.admit(.badHeader, nowMicroseconds: 1_000_011) == .log(suppressed: 0))
    }

    /// Kinds have separate budgets: a flood of one does not silence another.
    @Test func kindsAreLimitedSeparately() {
        var limiter = WarningLimiter(burst: 1, intervalMicroseconds: 1_000_000)
        #expect(limiter.admit(.wrongFrameCount, nowMicroseconds: 0) == .log(suppressed: 0))
        #expect(limiter.admit(.wrongFrameCount, nowMicroseconds: 1) == .suppress)
        #expect(limiter.admit(.peerGone, nowMicroseconds: 2) == .log(suppressed: 0))
    }
}
