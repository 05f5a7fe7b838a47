import Foundation
import SwitchboardDomain

/// Exact standard exponential and standard normal draws by the ziggurat method (Marsaglia and
/// Tsang, "The Ziggurat Method for Generating Random Variables", J. Stat. Software 5(8), 2000).
///
/// Why: a simulation draws two or three of these per contact (the arrival gap, the handle time,
/// the patience), and `-log(u)` or Box–Muller (a `log`, a square root and a cosine) was the largest
/// single cost of the simulator's own work. Here about 99 % of draws are one table compare and one
/// multiply; the rest fall back to the exact density, so the distributions are exact, not
/// approximations.
///
/// Each draw takes one 64-bit word: the low bits pick the layer and the high bits (independent of
/// them) give the position, so the tables are scaled to 53-bit (exponential) and signed 54-bit
/// (normal) integers rather than the paper's 32 bits.
public struct Ziggurat: Sendable {
    /// A layer's fast-path bound k and scale w, side by side: the fast path reads both, for a
    /// random layer, and as two tables they were two cache misses on many draws.
    struct Layer: Sendable {
        var k: UInt64
        var w: Double
    }

    // Exponential, 256 layers.
    let exponentialLayers: [Layer]
    let fe: [Double]
    // Normal, 128 layers.
    let normalLayers: [Layer]
    let fn: [Double]

    static let exponentialR = 7.697_117_470_131_487
    static let normalR = 3.442_619_855_899

    public init() {
        // The papers' constants: the base layer's right edge r and the common area v of the layers.
        let e = Self.tables(layers: 256, r: Self.exponentialR, v: 3.949_659_822_581_572e-3,
                            density: { exp(-$0) }, inverse: { -log($0) })
        exponentialLayers = zip(e.k, e.w).map { Layer(k: $0, w: $1) }
        fe = e.f
        let n = Self.tables(layers: 128, r: Self.normalR, v: 9.912_563_035_262_17e-3,
                            density: { exp(-0.5 * $0 * $0) }, inverse: { (-2 * log($0)).squareRoot() })
        normalLayers = zip(n.k, n.w).map { Layer(k: $0, w: $1) }
        fn = n.f
    }

    /// Marsaglia and Tsang's `zigset` for a decreasing density `f` (unnormalised, f(0) = 1) with
    /// inverse `f⁻¹`: the layers' right edges x from r inwards (x = f⁻¹(v / x' + f(x'))), and from
    /// them the fast-path bounds k, the scale w (integer → x) and f at each edge, scaled to 2^53.
    static func tables(layers n: Int, r: Double, v: Double, density f: (Double) -> Double, inverse: (Double) -> Double)
        -> (k: [UInt64], w: [Double], f: [Double]) {
        let m = 9_007_199_254_740_992.0  // 2^53
        var k = [UInt64](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: n)
        var fx = [Double](repeating: 0, count: n)
        let q = v / f(r)
        k[0] = UInt64((r / q) * m)
        w[0] = q / m
        w[n - 1] = r / m
        fx[0] = 1
        fx[n - 1] = f(r)
        var outer = r
        for i in stride(from: n - 2, through: 1, by: -1) {
            let x = inverse(v / outer + f(outer))
            k[i + 1] = UInt64((x / outer) * m)
            outer = x
            fx[i] = f(x)
            w[i] = x / m
        }
        return (k, w, fx)
    }

    /// One draw from the exponential distribution with mean 1.
    @inline(__always)
    public func exponential(_ rng: inout SplitMix64) -> Double {
        let u = rng.next()
        let i = Int(u & 0xFF)
        let j = u >> 11
        let layer = exponentialLayers[i]
        if j < layer.k { return Double(j) * layer.w }
        return exponentialSlow(&rng, i: i, j: j)
    }

    func exponentialSlow(_ rng: inout SplitMix64, i first: Int, j firstJ: UInt64) -> Double {
        var i = first
        var j = firstJ
        while true {
            // The base layer's tail beyond r is r plus a fresh exponential (memorylessness).
            if i == 0 { return Self.exponentialR - log(rng.nextUnitInterval()) }
            let x = Double(j) * exponentialLayers[i].w
            if fe[i] + rng.nextUnitInterval() * (fe[i - 1] - fe[i]) < exp(-x) { return x }
            let u = rng.next()
            i = Int(u & 0xFF)
            j = u >> 11
            if j < exponentialLayers[i].k { return Double(j) * exponentialLayers[i].w }
        }
    }

    /// One draw from the normal distribution with mean 0 and standard deviation 1.
    @inline(__always)
    public func normal(_ rng: inout SplitMix64) -> Double {
        let u = rng.next()
        let i = Int(u & 0x7F)
        let j = Int64(bitPattern: u) >> 10
        let layer = normalLayers[i]
        if j.magnitude < layer.k { return Double(j) * layer.w }
        return normalSlow(&rng, i: i, j: j)
    }

    func normalSlow(_ rng: inout SplitMix64, i first: Int, j firstJ: Int64) -> Double {
        var i = first
        var j = firstJ
        while true {
            if i == 0 {
                // The tail beyond r, by Marsaglia's method (1964).
                var x: Double
                var y: Double
                repeat {
                    x = -log(rng.nextUnitInterval()) / Self.normalR
                    y = -log(rng.nextUnitInterval())
                } while y + y < x * x
                return j > 0 ? Self.normalR + x : -Self.normalR - x
            }
            let x = Double(j) * normalLayers[i].w
            if fn[i] + rng.nextUnitInterval() * (fn[i - 1] - fn[i]) < exp(-0.5 * x * x) { return x }
            let u = rng.next()
            i = Int(u & 0x7F)
            j = Int64(bitPattern: u) >> 10
            if j.magnitude < normalLayers[i].k { return Double(j) * normalLayers[i].w }
        }
    }
}

/// The tables, built once per process (a few microseconds).
public let ziggurat = Ziggurat()
