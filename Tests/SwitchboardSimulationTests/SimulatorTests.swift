import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import Testing
@testable import SwitchboardSimulation

@Suite struct SimulatorTests {
    static func scenario(_ yaml: String) throws -> Scenario { try Scenario.load(yaml: yaml) }

    static let small = """
        seed: 5
        replications: 2
        warm_up: 10m
        interval: 15m
        duration: 1h
        channels:
          voice:
            arrivals: {per_hour: 120}
            handle_time: {distribution: lognormal, mean: 180, sd: 90}
            patience: {distribution: exponential, mean: 90}
          chat:
            arrivals: {per_hour: 60}
            handle_time: {distribution: fixed, value: 240}
        agents:
          - {group: a, count: 6, skills: {support: 5}}
        """

    /// The same scenario and seed give the same figures to the last count; another seed does not.
    @Test func sameSeedRepeatsTheRunExactly() throws {
        let s = try Self.scenario(Self.small)
        let a = try Simulator(scenario: s).run()
        let b = try Simulator(scenario: s).run()
        for r in 0..<2 { #expect(a.results[r].cells == b.results[r].cells) }
        var other = s
        other.seed = 6
        let c = try Simulator(scenario: other).run()
        #expect(c.results[0].cells != a.results[0].cells)
    }

    /// Replications run side by side give the figures they give one at a time, each in its own
    /// place: replication r is the run of stream r whichever thread ran it.
    @Test func replicationsRunAtOnceGiveTheFiguresOfOneAtATime() throws {
        var s = try Self.scenario(Self.small)
        s.replications = 5
        var one = try Simulator(scenario: s)
        one.parallelism = 1
        var three = one
        three.parallelism = 3
        let a = try one.run()
        let b = try three.run()
        #expect(b.results.count == 5)
        for r in 0..<5 {
            #expect(a.results[r].cells == b.results[r].cells)
            #expect(a.results[r].busyUnitSeconds == b.results[r].busyUnitSeconds)
            #expect(a.results[r].events == b.results[r].events)
            #expect(b.results[r].cells == (try one.runReplication(r)).cells)
        }
        #expect(b.results[0].cells != b.results[1].cells)
    }

    /// A failed replication stops the hand-out of later ones, and the lowest failure is the one
    /// reported, as when replications run one at a time.
    @Test func parallelReplicationsReportTheLowestFailure() {
        let pool = ReplicationPool(count: 6)
        #expect(pool.take() == 0)
        #expect(pool.take() == 1)
        #expect(pool.take() == 2)
        #expect(pool.take() == 3)
        pool.finish(3, with: .failure(.invalidArgument("third", field: "x")))
        #expect(pool.take() == nil)  // 4 and 5 are not started
        pool.finish(2, with: .failure(.invalidArgument("second", field: "x")))
        #expect(throws: SwitchboardError.invalidArgument("second", field: "x")) { try pool.results() }
        pool.finish(1, with: .failure(.invalidArgument("first", field: "x")))
        #expect(throws: SwitchboardError.invalidArgument("first", field: "x")) { try pool.results() }
    }

    /// Every offered contact ends answered, abandoned or unfinished; nobody is counted twice.
    @Test func everyOfferedContactHasOneFate() throws {
        let report = try Simulator(scenario: try Self.scenario(Self.small)).run()
        for result in report.results {
            for c in 0..<2 {
                let t = result.total(channel: c)
                #expect(t.offered > 0)
                #expect(t.answered + t.abandoned + t.unfinished == t.offered)
                #expect(t.answeredWithin <= t.answered && t.delayed <= t.offered)
            }
            #expect(result.total(channel: 1).abandoned == 0)  // chat has no patience here
        }
    }

    /// Arrivals follow the surge: a ×3 spike triples the count in its interval (Poisson, within
    /// five standard deviations), and warm-up arrivals are not reported.
    @Test func arrivalsFollowSurgesAndSkipTheWarmUp() throws {
        let s = try Self.scenario("""
            seed: 9
            warm_up: 1h
            interval: 1h
            duration: 3h
            channels:
              email:
                arrivals:
                  per_hour: 400
                  surges: [{kind: spike, at: 1h, duration: 1h, multiplier: 3}]
                handle_time: 1
            agents: [{group: a, count: 5}]
            """)
        let r = try Simulator(scenario: s).runReplication(0)
        let counts = r.cells[0].map(\.offered)
        #expect(abs(Double(counts[0]) - 400) < 5 * 20)
        #expect(abs(Double(counts[1]) - 1200) < 5 * 35)
        #expect(abs(Double(counts[2]) - 400) < 5 * 20)
        // Warm-up contacts went through the engine but not into the figures.
        #expect(r.contacts > counts.reduce(0, +) + 300)
    }

    /// With nobody on duty and no patience, contacts wait until the drain limit and are reported
    /// unfinished; occupancy has no logged-in capacity to divide by.
    @Test func unstaffedIntervalsLeaveContactsUnfinished() throws {
        let s = try Self.scenario("""
            interval: 30m
            duration: 1h
            drain_limit: 1h
            channels:
              email: {arrivals: {per_hour: 20}, handle_time: 60}
            agents: [{group: a, staffing: [0, 0]}]
            """)
        let r = try Simulator(scenario: s).runReplication(0)
        let t = r.total(channel: 0)
        #expect(t.offered > 0 && t.answered == 0 && t.unfinished == t.offered)
        #expect(r.occupancy(0).isNaN)
    }

    /// The roster is the engine's: agents log in and out at interval boundaries and occupancy is
    /// measured against the capacity actually logged in.
    @Test func occupancyIsMeasuredAgainstLoggedInCapacity() throws {
        let s = try Self.scenario("""
            seed: 3
            interval: 1h
            duration: 2h
            channels:
              voice: {arrivals: {per_hour: 60}, handle_time: {distribution: fixed, value: 60}}
            agents: [{group: a, staffing: [2, 4]}]
            policy: {}
            """)
        var policy = Policy()
        policy.routing.wrapUp = PerChannel(voice: .zero, chat: .zero, email: .zero, social: .zero)
        let r = try Simulator(scenario: s, policy: policy).runReplication(0)
        // 60 calls × 60 s ≈ 1 Erlang: about 50% of 2 agents, 25% of 4.
        #expect(abs(r.occupancy(0) - 0.5) < 0.15)
        #expect(abs(r.occupancy(1) - 0.25) < 0.08)
        #expect(abs(r.capacityUnitSeconds[0] - 2 * 100 * 3600) < 1)
        #expect(abs(r.capacityUnitSeconds[1] - 4 * 100 * 3600) < 1)
    }

    /// Customers who come back are threaded by the engine to their earlier case on another channel.
    @Test func repeatContactsJoinTheCustomersCase() throws {
        let s = try Self.scenario("""
            seed: 4
            interval: 30m
            duration: 2h
            channels:
              voice:
                arrivals: {per_hour: 120}
                handle_time: 300
                patience: {distribution: exponential, mean: 20}
              chat: {arrivals: {per_hour: 1}, handle_time: 60}
            repeat_contacts:
              after_abandoned: 100%
              delay: {distribution: uniform, min: 1m, max: 10m}
              channels: {chat: 1}
            agents: [{group: a, count: 2}]
            """)
        let simulator = try Simulator(scenario: s)
        var run = try Replication(simulator: simulator, index: 0, staffing: s.staffing, intervals: s.intervalCount)
        let r = try run.execute()
        let repeats = r.total(channel: 1).repeats
        #expect(repeats > 10)
        // Each repeat joined an existing case rather than opening one.
        let stats = run.engine.stats(at: Instant(microseconds: 0))
        #expect(stats.cases <= r.contacts - repeats)
    }

    /// The report renders as JSON with the documented keys, as CSV, and as an SVG chart.
    @Test func reportRendersJSONCSVAndSVG() throws {
        let report = try Simulator(scenario: try Self.scenario(Self.small)).run()
        let json = report.json.render()
        for key in ["\"channels\"", "\"service_level\"", "\"asa_seconds\"", "\"max_queue\"", "\"occupancy\"", "\"ci95\"", "\"seed\":\"5\""] {
            #expect(json.contains(key), "missing \(key)")
        }
        let lines = report.csv.split(separator: "\n")
        #expect(lines.first?.hasPrefix("channel,interval,start,offered") == true)
        #expect(lines.count == 1 + 2 * (4 + 1))
        let svg = report.svg
        #expect(svg.hasPrefix("<?xml") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
        #expect(report.table.contains("voice: target 80/20"))
    }
}

@Suite struct StaffingPlannerTests {
    /// The planner's roster meets the target in every interval, and taking one agent away from an
    /// interval that needed any breaks it there (it is the fewest, up to the search's noise).
    @Test func plansTheFewestAgentsMeetingTheTarget() throws {
        let s = try Scenario.load(yaml: """
            seed: 12
            replications: 2
            warm_up: 15m
            interval: 30m
            duration: 1h
            channels:
              voice:
                arrivals: {per_hour: [40, 90]}
                handle_time: {distribution: exponential, mean: 120}
                service_level: {target: 80%, within: 20}
            agents: [{group: a, count: 1}]
            """)
        var policy = Policy()
        policy.routing.wrapUp = PerChannel(voice: .zero, chat: .zero, email: .zero, social: .zero)
        let simulator = try Simulator(scenario: s, policy: policy)
        let plan = try StaffingPlanner(simulator: simulator, maxAbandon: nil).plan()
        #expect(plan.unreachable.isEmpty)
        #expect(plan.report.misses().isEmpty)
        #expect(plan.staffing[0][1] > plan.staffing[0][0])  // more calls, more agents
        // One fewer in the first interval misses its target.
        var fewer = plan.staffing
        fewer[0][0] -= 1
        let worse = try simulator.run(staffing: fewer, throughInterval: 0)
        #expect(worse.meets(channel: 0, interval: 0) == false)
    }

