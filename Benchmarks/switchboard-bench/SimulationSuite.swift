import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardSimulation

/// The planners' speed: whole simulations through the real engine.
///
/// - `mmc_1m`: an M/M/c with 70 agents (1000 contacts/h, AHT 230 s, ρ ≈ 0.91) until about 1,000,000
///   contacts have arrived, run three times: `wall_seconds` is the median, beside the best and each
///   run. Target ≤ 1 s wall on one core. With SimPy installed
///   (`SWITCHBOARD_SIMPY_PYTHON=/tmp/simpy-venv/bin/python`), the same model in SimPy
///   (Benchmarks/simpy_mmc.py) runs next and the ratio is printed.
/// - `peak_day`: examples/scenarios/peak-season-day.yaml: four channels, 30 skills, 8 languages,
///   2,000 agents in 40 groups, about 3,000,000 contacts in 24 hours with an opening spike and a
///   lunchtime ramp, repeat contacts. Target ≤ 10 s.
///
/// CPU seconds are printed beside wall seconds: on a shared machine wall time includes waiting
/// for a core.
var simulationSuite: BenchSuite {
    BenchSuite(name: "simulation") {
        // SWITCHBOARD_BENCH_CASE=mmc_1m (or peak_day) runs one case, for profiling.
        let only = getenv("SWITCHBOARD_BENCH_CASE").map { String(cString: $0) }
        if only == nil || only == "mmc_1m" { SimulationBench.mmc() }
        if only == nil || only == "peak_day" { SimulationBench.peakDay() }
    }
}

enum SimulationBench {
    static func cpuNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func policyWithoutWrapUp() -> Policy {
        var p = Policy()
        p.routing.wrapUp = PerChannel(voice: .zero, chat: .zero, email: .zero, social: .zero)
        return p
    }

    static func mmc() {
        let yaml = """
            name: bench-mmc-70
            seed: 7
            interval: 24h
            duration: 1000h
            channels:
              voice:
                arrivals: {per_hour: 1000}
                handle_time: {distribution: exponential, mean: 230}
                service_level: {target: 80%, within: 20}
            agents:
              - {group: team, count: 70}
            """
        do {
            let scenario = try Scenario.load(yaml: yaml)
            let simulator = try Simulator(scenario: scenario, policy: policyWithoutWrapUp())
            // Three runs of the same simulation (same seed, same result): the machine is shared,
            // so one run says as much about the neighbours as about the code. The median is
            // reported as `wall_seconds`, and the best and every run beside it.
            var walls: [Double] = []
            var cpus: [Double] = []
            var report: SimulationReport?
            for _ in 0..<3 {
                let wall0 = monotonicNanos(), cpu0 = cpuNanos()
                report = try simulator.run()
                walls.append(Double(monotonicNanos() - wall0) / 1e9)
                cpus.append(Double(cpuNanos() - cpu0) / 1e9)
            }
            guard let report else { return }
            let wall = walls.sorted()[1]
            let cpu = cpus.sorted()[1]
            let total = report.totals[0]
            let erlang = try Erlang.evaluate(ErlangQuery(arrivalsPerHour: 1000, ahtSeconds: 230, answerWithinSeconds: 20), agents: 70)
            emit([
                "suite": .string("simulation"), "case": .string("mmc_1m"),
                "contacts": .int(report.contactsSimulated), "events": .int(report.eventsProcessed),
                "agents": .int(70), "runs": .int(walls.count), "wall_seconds": .double(wall), "cpu_seconds": .double(cpu),
                "wall_seconds_best": .double(walls.min() ?? wall),
                "wall_seconds_each": .string(walls.map { String(format: "%.3f", $0) }.joined(separator: " ")),
                "contacts_per_second": .double(Double(report.contactsSimulated) / wall),
                "target_wall_seconds": .double(1),
                "service_level_20s": .double(total.serviceLevel.mean), "erlang_c_service_level_20s": .double(erlang.serviceLevel),
                "asa_seconds": .double(total.asaSeconds.mean), "erlang_c_asa_seconds": .double(erlang.asaSeconds),
            ])
            simpyRatio(swiftWall: wall, swiftCPU: cpu, contacts: report.contactsSimulated)
        } catch {
            FileHandleOutput.error("simulation/mmc_1m failed: \(error)")
        }
    }

    /// Runs Benchmarks/simpy_mmc.py with the interpreter named in SWITCHBOARD_SIMPY_PYTHON and
    /// prints its line and the ratio. Skipped (with a note on stderr) when the variable is unset.
    static func simpyRatio(swiftWall: Double, swiftCPU: Double, contacts: Int) {
        guard let python = getenv("SWITCHBOARD_SIMPY_PYTHON").map({ String(cString: $0) }), !python.isEmpty else {
            FileHandleOutput.error("simulation: set SWITCHBOARD_SIMPY_PYTHON to a python with simpy to measure the SimPy ratio")
            return
        }
        let command = "\(python) Benchmarks/simpy_mmc.py \(contacts)"
        guard let pipe = popen(command, "r") else { return }
        var line = [CChar](repeating: 0, count: 4096)
        var output = ""
        while fgets(&line, Int32(line.count), pipe) != nil {
            output += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        pclose(pipe)
        let trimmed = output.split(separator: "\n").last.map(String.init) ?? ""
        guard trimmed.hasPrefix("{") else {
            FileHandleOutput.error("simulation: SimPy run printed no result (\(command))")
            return
        }
        print(trimmed)
        func field(_ name: String) -> Double? {
            let key = "\"\(name)\": "
            for part in trimmed.dropFirst().dropLast().split(separator: ",") {
                let p = part.drop { $0 == " " }
                if p.hasPrefix(key) { return Double(p.dropFirst(key.count)) }
            }
            return nil
        }
        if let wall = field("wall_seconds"), let cpu = field("cpu_seconds") {
            emit([
                "suite": .string("simulation"), "case": .string("mmc_1m_simpy_ratio"),
                "simpy_wall_over_switchboard_wall": .double(wall / swiftWall),
                "simpy_cpu_over_switchboard_cpu": .double(cpu / swiftCPU),
            ])
        }
    }

    static func peakDay() {
        do {
            // The same file planners run; the bench runs from the repository root (`make bench`).
            let scenario = try Scenario.load(path: "examples/scenarios/peak-season-day.yaml")
            let simulator = try Simulator(scenario: scenario, policy: Policy())
            let wall0 = monotonicNanos(), cpu0 = cpuNanos()
            let report = try simulator.run()
            let wall = Double(monotonicNanos() - wall0) / 1e9
            let cpu = Double(cpuNanos() - cpu0) / 1e9
            var offered = 0.0, answered = 0.0, abandoned = 0.0
            for t in report.totals {
                offered += t.offered.mean
                answered += t.answered.mean
                abandoned += t.abandoned.mean
            }
            emit([
                "suite": .string("simulation"), "case": .string("peak_day"),
                "contacts": .int(report.contactsSimulated), "events": .int(report.eventsProcessed),
                "agents": .int(2000), "skills": .int(30), "languages": .int(8), "channels": .int(4),
                "wall_seconds": .double(wall), "cpu_seconds": .double(cpu),
                "contacts_per_second": .double(Double(report.contactsSimulated) / wall),
                "target_wall_seconds": .double(10),
                "offered": .double(offered), "answered": .double(answered), "abandoned": .double(abandoned),
                "occupancy": .double(report.totalOccupancy.mean),
                "peak_rss_bytes": .int(peakResidentBytes()),
            ])
        } catch {
            FileHandleOutput.error("simulation/peak_day failed: \(error)")
        }
    }
}
