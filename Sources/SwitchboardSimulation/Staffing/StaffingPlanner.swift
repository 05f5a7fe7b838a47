import Foundation
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting

/// Finds the fewest agents per group and interval that meet every channel's service-level target
/// (and abandonment limit), by search over simulations of the real engine.
///
/// 1. Erlang estimate: per interval and channel, Erlang A (C without patience) gives the servers
///    needed for the interval's mean rate and AHT + wrap-up; servers become agents through the
///    channel's concurrency (capacity ÷ cost: two chats per agent at the default costs). The
///    interval's total is split over groups in the proportions of the scenario's own roster, so
///    the planner's skill and language mix is kept.
/// 2. Forward sweep: intervals are settled in time order, because an interval's queue depends on
///    the ones before it, never after. For interval i (earlier intervals fixed), the total is
///    found by doubling and bisection on simulations of intervals 0…i; then each group in turn is
///    trimmed by bisection while the targets still hold.
/// 3. Repair: the whole horizon is simulated with the roster; an interval that now misses (its
///    queue spills into a smaller next interval) gets one more agent, and the check repeats.
///
/// Every candidate is judged on the mean over the same replications with the same seeds (common
/// random numbers), so two rosters are compared on the same customers, not on luck.
public struct StaffingPlanner: Sendable {
    public let simulator: Simulator
    /// Fraction; nil keeps each channel's own `max_abandon`.
    public let maxAbandon: Double?
    /// Upper bound for one interval's total, as a multiple of the Erlang estimate (plus 10 agents).
    public var searchCeilingFactor = 8.0

    public init(simulator: Simulator, maxAbandon: Double?) {
        self.simulator = simulator
        self.maxAbandon = maxAbandon
    }

    public struct Plan: Sendable {
        /// `staffing[group][interval]`.
        public var staffing: [[Int]]
        /// The Erlang starting point per interval (all groups).
        public var erlangEstimate: [Int]
        /// The simulation of the whole horizon with `staffing`.
        public var report: SimulationReport
        /// Intervals where even the search ceiling missed the targets.
        public var unreachable: [Int]
        public var simulationsRun: Int
    }

    var scenario: Scenario { simulator.scenario }

    /// Erlang's agents per interval for all channels together.
    public func erlangEstimate() throws(SwitchboardError) -> [Int] {
        let policy = simulator.policy
        var totals = [Int](repeating: 0, count: scenario.intervalCount)
        let capacity = max(1, scenario.groups.map(\.capacity).max() ?? 100)
        for load in scenario.channels {
            let aht = load.handleTime.mean + policy.routing.wrapUp[load.channel].seconds
            let concurrency = max(1, capacity / max(1, policy.routing.capacityCost[load.channel]))
            for i in 0..<scenario.intervalCount {
                // The interval's mean rate, surges included (sampled at 16 points).
                var rate = 0.0
                for k in 0..<16 {
                    let t = scenario.interval * Int64(i) + Span(microseconds: scenario.interval.microseconds * Int64(2 * k + 1) / 32)
                    rate += load.rate(at: t, interval: scenario.interval)
                }
                rate /= 16
                guard rate > 0 else { continue }
                let q = ErlangQuery(arrivalsPerHour: rate, ahtSeconds: aht, answerWithinSeconds: load.target.withinSeconds,
                                    patienceSeconds: load.patience?.mean)
                let limit = load.patience == nil ? nil : (maxAbandon ?? load.maxAbandon)
                let servers = try Erlang.minimumAgents(q, target: load.target, maxAbandon: limit).agents
                totals[i] += (servers + concurrency - 1) / concurrency
            }
        }
        return totals
    }

    /// The roster's proportions per group (from the scenario's staffing in the interval, else overall).
    func shares(interval i: Int) -> [Double] {
        let here = scenario.groups.map { Double($0.staffing[i]) }
        let sum = here.reduce(0, +)
        if sum > 0 { return here.map { $0 / sum } }
        let overall = scenario.groups.map { Double($0.staffing.reduce(0, +)) }
        let total = overall.reduce(0, +)
        if total > 0 { return overall.map { $0 / total } }
        return scenario.groups.map { _ in 1 / Double(scenario.groups.count) }
    }

