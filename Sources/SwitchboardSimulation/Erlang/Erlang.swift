import Foundation
import SwitchboardDomain

/// A service-level target such as "80/20": at least `fraction` of offered contacts answered within
/// `withinSeconds`. Abandoned contacts count as offered and not answered (see docs/simulation.md).
public struct ServiceTarget: Sendable, Hashable, CustomStringConvertible {
    public var fraction: Double
    public var withinSeconds: Double

    public init(fraction: Double, withinSeconds: Double) {
        self.fraction = fraction
        self.withinSeconds = withinSeconds
    }

    /// Parses "80/20" (percent / seconds) or "0.8/20". Names `field` in the error.
    public init(parsing text: String, field: String) throws(SwitchboardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let pct = Double(parts[0].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")),
              let secs = Double(parts[1].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "s", with: "")),
              pct > 0, secs >= 0, secs.isFinite
        else {
            throw .invalidArgument(
                "a service-level target is PERCENT/SECONDS, e.g. 80/20 (80% answered within 20 s); got '\(text)'",
                field: field)
        }
        let fraction = pct > 1 ? pct / 100 : pct
        guard fraction <= 1 else {
            throw .invalidArgument("the target percentage must be at most 100; got '\(text)'", field: field)
        }
        self.init(fraction: fraction, withinSeconds: secs)
    }

    /// Parses "5%", "0.05" or "5" (read as percent when above 1) into a fraction 0…1.
    public static func parseFraction(_ text: String, field: String) throws(SwitchboardError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let isPercent = trimmed.hasSuffix("%")
        guard let v = Double(isPercent ? String(trimmed.dropLast()) : trimmed), v >= 0, v.isFinite else {
            throw .invalidArgument("expected a percentage such as 5% or a fraction such as 0.05; got '\(text)'", field: field)
        }
        let f = isPercent || v > 1 ? v / 100 : v
        guard f <= 1 else { throw .invalidArgument("a percentage is at most 100%; got '\(text)'", field: field) }
        return f
    }

    public var description: String {
        "\(Self.trim(fraction * 100))/\(Self.trim(withinSeconds))"
    }

    static func trim(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(x)
    }
}

/// The inputs of an Erlang calculation, in the units planners use.
public struct ErlangQuery: Sendable, Hashable {
    /// Poisson arrival rate, contacts per hour.
    public var arrivalsPerHour: Double
    /// Mean handle time (exponential), seconds.
    public var ahtSeconds: Double
    /// Service-level threshold T: answered within T seconds counts as in service level.
    public var answerWithinSeconds: Double
    /// Mean patience (exponential) for Erlang A; nil for Erlang C (nobody abandons).
    public var patienceSeconds: Double?

    public init(arrivalsPerHour: Double, ahtSeconds: Double, answerWithinSeconds: Double, patienceSeconds: Double? = nil) {
        self.arrivalsPerHour = arrivalsPerHour
        self.ahtSeconds = ahtSeconds
        self.answerWithinSeconds = answerWithinSeconds
        self.patienceSeconds = patienceSeconds
    }

    /// Offered load in Erlangs: arrival rate × mean handle time.
    public var offeredLoad: Double { arrivalsPerHour / 3600 * ahtSeconds }

    func validate() throws(SwitchboardError) {
        guard arrivalsPerHour.isFinite, arrivalsPerHour >= 0 else {
            throw .invalidArgument("the arrival rate must be a finite number >= 0 per hour", field: "arrivals-per-hour")
        }
        guard ahtSeconds.isFinite, ahtSeconds > 0 else {
            throw .invalidArgument("the mean handle time must be a finite number of seconds > 0", field: "aht")
        }
        guard answerWithinSeconds.isFinite, answerWithinSeconds >= 0 else {
            throw .invalidArgument("the service-level threshold must be a finite number of seconds >= 0", field: "answer-within")
        }
        if let p = patienceSeconds, !(p.isFinite && p > 0) {
            throw .invalidArgument("the mean patience must be a finite number of seconds > 0 (omit it for Erlang C)", field: "patience")
        }
    }
}

/// What an Erlang model predicts for one staffing level.
public struct ErlangResult: Sendable, Hashable {
    public var agents: Int
    /// Offered load a = λ · AHT, in Erlangs.
    public var offeredLoad: Double
    /// Probability that an arriving contact finds every agent busy (it has to wait, however briefly).
    public var pWait: Double
    /// Fraction of offered contacts answered within T. Abandoned contacts are offered and not answered.
    public var serviceLevel: Double
    /// Average speed of answer: mean wait of answered contacts, seconds (zero waits included).
    /// Infinite when the queue is unstable (Erlang C with a ≥ agents).
    public var asaSeconds: Double
    /// Mean wait over all offered contacts, answered or abandoned, seconds.
    public var meanWaitSeconds: Double
    /// Fraction of agent time spent handling: carried load / agents.
    public var occupancy: Double
    /// Probability an offered contact abandons (Erlang A); nil for Erlang C.
    public var pAbandon: Double?
    /// False when Erlang C has a ≥ agents: the queue grows without bound.
    public var stable: Bool
}

