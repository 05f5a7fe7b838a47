import Foundation
import SwitchboardDomain

/// One channel's figures for one interval (or the whole horizon), as means over replications with
/// 95% confidence half-widths.
public struct CellSummary: Sendable {
    public var offered: Estimate
    public var answered: Estimate
    public var abandoned: Estimate
    public var unfinished: Estimate
    /// Answered within T over offered.
    public var serviceLevel: Estimate
    public var abandonRate: Estimate
    public var pWait: Estimate
    public var asaSeconds: Estimate
    public var meanWaitSeconds: Estimate
    public var maxWaitSeconds: Estimate
    public var maxQueue: Estimate

    init(_ counts: [CellCounts]) {
        offered = Estimate(counts.map { Double($0.offered) })
        answered = Estimate(counts.map { Double($0.answered) })
        abandoned = Estimate(counts.map { Double($0.abandoned) })
        unfinished = Estimate(counts.map { Double($0.unfinished) })
        serviceLevel = Estimate(counts.map(\.serviceLevel))
        abandonRate = Estimate(counts.map(\.abandonRate))
        pWait = Estimate(counts.map(\.pWait))
        asaSeconds = Estimate(counts.map(\.asa))
        meanWaitSeconds = Estimate(counts.map(\.meanWait))
        maxWaitSeconds = Estimate(counts.map(\.maxWait))
        maxQueue = Estimate(counts.map { Double($0.maxQueue) })
    }
}

/// Everything a run produced: per interval and channel, totals, occupancy, staffing.
public struct SimulationReport: Sendable {
    public let scenario: Scenario
    public let staffing: [[Int]]
    public let results: [ReplicationResult]
    public let wallSeconds: Double
    public let intervals: Int
    /// `cells[channel][interval]`, channels in the scenario's order.
    public let cells: [[CellSummary]]
    public let totals: [CellSummary]
    public let occupancy: [Estimate]
    public let totalOccupancy: Estimate

    init(scenario: Scenario, staffing: [[Int]], results: [ReplicationResult], wallSeconds: Double) {
        self.scenario = scenario
        self.staffing = staffing
        self.results = results
        self.wallSeconds = wallSeconds
        let n = results.first?.cells.first?.count ?? 0
        intervals = n
        var cells: [[CellSummary]] = []
        var totals: [CellSummary] = []
        for c in scenario.channels.indices {
            cells.append((0..<n).map { i in CellSummary(results.map { $0.cells[c][i] }) })
            totals.append(CellSummary(results.map { $0.total(channel: c) }))
        }
        self.cells = cells
        self.totals = totals
        occupancy = (0..<n).map { i in Estimate(results.map { $0.occupancy(i) }) }
        totalOccupancy = Estimate(results.map(\.totalOccupancy))
    }

    public var contactsSimulated: Int { results.reduce(0) { $0 + $1.contacts } }
    public var eventsProcessed: Int { results.reduce(0) { $0 + $1.events } }

    /// Clock label of interval `i` ("08:15", or "d2 08:15" from the second day on).
    public func label(_ i: Int) -> String {
        let secs = Int((scenario.startClock + scenario.interval * Int64(i)).seconds)
        let day = secs / 86_400
        let h = (secs % 86_400) / 3600
        let m = (secs % 3600) / 60
        let hm = (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
        return day > 0 ? "d\(day + 1) \(hm)" : hm
    }

    /// The (channel, interval) cells that miss their channel's target or abandonment limit.
    public func misses(maxAbandon: Double? = nil) -> [(channel: Channel, interval: Int)] {
        var out: [(Channel, Int)] = []
        for (c, load) in scenario.channels.enumerated() {
            for i in 0..<intervals where meets(channel: c, interval: i, maxAbandon: maxAbandon) == false {
                out.append((load.channel, i))
            }
        }
        return out
    }

    /// Whether channel `c` meets its target (mean over replications) in interval `i`; nil when
    /// nothing was offered there.
    public func meets(channel c: Int, interval i: Int, maxAbandon: Double? = nil) -> Bool? {
        let cell = cells[c][i]
        guard cell.offered.mean > 0 else { return nil }
        let load = scenario.channels[c]
        if cell.serviceLevel.mean < load.target.fraction - 1e-9 { return false }
        if let limit = maxAbandon ?? load.maxAbandon, cell.abandonRate.mean > limit + 1e-9 { return false }
        return true
    }
}
