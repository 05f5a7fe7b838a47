import Foundation
import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

@Suite struct ErlangCTests {
    /// The textbook worked example (720 calls/h, AHT 240 s, 55 agents) gives P(wait) 0.2387,
    /// ASA 8.18 s and 84.6% answered within 15 s.
    @Test func reproducesPublishedWorkedExample() throws {
        let q = ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 15)
        let r = try Erlang.evaluate(q, agents: 55)
        #expect(abs(r.pWait - 0.2387) < 0.00005)
        #expect(abs(r.asaSeconds - 8.18) < 0.005)
        #expect(abs(r.serviceLevel - 0.846) < 0.0005)
        #expect(abs(r.occupancy - 48.0 / 55.0) < 1e-12)
        #expect(r.pAbandon == nil)
    }

    /// Erlang B by recursion equals the factorial formula where the factorial still fits a Double.
    @Test func erlangBMatchesTheFactorialFormulaForSmallTeams() {
        for (n, a) in [(1, 0.5), (5, 3.0), (10, 7.5), (20, 18.0)] {
            var numer = 1.0, denom = 0.0, term = 1.0
            for k in 0...n {
                if k > 0 { term *= a / Double(k) }
                denom += term
                numer = term
            }
            #expect(abs(Erlang.erlangB(agents: n, load: a) - numer / denom) < 1e-13)
        }
    }

    /// Thousands of agents stay finite and sensible: no factorial overflow.
    @Test func staysFiniteForThousandsOfAgents() throws {
        let q = ErlangQuery(arrivalsPerHour: 9_000 * 3600 / 300, ahtSeconds: 300, answerWithinSeconds: 20)
        let r = try Erlang.evaluate(q, agents: 9_100)
        #expect(r.pWait.isFinite && r.pWait > 0 && r.pWait < 1)
        #expect(r.serviceLevel > 0 && r.serviceLevel < 1)
        #expect(r.asaSeconds.isFinite)
    }

    /// With as many agents as Erlangs of load the queue grows without bound, and the result says so.
    @Test func reportsAnUnstableQueueWhenLoadReachesAgents() throws {
        let q = ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 15)
        let r = try Erlang.evaluate(q, agents: 48)
        #expect(!r.stable)
        #expect(r.serviceLevel == 0)
    }

    /// `--target 80/20` finds the smallest team that meets it: one fewer misses.
    @Test func minimumAgentsIsTheSmallestTeamMeetingTheTarget() throws {
        let q = ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 0)
        let target = ServiceTarget(fraction: 0.8, withinSeconds: 20)
        let r = try Erlang.minimumAgents(q, target: target)
        var q20 = q
        q20.answerWithinSeconds = 20
        #expect(r.serviceLevel >= 0.8)
        #expect(try Erlang.evaluate(q20, agents: r.agents - 1).serviceLevel < 0.8)
        #expect(r.agents == 54)
    }

    /// Bad input is a typed error naming the option.
    @Test func rejectsNonPositiveHandleTime() {
        let q = ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 0, answerWithinSeconds: 15)
        #expect(throws: SwitchboardError.self) { try Erlang.evaluate(q, agents: 10) }
        do {
            _ = try Erlang.evaluate(q, agents: 10)
        } catch {
            #expect(error.field == "aht")
        }
    }

    /// "80/20" and "0.8/20" parse to the same target; nonsense is refused with the field named.
    @Test func parsesServiceTargets() throws {
        #expect(try ServiceTarget(parsing: "80/20", field: "target") == ServiceTarget(fraction: 0.8, withinSeconds: 20))
        #expect(try ServiceTarget(parsing: "0.9/30", field: "target") == ServiceTarget(fraction: 0.9, withinSeconds: 30))
        #expect(throws: SwitchboardError.self) { try ServiceTarget(parsing: "eighty", field: "target") }
        #expect(throws: SwitchboardError.self) { try ServiceTarget(parsing: "120/20", field: "target") }
    }
}

/// An independent reference for Erlang A: the birth–death chain of M/M/n+M truncated at a long queue,
/// its stationary distribution from the global balance equations solved as a tridiagonal system,
/// and the tagged arrival's fate by uniformization of the absorbing chain "position in queue".
/// It shares no formula with the closed form (no Erlang B, no incomplete gamma, no series identity).
struct TruncatedErlangAChain {
    var pi: [Double]
    let n: Int, lambda: Double, mu: Double, theta: Double

    init(arrivalsPerHour: Double, aht: Double, patience: Double, agents: Int, maxQueue: Int) {
        lambda = arrivalsPerHour / 3600
        mu = 1 / aht
        theta = 1 / patience
        n = agents
        let size = agents + maxQueue + 1
        let (lambda, mu, theta) = (lambda, mu, theta)
        func death(_ k: Int) -> Double { Double(min(k, agents)) * mu + Double(max(k - agents, 0)) * theta }
        // Global balance for state k: λπ_{k-1} − (λ + d_k)π_k + d_{k+1}π_{k+1} = 0 (no births out of the
        // last state). Replace the unknown π_0 by 1 and solve the system forward as a tridiagonal
        // recurrence on the balance equations (Thomas-style), then normalise.
        var p = [Double](repeating: 0, count: size)
        p[0] = 1
        // Row 0: −λπ_0 + d_1π_1 = 0
        p[1] = lambda * p[0] / death(1)
        for k in 1..<(size - 1) {
            let out = (k == size - 1 ? 0 : lambda) + death(k)
            p[k + 1] = (out * p[k] - lambda * p[k - 1]) / death(k + 1)
            if p[k + 1] < 0 { p[k + 1] = 0 }
        }
        let total = p.reduce(0, +)
        pi = p.map { $0 / total }
    }