/// Exact Erlang B, C and A (M/M/n+M, Palm's model) formulas, numerically stable for thousands of
/// agents: Erlang B by its recursion in log space, Erlang A through the regularized incomplete gamma
/// function in log space (Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of performance measures",
/// 2007). The service-level and ASA formulas for Erlang A are derived in docs/simulation.md.
public enum Erlang {
    /// log of Erlang B blocking probability for `agents` servers and offered load `load`.
    /// B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)); each step is a ratio in (0, 1], so it never
    /// overflows, and in logs it never underflows either.
    public static func logErlangB(agents: Int, load: Double) -> Double {
        guard load > 0 else { return agents == 0 ? 0 : -.infinity }
        let logA = log(load)
        var logB = 0.0
        for k in 1...max(agents, 1) where agents > 0 {
            let aB = exp(logA + logB)
            logB = logA + logB - log(Double(k) + aB)
        }
        return agents == 0 ? 0 : logB
    }

    /// Erlang B: probability that a contact finds all `agents` busy when nobody waits (lost calls).
    public static func erlangB(agents: Int, load: Double) -> Double {
        exp(logErlangB(agents: agents, load: load))
    }

    /// Erlang C (patience nil) or Erlang A (patience given) for one staffing level.
    public static func evaluate(_ q: ErlangQuery, agents: Int) throws(SwitchboardError) -> ErlangResult {
        try q.validate()
        guard agents >= 1 else {
            throw .invalidArgument("the number of agents must be at least 1", field: "agents")
        }
        if let patience = q.patienceSeconds {
            return erlangA(q, agents: agents, patience: patience)
        }
        return erlangC(q, agents: agents)
    }

    static func erlangC(_ q: ErlangQuery, agents: Int) -> ErlangResult {
        let a = q.offeredLoad
        let n = Double(agents)
        guard a > 0 else {
            return ErlangResult(agents: agents, offeredLoad: 0, pWait: 0, serviceLevel: 1, asaSeconds: 0,
                                meanWaitSeconds: 0, occupancy: 0, pAbandon: nil, stable: true)
        }
        guard a < n else {
            return ErlangResult(agents: agents, offeredLoad: a, pWait: 1, serviceLevel: 0, asaSeconds: .infinity,
                                meanWaitSeconds: .infinity, occupancy: 1, pAbandon: nil, stable: false)
        }
        let b = erlangB(agents: agents, load: a)
        // C = n·B / (n − a·(1 − B)), the standard conversion; the denominator is ≥ n − a > 0.
        let c = n * b / (n - a * (1 - b))
        let drain = (n - a) / q.ahtSeconds // rate at which the waiting time tail decays, per second
        let sl = 1 - c * exp(-drain * q.answerWithinSeconds)
        let asa = c / drain
        return ErlangResult(agents: agents, offeredLoad: a, pWait: c, serviceLevel: sl, asaSeconds: asa,
                            meanWaitSeconds: asa, occupancy: a / n, pAbandon: nil, stable: true)
    }

