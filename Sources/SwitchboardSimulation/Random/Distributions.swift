import Foundation
import SwitchboardDomain

/// A positive random duration (handle time, patience, repeat delay), in seconds.
public enum DurationDistribution: Sendable, Hashable, CustomStringConvertible {
    /// Memoryless; the Erlang models assume this for handle time and patience.
    case exponential(mean: Double)
    /// Right-skewed like real handle times; given by its own mean and standard deviation.
    case lognormal(mean: Double, standardDeviation: Double)
    /// Always the same value.
    case fixed(Double)
    /// Evenly spread between two values.
    case uniform(min: Double, max: Double)

    public var mean: Double {
        switch self {
        case .exponential(let m): m
        case .lognormal(let m, _): m
        case .fixed(let v): v
        case .uniform(let a, let b): (a + b) / 2
        }
    }

    public var description: String {
        switch self {
        case .exponential(let m): "exponential(mean \(m)s)"
        case .lognormal(let m, let s): "lognormal(mean \(m)s, sd \(s)s)"
        case .fixed(let v): "fixed(\(v)s)"
        case .uniform(let a, let b): "uniform(\(a)s–\(b)s)"
        }
    }

    /// A sampler with the parameters precomputed (the log-space μ, σ of a lognormal).
    public var sampler: DurationSampler { DurationSampler(self) }
}

/// Draws from a `DurationDistribution` in microseconds, the engine's unit. A value type with the
/// derived parameters cached; exponential and normal draws come from the `ziggurat`, so the hot
/// path is a table compare and a multiply (and an `exp` for a lognormal).
public struct DurationSampler: Sendable {
    enum Kind: Sendable { case exponential, lognormal, fixed, uniform }
    let kind: Kind
    let a: Double
    let b: Double

    public init(_ d: DurationDistribution) {
        switch d {
        case .exponential(let m):
            kind = .exponential; a = m * 1_000_000; b = 0
        case .lognormal(let m, let s):
            // For mean m and sd s of the variable itself: σ² = ln(1 + s²/m²), μ = ln m − σ²/2.
            let sigma2 = log1p((s * s) / (m * m))
            kind = .lognormal; a = log(m * 1_000_000) - sigma2 / 2; b = sigma2.squareRoot()
        case .fixed(let v):
            kind = .fixed; a = v * 1_000_000; b = 0
        case .uniform(let lo, let hi):
            kind = .uniform; a = lo * 1_000_000; b = (hi - lo) * 1_000_000
        }
    }

    /// One draw in whole microseconds (at least 1, so a contact never ends at its own start).
    @inline(__always)
    public func draw(_ rng: inout SplitMix64) -> Int64 {
        let us: Double
        switch kind {
        case .exponential:
            us = a * ziggurat.exponential(&rng)
        case .lognormal:
            us = exp(a + b * ziggurat.normal(&rng))
        case .fixed:
            us = a
        case .uniform:
            us = a + b * rng.nextUnitInterval()
        }
        return max(1, Int64(us.rounded()))
    }
}

/// A discrete choice by weight (skills, languages, priorities, topics, channels), drawn by a
/// cumulative table with a guide table in front of it (the cutpoint method): about one compare
/// per draw, no allocation. A class (immutable once made), so a draw
/// on the simulator's hot path takes one reference, not a copy of its three tables (a retain and
/// a release each, for each of the four mixes an arrival draws from).
public final class WeightedChoice<Value: Sendable>: Sendable {
    public let values: [Value]
    public let weights: [Double]
    let cumulative: [Double]
    /// `guide[j]`: the first index whose cumulative share reaches `j / guide.count`, so a draw
    /// `u` starts its search there (every index before has a share below `u`). The count is a
    /// power of two, which makes `u * count` and `j / count` exact: the guide never overshoots.
    let guide: [Int32]

    public init(_ pairs: [(Value, Double)]) {
        values = pairs.map(\.0)
        weights = pairs.map(\.1)
        var acc = 0.0
        var c: [Double] = []
        for w in weights {
            acc += w
            c.append(acc)
        }
        let total = acc
        cumulative = c.map { $0 / total }
        var m = 1
        while m < 2 * c.count { m <<= 1 }
        var g = [Int32](repeating: 0, count: m)
        var i = 0
        for j in 0..<m {
            let start = Double(j) / Double(m)
            while i < cumulative.count - 1 && cumulative[i] < start { i += 1 }
            g[j] = Int32(i)
        }
        guide = g
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Share of each value, normalised to sum to 1.
    public var shares: [Double] {
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    @inline(__always)
    public func draw(_ rng: inout SplitMix64) -> Value { values[drawIndex(&rng)] }

    /// The index in `values` of a draw: the same random numbers as `draw`. The first value whose
    /// cumulative share reaches `u` (the last if rounding leaves none): the guide names where to
    /// start, and a short scan (about one step, as the guide has at least twice as many entries
    /// as values) finds it. It replaced a binary search, whose five dependent steps per draw were
    /// a fifth of an arrival's own time on the peak day; the answer is the same for every `u`.
    @inline(__always)
    public func drawIndex(_ rng: inout SplitMix64) -> Int {
        if cumulative.count == 1 { return 0 }
        return index(at: rng.nextUnitInterval())
    }

    /// The first index whose cumulative share reaches `u` (in [0, 1]), the last if none does.
    @inline(__always)
    func index(at u: Double) -> Int {
        let n = cumulative.count
        return cumulative.withUnsafeBufferPointer { c in
            guide.withUnsafeBufferPointer { g in
                var i = Int(g[Swift.min(Int(u * Double(g.count)), g.count &- 1)])
                while i < n &- 1 && c[i] < u { i &+= 1 }
                return i
            }
        }
    }
}

extension SplitMix64 {
    /// An independent stream for replication `index` of a run seeded with `seed`: the seed is
    /// passed through SplitMix64's finaliser so neighbouring replications share no state.
    public static func stream(seed: UInt64, index: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: g.next())
    }
}
