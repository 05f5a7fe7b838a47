import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

@Suite struct EventQueueTests {
    /// Events come out earliest first, and those at the same microsecond in the order they were
    /// scheduled, however pushes and pops interleave (many equal times, so ties are common).
    @Test func popsByTimeThenSchedulingOrder() {
        for seed in UInt64(1)...20 {
            var rng = SplitMix64(seed: seed)
            var queue = EventQueue(reserve: 4)
            var pending: [(time: Int64, order: Int32)] = []
            var now: Int64 = 0
            var order: Int32 = 0
            var wrong = 0
            for _ in 0..<3_000 {
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
}
