import ArgumentParser
import Foundation
import SwitchboardDomain
import SwitchboardSimulation

/// `switchboard staffing SCENARIO.yaml --target 80/20 [--max-abandon 5%]`: the fewest agents per
/// group and interval that meet the targets, found by simulation (see `StaffingPlanner`).
struct StaffingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staffing",
        abstract: "Find the fewest agents per group and interval that meet service-level targets, by simulation.",
        discussion: """
            Starts from an Erlang A/C estimate per interval, then settles intervals in time order by \
            simulating the real engine (doubling and bisection on the total, then trimming each group). \
            Groups keep the proportions of the scenario's roster. Every candidate is judged on the mean of \
            the scenario's replications with the same seeds. Fewer --replications is faster and noisier.
            """
    )

    @Argument(help: "The scenario YAML file (its agents give the groups and their proportions).")
    var scenario: String

    @Option(help: "Service-level target PERCENT/SECONDS for every channel, e.g. 80/20. Default: each channel's own.")
    var target: String?

    @Option(help: "Highest acceptable abandonment per interval, e.g. 5%. Default: each channel's own max_abandon.")
    var maxAbandon: String?

    @OptionGroup var overrides: ScenarioOverrides

    @Flag(help: "Print the roster and achieved figures as JSON.")
    var json = false

    @Option(help: "Also write a chart of the planned day as SVG to this file.")
    var chart: String?

    func run() throws {
        do {
            try execute()
        } catch let error as SwitchboardError {
            throw ValidationError(error.description)
        }
    }

    private func execute() throws {
        var (scenario, policy) = try ScenarioLoading.load(path: self.scenario, overrides: overrides)
        if let target {
            let t = try ServiceTarget(parsing: target, field: "target")
            for c in scenario.channels.indices { scenario.channels[c].target = t }
        }
        let limit = try maxAbandon.map { m throws(SwitchboardError) in try ServiceTarget.parseFraction(m, field: "max-abandon") }
        let simulator = try overrides.simulator((scenario, policy))
        let planner = StaffingPlanner(simulator: simulator, maxAbandon: limit)
        let log = FileHandle.standardError
        log.write(Data("planning \(scenario.name) (seed \(scenario.seed), \(scenario.replications) replications per candidate)\n".utf8))
        let plan = try planner.plan { i, parts in
            log.write(Data("  interval \(i + 1)/\(scenario.intervalCount): \(parts.reduce(0, +)) agents\n".utf8))
        }
        if json {
            print(json(plan, limit: limit).render(indent: 2))
        } else {
            print(table(plan, limit: limit), terminator: "")
        }
        if let chart { try ScenarioLoading.write(plan.report.svg, to: chart) }
    }

    func table(_ plan: StaffingPlanner.Plan, limit: Double?) -> String {
        let report = plan.report
        let scenario = report.scenario
        var out = "staffing plan for \(scenario.name): seed \(scenario.seed), \(scenario.replications) replications, "
        out += "\(plan.simulationsRun) simulations\n"
        for load in scenario.channels {
            out += "  \(load.channel): target \(load.target)"
            if let m = limit ?? load.maxAbandon, load.patience != nil { out += ", abandonment ≤ \(Format.fixed(m * 100, 1))%" }
            out += "\n"
        }
        out += "\n"
        var header = ["interval"] + scenario.groups.map(\.name) + ["total", "Erlang"]
        for load in scenario.channels { header += ["\(load.channel) SL", "\(load.channel) aband."] }
        header.append("occupancy")
        var rows: [[String]] = []
        for i in 0..<report.intervals {
            var row = [report.label(i)]
            var total = 0
            for g in scenario.groups.indices {
                row.append(String(plan.staffing[g][i]))
                total += plan.staffing[g][i]
            }
            row += [String(total), String(plan.erlangEstimate[i])]
            for c in scenario.channels.indices {
                let cell = report.cells[c][i]
                let miss = report.meets(channel: c, interval: i, maxAbandon: limit) == false ? " !" : ""
                row.append(cell.offered.mean > 0 ? Format.fixed(cell.serviceLevel.mean * 100, 1) + "%" + miss : "–")
                row.append(cell.offered.mean > 0 ? Format.fixed(cell.abandonRate.mean * 100, 1) + "%" : "–")
            }
            row.append(Format.fixed(report.occupancy[i].mean * 100, 1) + "%")
            rows.append(row)
        }
        var totalRow = ["agent-hours"]
        let hours = scenario.interval.seconds / 3600
        for g in scenario.groups.indices { totalRow.append(Format.fixed(Double(plan.staffing[g].reduce(0, +)) * hours, 1)) }
        totalRow.append(Format.fixed(Double(plan.staffing.reduce(0) { $0 + $1.reduce(0, +) }) * hours, 1))
        totalRow.append(Format.fixed(Double(plan.erlangEstimate.reduce(0, +)) * hours, 1))
        for c in scenario.channels.indices {
            totalRow.append(Format.fixed(report.totals[c].serviceLevel.mean * 100, 1) + "%")
            totalRow.append(Format.fixed(report.totals[c].abandonRate.mean * 100, 1) + "%")
        }
        totalRow.append(Format.fixed(report.totalOccupancy.mean * 100, 1) + "%")
        rows.append(totalRow)
        out += Format.table(header: header, rows: rows)
        if !plan.unreachable.isEmpty {
            out += "\nNOT MET even at the search ceiling in intervals \(plan.unreachable.map { report.label($0) }.joined(separator: ", ")): "
            out += "check that some group has the skills and languages these contacts need.\n"
        }
        out += "\nAchieved figures are a fresh simulation of the whole horizon with this roster ('!' = below target).\n"
        return out
    }

    func json(_ plan: StaffingPlanner.Plan, limit: Double?) -> JSONText {
        let report = plan.report
        let scenario = report.scenario
        var intervals: [JSONText] = []
        for i in 0..<report.intervals {
            var groups: [(String, JSONText)] = []
            for (g, group) in scenario.groups.enumerated() { groups.append((group.name, .integer(plan.staffing[g][i]))) }
            var channels: [(String, JSONText)] = []
            for (c, load) in scenario.channels.enumerated() {
                let cell = report.cells[c][i]
                channels.append((load.channel.rawValue, .object([
                    ("offered", .num(cell.offered.mean)), ("service_level", .num(cell.serviceLevel.mean)),
                    ("abandon_rate", .num(cell.abandonRate.mean)), ("asa_seconds", .num(cell.asaSeconds.mean)),
                    ("meets_target", report.meets(channel: c, interval: i, maxAbandon: limit).map { .bool($0) } ?? .null),
                ])))
            }
            intervals.append(.object([
                ("interval", .integer(i)), ("start", .string(report.label(i))),
                ("agents", .object(groups)), ("total", .integer(plan.staffing.reduce(0) { $0 + $1[i] })),
                ("erlang_estimate", .integer(plan.erlangEstimate[i])),
                ("occupancy", .num(report.occupancy[i].mean)), ("channels", .object(channels)),
            ]))
        }
        return .object([
            ("scenario", .string(scenario.name)), ("seed", .string(String(scenario.seed))),
            ("replications", .integer(scenario.replications)), ("simulations", .integer(plan.simulationsRun)),
            ("unreachable_intervals", .array(plan.unreachable.map { .integer($0) })),
            ("intervals", .array(intervals)),
            ("report", report.json),
        ])
    }
}