    var pWait: Double { pi[n...].reduce(0, +) }
    /// Abandonment rate over arrival rate.
    var pAbandon: Double {
        var q = 0.0
        for k in n..<pi.count { q += Double(k - n) * pi[k] }
        return theta * q / lambda
    }

    /// Probability that an arrival is answered within `t` seconds and the mean wait of answered ones.
    /// A waiting arrival with j ahead moves up at rate nμ + jθ (a service ends or someone ahead leaves)
    /// and leaves itself at rate θ; uniformization gives the probability of reaching an agent by t.
    func answered(within t: Double) -> (serviceLevel: Double, asa: Double, pServed: Double) {
        let maxAhead = pi.count - 1 - n
        // Arrivals (PASTA) that find k in system with k ≥ n have j = k − n ahead.
        var start = [Double](repeating: 0, count: maxAhead + 1)
        for j in 0...maxAhead { start[j] = pi[n + j] }
        let immediate = pi[0..<n].reduce(0, +)
        // Closed-form fate without time: P(served | j) and E[V; served | j].
        var served = immediate, waitSum = 0.0
        for j in 0...maxAhead where start[j] > 1e-300 {
            var prob = 1.0, mean = 0.0
            for i in 0...j {
                let r = Double(n) * mu + Double(i) * theta
                prob *= r / (r + theta)
                mean += 1 / (r + theta)
            }
            served += start[j] * prob
            waitSum += start[j] * prob * mean
        }
        // Uniformization for P(served by t).
        let rate = Double(n) * mu + Double(maxAhead) * theta + theta
        var state = start
        var absorbedServed = 0.0
        var poisson = exp(-rate * t)
        var cumulative = 0.0
        var k = 0
        var sl = poisson * 0 // absorbed mass at step 0 is 0
        while cumulative < 1 - 1e-13 && k < 200_000 {
            cumulative += poisson
            sl += poisson * absorbedServed
            // One uniformized step.
            var next = [Double](repeating: 0, count: state.count)
            for j in 0..<state.count where state[j] != 0 {
                let up = Double(n) * mu + Double(j) * theta
                if j == 0 { absorbedServed += state[0] * up / rate } else { next[j - 1] += state[j] * up / rate }
                next[j] += state[j] * (1 - (up + theta) / rate)
            }
            state = next
            k += 1
            poisson *= rate * t / Double(k)
        }
        return (immediate + sl, waitSum / served, served)
    }
}

@Suite struct ErlangATests {
    /// Erlang A agrees with a truncated birth–death chain solved numerically, for an under- and an
    /// overloaded team (the closed form and the chain share no formula).
    @Test(arguments: [(55, 180.0), (45, 180.0), (20, 60.0), (60, 900.0)])
    func matchesTruncatedBirthDeathChain(agents: Int, patience: Double) throws {
        let q = ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 15, patienceSeconds: patience)
        let r = try Erlang.evaluate(q, agents: agents)
        let chain = TruncatedErlangAChain(arrivalsPerHour: 720, aht: 240, patience: patience, agents: agents, maxQueue: 400)
        let fate = chain.answered(within: 15)
        #expect(abs(r.pWait - chain.pWait) < 1e-9)
        #expect(abs((r.pAbandon ?? -1) - chain.pAbandon) < 1e-9)
        #expect(abs(r.serviceLevel - fate.serviceLevel) < 1e-7)
        #expect(abs(r.asaSeconds - fate.asa) < 1e-6 * max(1, fate.asa))
        #expect(abs((1 - (r.pAbandon ?? 0)) - fate.pServed) < 1e-9)
    }

    /// With very long patience Erlang A tends to Erlang C (same load, stable team).
    @Test func convergesToErlangCAsPatienceGrows() throws {
        let c = try Erlang.evaluate(ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 15), agents: 55)
        let a = try Erlang.evaluate(
            ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 15, patienceSeconds: 1e9), agents: 55)
        #expect(abs(a.pWait - c.pWait) < 1e-5)
        #expect(abs(a.serviceLevel - c.serviceLevel) < 1e-5)
        #expect(abs(a.asaSeconds - c.asaSeconds) < 1e-3)
        #expect((a.pAbandon ?? 1) < 1e-7)
    }

    /// Overloaded teams of thousands with short patience stay finite (terms like e^y are kept in logs).
    @Test func staysFiniteWhenOverloadedAtScale() throws {
        let q = ErlangQuery(arrivalsPerHour: 3_000 * 3600 / 300 * 1.5, ahtSeconds: 300, answerWithinSeconds: 20,
                            patienceSeconds: 30)
        let r = try Erlang.evaluate(q, agents: 3_000)
        #expect(r.pWait > 0.99 && r.pWait <= 1)
        #expect(r.pAbandon.map { $0 > 0.3 && $0 < 0.4 } == true)
        #expect(r.serviceLevel.isFinite && r.asaSeconds.isFinite)
    }

    /// `--max-abandon` raises the team until abandonment is low enough.
    @Test func minimumAgentsHonoursMaxAbandon() throws {
        let q = ErlangQuery(arrivalsPerHour: 720, ahtSeconds: 240, answerWithinSeconds: 0, patienceSeconds: 60)
        let plain = try Erlang.minimumAgents(q, target: ServiceTarget(fraction: 0.5, withinSeconds: 20))
        let strict = try Erlang.minimumAgents(q, target: ServiceTarget(fraction: 0.5, withinSeconds: 20), maxAbandon: 0.01)
        #expect(strict.agents > plain.agents)
        #expect((strict.pAbandon ?? 1) <= 0.01)
    }
}