    /// `total` agents split by `shares`, largest remainders first, so the parts add up exactly.
    static func split(_ total: Int, shares: [Double]) -> [Int] {
        let exact = shares.map { $0 * Double(total) }
        var parts = exact.map { Int($0.rounded(.down)) }
        var left = total - parts.reduce(0, +)
        let order = exact.indices.sorted { (exact[$0] - Double(parts[$0])) > (exact[$1] - Double(parts[$1])) }
        for g in order where left > 0 {
            parts[g] += 1
            left -= 1
        }
        return parts
    }

    /// Runs the search. `progress` is told about each settled interval (for a CLI to show).
    public func plan(progress: (Int, [Int]) -> Void = { _, _ in }) throws(SwitchboardError) -> Plan {
        let n = scenario.intervalCount
        let groups = scenario.groups.count
        let estimate = try erlangEstimate()
        // Later intervals start at the estimate; they are replaced as the sweep reaches them.
        var staffing = (0..<groups).map { g in (0..<n).map { i in Self.split(estimate[i], shares: shares(interval: i))[g] } }
        var simulations = 0
        var unreachable: [Int] = []

        func meets(_ roster: [[Int]], _ i: Int) throws(SwitchboardError) -> Bool {
            simulations += 1
            let report = try simulator.run(staffing: roster, throughInterval: i)
            for c in scenario.channels.indices where report.meets(channel: c, interval: i, maxAbandon: maxAbandon) == false {
                return false
            }
            return true
        }
        func with(_ roster: [[Int]], interval i: Int, parts: [Int]) -> [[Int]] {
            var r = roster
            for g in 0..<groups { r[g][i] = parts[g] }
            return r
        }

        for i in 0..<n {
            let share = shares(interval: i)
            let ceiling = Int(Double(estimate[i]) * searchCeilingFactor) + 10
            // Total by doubling from the estimate, then bisection.
            var hi = max(1, estimate[i])
            var lo = 0
            if try meets(with(staffing, interval: i, parts: Self.split(0, shares: share)), i) {
                hi = 0
            } else {
                while try !meets(with(staffing, interval: i, parts: Self.split(hi, shares: share)), i) {
                    lo = hi
                    if hi >= ceiling { break }
                    hi = min(ceiling, hi * 2)
                }
                if lo == hi {
                    unreachable.append(i)
                } else {
                    while hi - lo > 1 {
                        let mid = (lo + hi) / 2
                        if try meets(with(staffing, interval: i, parts: Self.split(mid, shares: share)), i) { hi = mid } else { lo = mid }
                    }
                }
            }
            var parts = Self.split(hi, shares: share)
            // Trim each group (largest first) while the targets hold.
            if groups > 1 && !unreachable.contains(i) {
                for g in parts.indices.sorted(by: { parts[$0] > parts[$1] }) where parts[g] > 0 {
                    var glo = -1, ghi = parts[g]
                    while ghi - glo > 1 {
                        let mid = (glo + ghi) / 2
                        var trial = parts
                        trial[g] = mid
                        if try meets(with(staffing, interval: i, parts: trial), i) { ghi = mid } else { glo = mid }
                    }
                    parts[g] = ghi
                }
            }
            staffing = with(staffing, interval: i, parts: parts)
            progress(i, parts)
        }
        // Repair: the sweep judged interval i with later intervals staffed like i; the whole day can
        // differ (a queue left at 10:29 meets 10:30's smaller roster). Add one agent (to the group
        // with the largest share) wherever the full run misses, until it meets or the ceiling is hit.
        var report = try simulator.run(staffing: staffing)
        simulations += 1
        var repairs = 0
        while repairs < 4 * n {
            var missed = Set<Int>()
            for c in scenario.channels.indices {
                for i in 0..<n where report.meets(channel: c, interval: i, maxAbandon: maxAbandon) == false {
                    missed.insert(i)
                }
            }
            missed.subtract(unreachable)
            if missed.isEmpty { break }
            for i in missed {
                let share = shares(interval: i)
                let g = share.indices.max { share[$0] < share[$1] } ?? 0
                staffing[g][i] += 1
            }
            report = try simulator.run(staffing: staffing)
            simulations += 1
            repairs += 1
        }
        return Plan(staffing: staffing, erlangEstimate: estimate, report: report, unreachable: unreachable,
                    simulationsRun: simulations)
    }
}
