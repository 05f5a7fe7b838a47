/// A point in time, in whole microseconds since an epoch chosen by whoever drives the engine.
///
/// The core never reads a clock: the live server passes wall-clock time (microseconds since the
/// Unix epoch) and the simulator passes virtual time (microseconds since the start of a run).
/// Microseconds in an `Int64` span about 292,000 years, and integer arithmetic keeps every
/// decision exactly repeatable for the same inputs.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    @inlinable public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The epoch itself: virtual time zero in a simulation.
    public static let zero = Instant(microseconds: 0)

    @inlinable public static func seconds(_ s: Double) -> Instant { Instant(microseconds: Int64((s * 1_000_000).rounded())) }

    /// Seconds since the epoch, for reports.
    @inlinable public var seconds: Double { Double(microseconds) / 1_000_000 }

    @inlinable public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.microseconds < rhs.microseconds }
    @inlinable public static func + (lhs: Instant, rhs: Span) -> Instant { Instant(microseconds: lhs.microseconds &+ rhs.microseconds) }
    @inlinable public static func - (lhs: Instant, rhs: Span) -> Instant { Instant(microseconds: lhs.microseconds &- rhs.microseconds) }
    @inlinable public static func - (lhs: Instant, rhs: Instant) -> Span { Span(microseconds: lhs.microseconds &- rhs.microseconds) }
    @inlinable public static func += (lhs: inout Instant, rhs: Span) { lhs = lhs + rhs }

    public var description: String { "t+\(seconds)s" }
}

/// A length of time in whole microseconds. Negative spans are allowed (an instant minus a later one).
public struct Span: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    @inlinable public init(microseconds: Int64) { self.microseconds = microseconds }

    public static let zero = Span(microseconds: 0)

    @inlinable public static func seconds(_ s: Double) -> Span { Span(microseconds: Int64((s * 1_000_000).rounded())) }
    @inlinable public static func milliseconds(_ ms: Int64) -> Span { Span(microseconds: ms * 1_000) }
    @inlinable public static func minutes(_ m: Double) -> Span { .seconds(m * 60) }
    @inlinable public static func hours(_ h: Double) -> Span { .seconds(h * 3600) }
    @inlinable public static func days(_ d: Double) -> Span { .seconds(d * 86_400) }

    @inlinable public var seconds: Double { Double(microseconds) / 1_000_000 }

    @inlinable public static func < (lhs: Span, rhs: Span) -> Bool { lhs.microseconds < rhs.microseconds }
    @inlinable public static func + (lhs: Span, rhs: Span) -> Span { Span(microseconds: lhs.microseconds &+ rhs.microseconds) }
    @inlinable public static func - (lhs: Span, rhs: Span) -> Span { Span(microseconds: lhs.microseconds &- rhs.microseconds) }
    @inlinable public static func * (lhs: Span, rhs: Int64) -> Span { Span(microseconds: lhs.microseconds &* rhs) }

    public var description: String { "\(seconds)s" }
}

extension Span: Codable {
    /// Spans are written in configuration as seconds (`30`, `0.5`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        self = .seconds(try c.decode(Double.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(seconds)
    }
}