    /// Erlang A. With x = nμ/θ and y = λ/θ, the queue part of the stationary distribution sums to
    /// π_n · A(x, y), A(x, y) = x·e^y·y^-x·γ(x, y); the probabilities follow from Erlang B:
    /// P(wait) = A·B / (1 + (A − 1)·B), P(abandon | wait) = 1/(ρA) + 1 − 1/ρ with ρ = λ/(nμ).
    /// Answered within T: the offered wait V of a waiting arrival has defective density
    /// π_n·nμ·exp(y(1 − e^-θt) − nμt); a waiter is answered iff its own patience outlasts V, which
    /// integrates to π_n·(x/y)·(A − 1)·[1 − P(x+1, y·e^-θT) / P(x+1, y)].
    static func erlangA(_ q: ErlangQuery, agents: Int, patience: Double) -> ErlangResult {
        let a = q.offeredLoad
        let n = Double(agents)
        guard a > 0 else {
            return ErlangResult(agents: agents, offeredLoad: 0, pWait: 0, serviceLevel: 1, asaSeconds: 0,
                                meanWaitSeconds: 0, occupancy: 0, pAbandon: 0, stable: true)
        }
        let lambda = q.arrivalsPerHour / 3600
        let mu = 1 / q.ahtSeconds
        let theta = 1 / patience
        let x = n * mu / theta
        let y = lambda / theta
        let rho = y / x

        let logB = logErlangB(agents: agents, load: a)
        let log1mB = LogSpace.log1mexp(logB)
        // log A(x, y): the direct series when it is small-termed, else through log P(x, y).
        let logA: Double
        if y < x + 1 {
            logA = log(x) + IncompleteGamma.logSeries(x, y)
        } else {
            logA = log(x) + y - x * log(y) + lgamma(x) + IncompleteGamma.logP(x, y)
        }
        // P(wait) = 1 / (1 + (1 − B) / (B·A)).
        let r = exp(log1mB - logB - logA)
        let pWait = r.isFinite ? 1 / (1 + r) : 0
        // π_n = P(wait) / A, kept as a log since A can be e^1000.
        let logPiN = log(pWait) - logA
        // (A − 1) = A·(1 − 1/A)
        let logAm1 = logA + LogSpace.log1mexp(-logA)
        let pServedAfterWait = exp(logPiN + logAm1 - log(rho))
        let pAbandon = max(0, min(1, pWait - pServedAfterWait))

        // Fraction of the served-after-waiting that wait no longer than T.
        let logPFull = IncompleteGamma.logP(x + 1, y)
        let yT = y * exp(-theta * q.answerWithinSeconds)
        let logPT = yT > 0 ? IncompleteGamma.logP(x + 1, yT) : -.infinity
        let withinT = -expm1(logPT - logPFull)
        let sl = (1 - pWait) + pServedAfterWait * withinT

        // Mean offered wait of answered contacts: E[V; answered] = π_n·(x/θ)·Σ_j t_j·H_j with
        // t_j = y^j / ((x+1)…(x+1+j)), H_j = Σ_{i≤j} 1/(x+1+i). Summed in logs (t_j peaks near j = y − x).
        var logSum = -Double.infinity
        var logT = -log(x + 1)
        var h = 1 / (x + 1)
        var j = 0.0
        var peakPassed = false
        while j < 1e8 {
            let logTerm = logT + log(h)
            logSum = LogSpace.add(logSum, logTerm)
            j += 1
            let ratio = y / (x + 1 + j)
            if ratio < 1 { peakPassed = true }
            logT += log(ratio)
            h += 1 / (x + 1 + j)
            if peakPassed && logT + log(h) < logSum - 40 { break }
        }
        let waitAnswered = exp(logPiN + log(x) - log(theta) + logSum)
        let pServed = 1 - pAbandon
        let asa = pServed > 0 ? waitAnswered / pServed : .infinity
        // Little's law on the queue: abandonment rate θ·E[Q] = λ·P(abandon), and E[Q] = λ·E[W].
        let meanWait = pAbandon / theta
        let occupancy = min(1, a * pServed / n)
        return ErlangResult(agents: agents, offeredLoad: a, pWait: pWait, serviceLevel: sl, asaSeconds: asa,
                            meanWaitSeconds: meanWait, occupancy: occupancy, pAbandon: pAbandon, stable: true)
    }

    /// The fewest agents for which the model meets `target` and, if given, `maxAbandon`
    /// (a fraction; needs a patience). Service level and abandonment both improve monotonically
    /// with agents, so the answer is found by doubling then bisection.
    public static func minimumAgents(
        _ q: ErlangQuery, target: ServiceTarget, maxAbandon: Double? = nil, limit: Int = 1_000_000
    ) throws(SwitchboardError) -> ErlangResult {
        var q = q
        q.answerWithinSeconds = target.withinSeconds
        try q.validate()
        if maxAbandon != nil && q.patienceSeconds == nil {
            throw .invalidArgument("--max-abandon needs --patience: without patience nobody abandons (Erlang C)", field: "max-abandon")
        }
        if let m = maxAbandon, !(m >= 0 && m <= 1) {
            throw .invalidArgument("the abandonment limit must be between 0% and 100%", field: "max-abandon")
        }
        func meets(_ n: Int) throws(SwitchboardError) -> ErlangResult? {
            let r = try evaluate(q, agents: n)
            guard r.stable, r.serviceLevel >= target.fraction - 1e-12 else { return nil }
            if let m = maxAbandon, let pa = r.pAbandon, pa > m + 1e-12 { return nil }
            return r
        }
        // Erlang C needs more agents than the load; start just above it.
        var lo = q.patienceSeconds == nil ? max(0, Int(q.offeredLoad.rounded(.down))) : 0
        var hi = lo + 1
        while try meets(hi) == nil {
            lo = hi
            hi = hi * 2
            if hi > limit {
                throw .invalidArgument("no staffing up to \(limit) agents meets the target \(target)", field: "target")
            }
        }
        // Invariant: lo fails (or is below 1), hi meets.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if try meets(mid) != nil { hi = mid } else { lo = mid }
        }
        return try evaluate(q, agents: hi)
    }
}
