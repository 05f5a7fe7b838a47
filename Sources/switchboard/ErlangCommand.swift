import ArgumentParser
import SwitchboardDomain
import SwitchboardSimulation

/// `switchboard erlang`: the planner's pocket calculator. Erlang C without `--patience`, Erlang A
/// (exponential patience) with it; `--target` without `--agents` finds the smallest team.
struct ErlangCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erlang",
        abstract: "Erlang C / Erlang A: waiting, service level, ASA, occupancy and abandonment for a team.",
        discussion: """
            Service level is the fraction of offered contacts answered within --answer-within seconds; \
            with --patience, abandoned contacts count as offered and not answered. ASA is the mean wait \
            of answered contacts. See docs/simulation.md.
            Examples:
              switchboard erlang --arrivals-per-hour 720 --aht 240 --agents 55 --answer-within 15
              switchboard erlang --arrivals-per-hour 720 --aht 240 --target 80/20 --patience 180 --max-abandon 5%
            """
    )

    @Option(help: "Arrival rate, contacts per hour (Poisson).")
    var arrivalsPerHour: Double

    @Option(help: "Mean handle time in seconds (exponential).")
    var aht: Double

    @Option(help: "Agents on duty. Omit with --target to find the minimum.")
    var agents: Int?

    @Option(help: "Service-level threshold T in seconds (defaults to the target's T, else 20).")
    var answerWithin: Double?

    @Option(help: "Mean patience in seconds (exponential): Erlang A. Omit for Erlang C.")
    var patience: Double?

    @Option(help: "Service-level target PERCENT/SECONDS, e.g. 80/20.")
    var target: String?

    @Option(help: "Highest acceptable abandonment, e.g. 5% (needs --patience and --target).")
    var maxAbandon: String?

    @Flag(help: "Print JSON (keys agents, p_wait, service_level, asa_seconds, occupancy, p_abandon).")
    var json = false

    func run() throws {
        do {
            try execute()
        } catch {
            throw ValidationError(error.message)
        }
    }

    private func execute() throws(SwitchboardError) {
        let parsedTarget = try target.map { t throws(SwitchboardError) in try ServiceTarget(parsing: t, field: "target") }
        let within = answerWithin ?? parsedTarget?.withinSeconds ?? 20
        let query = ErlangQuery(arrivalsPerHour: arrivalsPerHour, ahtSeconds: aht, answerWithinSeconds: within,
                                patienceSeconds: patience)
        let abandonLimit = try maxAbandon.map { m throws(SwitchboardError) in
            try ServiceTarget.parseFraction(m, field: "max-abandon")
        }
        let result: ErlangResult
        if let agents {
            result = try Erlang.evaluate(query, agents: agents)
        } else if let parsedTarget {
            result = try Erlang.minimumAgents(query, target: parsedTarget, maxAbandon: abandonLimit)
        } else {
            throw .invalidArgument("give --agents N, or --target 80/20 to find the minimum number of agents", field: "agents")
        }
        if json {
            print(result.json.render(indent: 2))
            return
        }
        let model = patience == nil ? "Erlang C" : "Erlang A (mean patience \(fmt(patience ?? 0, 0)) s)"
        print("\(model): \(fmt(arrivalsPerHour, 1)) contacts/h, AHT \(fmt(aht, 0)) s, load \(fmt(result.offeredLoad, 2)) Erlangs")
        if agents == nil, let parsedTarget {
            var line = "minimum agents for \(parsedTarget)"
            if let abandonLimit { line += " with abandonment ≤ \(fmt(abandonLimit * 100, 1))%" }
            print(line + ": \(result.agents)")
        }
        print("  agents              \(result.agents)")
        if !result.stable {
            print("  UNSTABLE: the load (\(fmt(result.offeredLoad, 2)) Erlangs) needs more than \(result.agents) agents; the queue grows without bound")
        }
        print("  P(wait)             \(fmt(result.pWait, 4))")
        print("  service level       \(fmt(result.serviceLevel * 100, 2))% answered within \(fmt(within, 0)) s")
        print("  ASA                 \(fmt(result.asaSeconds, 2)) s")
        print("  mean wait (all)     \(fmt(result.meanWaitSeconds, 2)) s")
        print("  occupancy           \(fmt(result.occupancy * 100, 2))%")
        if let pa = result.pAbandon { print("  P(abandon)          \(fmt(pa * 100, 2))%") }
    }
}

/// Fixed-point formatting without Foundation's String(format:).
func fmt(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "n/a" : "∞" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(x) * scale).rounded() / scale
    var s = String(Int64(r))
    if digits > 0 {
        var frac = String(Int64(((r - r.rounded(.down)) * scale).rounded()))
        frac = String(repeating: "0", count: max(0, digits - frac.count)) + frac
        s += "." + frac
    }
    return x < 0 && r != 0 ? "-" + s : s
}
