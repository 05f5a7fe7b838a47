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
    // Exponential, 256 layers.
    let ke: [UInt64]
    let we: [Double]
    let fe: [Double]
    // Normal, 128 layers.
    let kn: [UInt64]
    let wn: [Double]
    let fn: [Double]

    static let exponentialR = 7.697_117_470_131_487
    static let normalR = 3.442_619_855_899

    public init() {
        let m = 9_007_199_254_740_992.0  // 2^53
        var ke = [UInt64](repeating: 0, count: 256)
        var we = [Double](repeating: 0, count: 256)
        var fe = [Double](repeating: 0, count: 256)
        do {
            var de = Self.exponentialR
            var te = de
            let ve = 3.949_659_822_581_572e-3
            let q = ve / exp(-de)
            ke[0] = UInt64((de / q) * m)
            ke[1] = 0
            we[0] = q / m
            we[255] = de / m
            fe[0] = 1
            fe[255] = exp(-de)
            for i in stride(from: 254, through: 1, by: -1) {
                de = -log(ve / de + exp(-de))
                ke[i + 1] = UInt64((de / te) * m)
                te = de
                fe[i] = exp(-de)
                we[i] = de / m
            }
        }
        var kn = [UInt64](repeating: 0, count: 128)
        var wn = [Double](repeating: 0, count: 128)
        var fn = [Double](repeating: 0, count: 128)
        do {
            var dn = Self.normalR
            var tn = dn
            let vn = 9.912_563_035_262_17e-3
            let q = vn / exp(-0.5 * dn * dn)
            kn[0] = UInt64((dn / q) * m)
            kn[1] = 0
            wn[0] = q / m
            wn[127] = dn / m
            fn[0] = 1
            fn[127] = exp(-0.5 * dn * dn)
            for i in stride(from: 126, through: 1, by: -1) {
                dn = (-2 * log(vn / dn + exp(-0.5 * dn * dn))).squareRoot()
                kn[i + 1] = UInt64((dn / tn) * m)
                tn = dn
                fn[i] = exp(-0.5 * dn * dn)
                wn[i] = dn / m
            }
        }
        (self.ke, self.we, self.fe, self.kn, self.wn, self.fn) = (ke, we, fe, kn, wn, fn)
    }

    /// One draw from the exponential distribution with mean 1.
    @inline(__always)
    public func exponential(_ rng: inout SplitMix64) -> Double {
        let u = rng.next()
        let i = Int(u & 0xFF)
        let j = u >> 11
        if j < ke[i] { return Double(j) * we[i] }
        return exponentialSlow(&rng, i: i, j: j)
    }

    func exponentialSlow(_ rng: inout SplitMix64, i first: Int, j firstJ: UInt64) -> Double {
        var i = first
        var j = firstJ
        while true {
            // The base layer's tail beyond r is r plus a fresh exponential (memorylessness).
            if i == 0 { return Self.exponentialR - log(rng.nextUnitInterval()) }
            let x = Double(j) * we[i]
            if fe[i] + rng.nextUnitInterval() * (fe[i - 1] - fe[i]) < exp(-x) { return x }
            let u = rng.next()
            i = Int(u & 0xFF)
            j = u >> 11
            if j < ke[i] { return Double(j) * we[i] }
        }
    }

    /// One draw from the normal distribution with mean 0 and standard deviation 1.
    @inline(__always)
    public func normal(_ rng: inout SplitMix64) -> Double {
        let u = rng.next()
        let i = Int(u & 0x7F)
        let j = Int64(bitPattern: u) >> 10
        if j.magnitude < kn[i] { return Double(j) * wn[i] }
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
            let x = Double(j) * wn[i]
            if fn[i] + rng.nextUnitInterval() * (fn[i - 1] - fn[i]) < exp(-0.5 * x * x) { return x }
            let u = rng.next()
            i = Int(u & 0x7F)
            j = Int64(bitPattern: u) >> 10
            if j.magnitude < kn[i] { return Double(j) * wn[i] }
        }
    }
}

/// The tables, built once per process (a few microseconds).
public let ziggurat = Ziggurat()
