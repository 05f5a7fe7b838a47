import Foundation

/// Helpers for summing series whose terms over- or underflow a `Double` (Erlang formulas for
/// thousands of agents have terms like `a^n / n!`). Everything is kept as natural logarithms.
enum LogSpace {
    /// `log(exp(a) + exp(b))` without overflow.
    @inline(__always)
    static func add(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let hi = max(a, b)
        let lo = min(a, b)
        return hi + log1p(exp(lo - hi))
    }

    /// `log(1 - exp(a))` for `a <= 0`, accurate near both ends (Mächler 2012).
    @inline(__always)
    static func log1mexp(_ a: Double) -> Double {
        if a > -0.693_147_180_559_945_3 { return log(-expm1(a)) }
        return log1p(-exp(a))
    }
}

/// The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), as a logarithm so it
/// stays exact when P is far below the smallest `Double` (Erlang A with long patience has
/// P(x, y) ≈ 10^-5000). Series below `a + 1`, Lentz continued fraction for Q = 1 - P above it
/// (Numerical Recipes §6.2); both converge in O(√a) terms, so a = 10^8 is still milliseconds.
enum IncompleteGamma {
    /// log P(a, x) for a > 0, x ≥ 0.
    static func logP(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0 && x >= 0, "IncompleteGamma.logP needs a > 0 and x >= 0")
        if x == 0 { return -.infinity }
        if x < a + 1 {
            return a * log(x) - x - lgamma(a) + logSeries(a, x)
        }
        return LogSpace.log1mexp(logQContinuedFraction(a, x))
    }

    /// log of Σ_{j≥0} x^j / (a(a+1)…(a+j)), so that γ(a, x) = x^a e^-x · Σ.
    /// Terms shrink from the first once x < a + 1, so the plain sum of scaled terms is safe.
    static func logSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1.0 / a
        var sum = term
        var n = a
        for _ in 0..<100_000_000 {
            n += 1
            term *= x / n
            sum += term
            if term < sum * 1e-17 { break }
        }
        return log(sum)
    }

    /// log Q(a, x) by the modified Lentz continued fraction, for x ≥ a + 1.
    static func logQContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        for _ in 0..<100_000_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            i += 1
        }
        return -x + a * log(x) - lgamma(a) + log(h)
    }
}