    /// Erlang's estimate is the starting point: close to the plan for a plain M/M/c.
    @Test func erlangEstimateStartsTheSearch() throws {
        let s = try Scenario.load(yaml: """
            interval: 1h
            duration: 1h
            channels:
              voice: {arrivals: {per_hour: 720}, handle_time: 240, service_level: 80/20}
            agents: [{group: a, count: 1}]
            """)
        var policy = Policy()
        policy.routing.wrapUp = PerChannel(voice: .zero, chat: .zero, email: .zero, social: .zero)
        let estimate = try StaffingPlanner(simulator: try Simulator(scenario: s, policy: policy), maxAbandon: nil).erlangEstimate()
        #expect(estimate == [54])
    }
}

@Suite struct EngineAcceptanceTests {
    /// The engine accepting each offer as it makes it (the simulator's fast path) gives the same
    /// run, to the last count, as the simulator accepting on reading each `contactOffered` event;
    /// routing one-off customers without a case of their own gives the same run as opening one for
    /// each; and naming a customer only when its contact's outcome sends it back gives the same run
    /// as naming it on arrival: with repeat customers, abandonment, wrap-up and a roster that
    /// shrinks and grows.
    @Test(arguments: [
        // More come back after abandoning: customers are named late when their contact is abandoned.
        "{after_abandoned: 40%, after_answered: 10%, delay: {distribution: uniform, min: 5m, max: 30m}}",
        // More come back after an answer: named late on completion, with the agent who handled the
        // contact, whom affinity then prefers for the customer's next contact.
        "{after_abandoned: 5%, after_answered: 45%, delay: {distribution: uniform, min: 2m, max: 20m}}",
    ])
    func engineShortcutsChangeNothing(repeats: String) throws {
        let s = try Scenario.load(yaml: """
            seed: 12
            replications: 2
            warm_up: 10m
            interval: 15m
            duration: 2h
            mix: {languages: {en: 0.7, de: 0.3}, skills: {billing: 2, tech: 1}, topics: {order: 2, refund: 1}}
            channels:
              voice:
                arrivals: {per_hour: 150, surges: [{kind: spike, at: "00:30", duration: 15m, multiplier: 2}]}
                handle_time: {distribution: lognormal, mean: 200, sd: 100}
                patience: {distribution: exponential, mean: 60}
              chat:
                arrivals: {per_hour: 120}
                handle_time: {distribution: exponential, mean: 300}
                patience: {distribution: exponential, mean: 200}
            repeat_contacts: \(repeats)
            agents:
              - {group: a, staffing: [6, 3, 8, 5, 7, 2, 6, 6], languages: [en], skills: {billing: 6, tech: 3}}
              - {group: b, staffing: [3, 5, 2, 4, 4, 6, 3, 3], capacity: 100, languages: [en, de], skills: {tech: 8, billing: 2}}
            """)
        let fast = try Simulator(scenario: s)
        var plain = try Simulator(scenario: s)
        plain.engineAcceptsOffers = false
        var recorded = try Simulator(scenario: s)
        recorded.engineRecordsEveryContact = true
        var early = try Simulator(scenario: s)
        early.identifiesLate = false
        let a = try fast.run()
        for b in [try plain.run(), try recorded.run(), try early.run()] {
            for r in 0..<2 {
                #expect(a.results[r].cells == b.results[r].cells)
                #expect(a.results[r].busyUnitSeconds == b.results[r].busyUnitSeconds)
                #expect(a.results[r].capacityUnitSeconds == b.results[r].capacityUnitSeconds)
                #expect(a.results[r].contacts == b.results[r].contacts)
            }
        }
        #expect(a.results[0].total(channel: 0).abandoned > 0)
        #expect(a.results[0].total(channel: 0).repeats > 0)
    }
}

@Suite struct RosterTests {
    /// When the roster shrinks, busy agents finish their contact (and wrap-up) before logging out,
    /// and take nothing new meanwhile; the engine ends the run with exactly the rostered agents on.
    @Test func busyAgentsFinishBeforeLeavingAShift() throws {
        let s = try Scenario.load(yaml: """
            seed: 8
            interval: 30m
            duration: 1h
            channels:
              voice: {arrivals: {per_hour: 200}, handle_time: {distribution: fixed, value: 600}}
            agents: [{group: a, staffing: [6, 2]}]
            """)
        let simulator = try Simulator(scenario: s)
        var run = try Replication(simulator: simulator, index: 0, staffing: s.staffing, intervals: s.intervalCount)
        let r = try run.execute()
        #expect(run.agents.filter(\.loggedIn).count == 2)
        #expect(run.agents.allSatisfy { !$0.leaving })
        // Leavers kept their capacity logged in while finishing: more than 2 agents' worth in interval 2.
        #expect(r.capacityUnitSeconds[1] > 2 * 100 * 1800)
        #expect(r.capacityUnitSeconds[1] < 6 * 100 * 1800)
        let states = run.engine.stats(at: Instant(microseconds: 0)).routing.agentsByState
        #expect((states[.offline] ?? 0) == run.agents.count - 2)
    }

