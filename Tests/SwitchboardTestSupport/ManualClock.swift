import SwitchboardDomain

/// A clock the test moves by hand. The core takes `now` with every event; tests keep one of these
/// and pass `clock.now`, so no test ever depends on the wall clock or sleeps.
public struct ManualClock: Sendable {
    public private(set) var now: Instant

    public init(start: Instant = .zero) { self.now = start }

    public mutating func advance(by span: Span) { now = now + span }
    public mutating func advance(seconds: Double) { now = now + .seconds(seconds) }
}
