import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

@Suite struct EventQueueTests {
    /// The reference: the earliest time, and among equals the first scheduled.
    static func earliest(_ pending: [(time: Int64, order: Int32)]) -> Int {
        pending.indices.min { pending[$0].time != pending[$1].time ? pending[$0].time < pending[$1].time : pending[$0].order < pending[$1].order }!
    }

    /// Calendars small enough that the events of a test spread over the current bucket, the ring
    /// and the far heap (and one of the size the simulator uses).
    static let geometries: [(shift: Int, buckets: Int)] = [(20, 4096), (0, 1), (2, 4), (3, 16), (5, 64)]

    /// Events come out earliest first, and those at the same microsecond in the order they were
    /// scheduled, however pushes and pops interleave (many equal times, so ties are common; some
    /// pushed for a moment before the bucket the queue has moved on to).
    @Test(arguments: geometries)
    func popsByTimeThenSchedulingOrder(shift: Int, buckets: Int) {
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            var queue = EventQueue(reserve: 4, bucketShift: shift, buckets: buckets)
            var pending: [(time: Int64, order: Int32)] = []
            var now: Int64 = 0
            var order: Int32 = 0
            var wrong = 0
            for _ in 0..<2_000 {
                if rng.next() % 3 != 0 || pending.isEmpty {
                    let t = now + Int64(rng.next() % (rng.next() % 4 == 0 ? 2_000 : 50))
                    queue.push(time: t, kind: .completion, a: order)
                    pending.append((t, order))
                    order += 1
                } else {
                    let best = Self.earliest(pending)
                    let expected = pending.remove(at: best)
                    guard let e = queue.pop() else { wrong += 1; break }
                    if e.time != expected.time || e.a != expected.order { wrong += 1 }
                    now = e.time
                }
            }
            while let e = queue.pop() {
                let best = Self.earliest(pending)
                let expected = pending.remove(at: best)
                if e.time != expected.time || e.a != expected.order { wrong += 1 }
            }
            #expect(wrong == 0, "seed \(seed)")
            #expect(pending.isEmpty)
            #expect(queue.count == 0 && queue.top == nil)
        }
    }

    /// Dropping events from the heap (stale patience timers) leaves the rest to come out in the
    /// same order: earliest first, ties in scheduling order.
    @Test(arguments: geometries)
    func removingEventsKeepsTheOrderOfTheRest(shift: Int, buckets: Int) {
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            var queue = EventQueue(reserve: 4, bucketShift: shift, buckets: buckets)
            var pending: [(time: Int64, order: Int32)] = []
            for order in Int32(0)..<3_000 {
                let t = Int64(rng.next() % 5_000)
                queue.push(time: t, kind: order % 3 == 0 ? .patience : .completion, a: order)
                pending.append((t, order))
            }
            // Take the first few out, so the queue has moved on, then drop the patience events
            // with odd numbers.
            for _ in 0..<100 {
                guard let e = queue.pop() else { break }
                let first = Self.earliest(pending)
                #expect(e.a == pending.remove(at: first).order)
            }
            queue.removeAll { $0.kind == .patience && $0.a % 2 == 1 }
            pending.removeAll { $0.order % 3 == 0 && $0.order % 2 == 1 }
            pending.sort { $0.time != $1.time ? $0.time < $1.time : $0.order < $1.order }
            var popped: [(time: Int64, order: Int32)] = []
            #expect(queue.count == pending.count)
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
