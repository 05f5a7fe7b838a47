import Foundation
import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

/// The ziggurat draws against the exact distributions: tail probabilities at points across every
/// region (inner layers, the edges where the slow path runs, the tail beyond the base layer), each
/// within 4.5 standard errors of a million draws, so a wrong table or a wrong fallback fails and a
/// correct generator passes but for a 1-in-100,000 fluke (the seed is fixed, so never flaky).
@Suite struct DistributionTests {
    static let draws = 1_000_000

    /// `observed` out of `draws` above a point of exact tail probability `p`.
    static func close(_ observed: Int, _ p: Double) -> Bool {
        let n = Double(draws)
        return abs(Double(observed) / n - p) <= 4.5 * (p * (1 - p) / n).squareRoot() + 1e-9
    }

    @Test func exponentialDrawsHaveTheExponentialTail() {
        var rng = SplitMix64(seed: 42)
        let points = [0.05, 0.3, 1, 2, 4, 6, 7.5, Ziggurat.exponentialR, 9, 11]
        var above = [Int](repeating: 0, count: points.count)
        var sum = 0.0
        for _ in 0..<Self.draws {
            let x = ziggurat.exponential(&rng)
            #expect(x >= 0)
            sum += x
            for (k, p) in points.enumerated() where x > p { above[k] += 1 }
        }
        // Mean 1, standard deviation 1.
        #expect(abs(sum / Double(Self.draws) - 1) < 4.5 / Double(Self.draws).squareRoot())
        for (k, x) in points.enumerated() {
            #expect(Self.close(above[k], exp(-x)), "P(X > \(x)): \(above[k]) of \(Self.draws), expected \(exp(-x) * Double(Self.draws))")
        }
    }

    @Test func normalDrawsHaveTheNormalTails() {
        var rng = SplitMix64(seed: 43)
        let points = [-4, -Ziggurat.normalR, -2.5, -1, -0.2, 0, 0.7, 1.5, 3, Ziggurat.normalR, 3.8]
        var above = [Int](repeating: 0, count: points.count)
        var sum = 0.0
        var squares = 0.0
        for _ in 0..<Self.draws {
            let x = ziggurat.normal(&rng)
            sum += x
            squares += x * x
            for (k, p) in points.enumerated() where x > p { above[k] += 1 }
        }
        let n = Double(Self.draws)
        #expect(abs(sum / n) < 4.5 / n.squareRoot())
        // The sample variance of a normal has standard error √(2/n).
        #expect(abs(squares / n - 1) < 4.5 * (2 / n).squareRoot())
        for (k, z) in points.enumerated() {
            let p = 0.5 * erfc(z / 2.0.squareRoot())
            #expect(Self.close(above[k], p), "P(Z > \(z)): \(above[k]) of \(Self.draws), expected \(p * n)")
        }
    }

    /// The handle-time samplers keep their documented mean and spread in microseconds.
    @Test func samplersKeepTheirMeanAndSpread() {
        var rng = SplitMix64(seed: 44)
        for (distribution, sd) in [(DurationDistribution.exponential(mean: 230), 230.0), (.lognormal(mean: 90, standardDeviation: 45), 45)] {
            let sampler = distribution.sampler
            var sum = 0.0
            var squares = 0.0
            let n = 400_000
            for _ in 0..<n {
                let s = Double(sampler.draw(&rng)) / 1_000_000
                sum += s
                squares += s * s
            }
            let mean = sum / Double(n)
            let spread = (squares / Double(n) - mean * mean).squareRoot()
            #expect(abs(mean - distribution.mean) < 4.5 * sd / Double(n).squareRoot(), "\(distribution): mean \(mean)")
            #expect(abs(spread / sd - 1) < 0.03, "\(distribution): sd \(spread)")
        }
    }

    /// A weighted choice draws the first value whose cumulative share reaches the uniform draw:
    /// every value by its weight, none with weight zero, whatever the number of values (odd, even,
    /// a power of two) and wherever the zeros sit. Checked draw by draw against a linear scan of
    /// the same random numbers.
    @Test(arguments: [1, 2, 3, 7, 8, 30, 33])
    func weightedChoiceDrawsTheFirstValueWhoseShareReachesTheDraw(count: Int) {
        var setup = SplitMix64(seed: UInt64(count))
        let weights = (0..<count).map { i -> Double in
            // Every third value has no weight (but not all of them).
            i % 3 == 1 ? 0 : 0.5 + Double(setup.next() % 100)
        }
        let choice = WeightedChoice(Array(zip(0..<count, weights)))
        let total = weights.reduce(0, +)
        var rng = SplitMix64(seed: 7)
        var reference = rng
        var drawn = [Int](repeating: 0, count: count)
        let n = 200_000
        for _ in 0..<n {
            let index = choice.drawIndex(&rng)
            var expected = count - 1
            if count > 1 {
                let u = reference.nextUnitInterval()
                var acc = 0.0
                for (i, w) in weights.enumerated() {
                    acc += w
                    if acc / total >= u { expected = i; break }
                }
            }
            #expect(index == expected)
            if index != expected { return }
            drawn[index] += 1
        }
        for (i, w) in weights.enumerated() {
            let p = w / total
            #expect(abs(Double(drawn[i]) / Double(n) - p) < 4.5 * (p * (1 - p) / Double(n)).squareRoot() + 1e-12)
        }
    }

    /// The guide table never starts a search past the answer: at each cumulative share exactly,
    /// just above and below it, at the guide's own cut points and at 0 and 1, the index is the
    /// first whose share reaches the point (the last when none does), as a linear scan finds.
    @Test(arguments: [2, 3, 5, 8, 30])
    func weightedChoiceFindsTheFirstShareReachingEveryBoundary(count: Int) {
        var setup = SplitMix64(seed: 99 &+ UInt64(count))
        let weights = (0..<count).map { i -> Double in i % 4 == 2 ? 0 : Double(1 + setup.next() % 7) }
        let choice = WeightedChoice(Array(zip(0..<count, weights)))
        var points: [Double] = [0, 1, 0x1.0p-53, 1 - 0x1.0p-53]
        for c in choice.cumulative { points += [c, c.nextUp, c.nextDown] }
        for j in 0...choice.guide.count {
            let cut = Double(j) / Double(choice.guide.count)
            points += [cut, cut.nextUp, cut.nextDown]
        }
        for u in points where u >= 0 && u <= 1 {
            let expected = choice.cumulative.firstIndex { $0 >= u } ?? count - 1
            #expect(choice.index(at: u) == expected, "u = \(u)")
        }
    }
}