    /// In a centre that never runs out of work every logged-in unit is busy, handling or wrapping
    /// up, so busy and logged-in unit-seconds are equal in every interval: also while agents
    /// rostered off finish their contact and its wrap-up. A leaver logged out before its wrap-up
    /// ended would push occupancy over 1; one kept on after it, or a wrap-up left out of the
    /// figures, below.
    @Test func wrapUpCountsAsBusyUntilALeaverLogsOut() throws {
        let s = try Scenario.load(yaml: """
            seed: 5
            interval: 20m
            duration: 2h
            warm_up: 20m
            channels:
              voice: {arrivals: {per_hour: 300}, handle_time: {distribution: lognormal, mean: 300, sd: 120}}
            agents: [{group: a, staffing: [8, 5, 7, 3, 3, 6]}]
            """)
        var policy = Policy()
        policy.routing.wrapUp = PerChannel(voice: .seconds(137), chat: .zero, email: .zero, social: .zero)
        let r = try Simulator(scenario: s, policy: policy).runReplication(0)
        for i in 0..<6 {
            #expect(r.capacityUnitSeconds[i] > 0)
            #expect(abs(r.busyUnitSeconds[i] - r.capacityUnitSeconds[i]) < 1e-6 * r.capacityUnitSeconds[i], "interval \(i)")
        }
    }
}
