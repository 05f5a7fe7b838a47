/// A small, fast, seedable generator. Every random draw in Switchboard (simulation arrivals, handle
/// times, property tests) takes one of these, and the seed is printed, so a run can be repeated exactly.
/// Algorithm: SplitMix64 (Steele, Lea, Flood 2014), as in swift-argument-parser's `roll` example.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1]: never zero, so `-log(u)` is always finite.
    @inlinable public mutating func nextUnitInterval() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }
}
