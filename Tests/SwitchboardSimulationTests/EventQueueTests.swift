import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

@Suite struct EventQueueTests {
    /// Events come out earliest first, and those at the same microsecond in the order they were
    /// scheduled, however pushes and pops interleave (many equal times, so ties are common).
    @Test func popsByTimeThenSchedulingOrder() {
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            var queue = EventQueue(reserve: 4)
            var pending: [(time: Int64, order: Int32)] = []
            var now: Int64 = 0
            var order: Int32 = 0
            var wrong = 0
            for _ in 0..<2_000 {
                if rng.next() % 3 != 0 || pending.isEmpty {
                    let t = now + Int64(rng.next() % 50)
                    queue.push(time: t, kind: .completion, a: order)
                    pending.append((t, order))
                    order += 1
                } else {
                    // The reference: the earliest time, and among equals the first scheduled.
                    let best = pending.indices.min { pending[$0].time != pending[$1].time ? pending[$0].time < pending[$1].time : pending[$0].order < pending[$1].order }!
                    let expected = pending.remove(at: best)
                    guard let e = queue.pop() else { wrong += 1; break }
                    if e.time != expected.time || e.a != expected.order { wrong += 1 }
                    now = e.time
                }
            }
            while let e = queue.pop() {
                let best = pending.indices.min { pending[$0].time != pending[$1].time ? pending[$0].time < pending[$1].time : pending[$0].order < pending[$1].order }!
                let expected = pending.remove(at: best)
                if e.time != expected.time || e.a != expected.order { wrong += 1 }
            }
            #expect(wrong == 0, "seed \(seed)")
            #expect(pending.isEmpty)
        }
    }

    /// Dropping events from the heap (stale patience timers) leaves the rest to come out in the
    /// same order: earliest first, ties in scheduling order.
    @Test func removingEventsKeepsTheOrderOfTheRest() {
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            var queue = EventQueue(reserve: 4)
            var pending: [(time: Int64, order: Int32)] = []
            for order in Int32(0)..<3_000 {
                let t = Int64(rng.next() % 500)
                queue.push(time: t, kind: order % 3 == 0 ? .patience : .completion, a: order)
                pending.append((t, order))
            }
            // Drop the patience events with odd numbers.
            queue.removeAll { $0.kind == .patience && $0.a % 2 == 1 }
            pending.removeAll { $0.order % 3 == 0 && $0.order % 2 == 1 }
            pending.sort { $0.time != $1.time ? $0.time < $1.time : $0.order < $1.order }
            var popped: [(time: Int64, order: Int32)] = []
            while let e = queue.pop() { popped.append((e.time, e.a)) }
            #expect(popped.count == pending.count, "seed \(seed)")
            #expect(zip(popped, pending).allSatisfy { $0.time == $1.time && $0.order == $1.order }, "seed \(seed)")
        }
    }
}

@Suite struct AgentLookupTests {
    /// Every rostered name, short or long, finds its own index; a name not on the roster finds none.
    @Test func findsEachAgentByName() throws {
        let scenario = try Scenario.load(yaml: """
            channels: {voice: {arrivals: {per_hour: 10}, handle_time: {distribution: fixed, value: 60}}}
            agents:
              - {group: a, count: 1}
              - {group: a-team-with-a-long-name-for-the-hash-tail, count: 1}
            """)
        var run = try Replication(simulator: try Simulator(scenario: scenario), index: 0, staffing: scenario.staffing,
                                  intervals: scenario.intervalCount)
        for _ in 0..<3_000 { run.addAgent(group: 0) }
        for _ in 0..<3_000 { run.addAgent(group: 1) }
        var wrong = 0
        for (i, agent) in run.agents.enumerated() where run.agentIndex.find(agent.id, agents: run.agents) != Int32(i) { wrong += 1 }
        #expect(wrong == 0)
        #expect(run.agentIndex.find(AgentID("a-0"), agents: run.agents) == nil)
        #expect(run.agentIndex.find(AgentID("nobody"), agents: run.agents) == nil)
    }
}
