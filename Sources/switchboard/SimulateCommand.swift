import ArgumentParser
import Foundation
import SwitchboardConfig
import SwitchboardCore
import SwitchboardDomain
import SwitchboardSimulation

/// `switchboard simulate SCENARIO.yaml`: the scenario through the real engine in virtual time.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a surge scenario through the routing engine in virtual time.",
        discussion: """
            The scenario format is documented in docs/simulation.md (examples in examples/scenarios/). \
            Figures are per interval and channel; with several replications, means with 95% confidence \
            half-widths. The seed is printed so any run can be repeated exactly.
            """
    )

    @Argument(help: "The scenario YAML file.")
    var scenario: String

    @OptionGroup var overrides: ScenarioOverrides

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Print the report as CSV (one row per channel and interval, then totals).")
    var csv = false

    @Option(help: "Also write a chart (service level, queue length, staffing over time) as SVG to this file.")
    var chart: String?

    func run() throws {
        do {
            try execute()
        } catch let error as SwitchboardError {
            throw ValidationError(error.description)
        }
    }

    private func execute() throws {
        let loaded = try ScenarioLoading.load(path: scenario, overrides: overrides)
        if json && csv {
            throw SwitchboardError.invalidArgument("choose one of --json and --csv", field: "json")
        }
        if json || csv {
            FileHandle.standardError.write(Data("simulating \(loaded.scenario.name) with seed \(loaded.scenario.seed)\n".utf8))
        }
        let simulator = try overrides.simulator(loaded)
        let report = try simulator.run()
        if json {
            print(report.json.render(indent: 2))
        } else if csv {
            print(report.csv, terminator: "")
        } else {
            print(report.table, terminator: "")
        }
        if let chart {
            try ScenarioLoading.write(report.svg, to: chart)
            if !json && !csv { print("chart written to \(chart)") }
        }
    }
}

/// Shared by `simulate` and `staffing`: the scenario plus its engine policy (decoded strictly by
/// SwitchboardConfig, so a misspelt policy key is refused with its path).
/// The run overrides `simulate` and `staffing` share: same flags, same checks.
struct ScenarioOverrides: ParsableArguments {
    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the scenario's number of replications.")
    var replications: Int?

    @Option(help: "Replications to run at once, each on a core of its own (default: one per core). The figures do not depend on it.")
    var jobs: Int?

    /// A simulator for the loaded scenario, running `--jobs` replications at once.
    func simulator(_ loaded: (scenario: Scenario, policy: Policy)) throws(SwitchboardError) -> Simulator {
        var simulator = try Simulator(scenario: loaded.scenario, policy: loaded.policy)
        if let jobs {
            guard (1...1024).contains(jobs) else { throw .invalidArgument("--jobs must be 1–1024", field: "jobs") }
            simulator.parallelism = jobs
        }
        return simulator
    }
}

enum ScenarioLoading {
    /// Loads a scenario, applies the command-line overrides, and decodes and validates its `policy:`
    /// block through the same loader `serve --policy` uses.
    static func load(path: String, overrides: ScenarioOverrides) throws(SwitchboardError) -> (scenario: Scenario, policy: Policy) {
        var scenario = try Scenario.load(path: path)
        if let seed = overrides.seed { scenario.seed = seed }
        if let replications = overrides.replications {
            guard (1...10_000).contains(replications) else {
                throw .invalidArgument("--replications must be 1–10000", field: "replications")
            }
            scenario.replications = replications
        }
        var policy = Policy()
        if let yaml = scenario.policyYAML {
            do {
                policy = try PolicyLoader.policy(fromYAML: yaml)
            } catch {
                var e = error
                e.message = "policy: " + e.message
                e.field = e.field.map { "policy.\($0)" } ?? "policy"
                throw e
            }
        }
        return (scenario, policy)
    }

    static func write(_ text: String, to path: String) throws(SwitchboardError) {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw SwitchboardError(.unavailable, "cannot write \(path): check the directory exists and is writable",
                                   field: "chart", cause: "\(error)")
        }
    }
}
