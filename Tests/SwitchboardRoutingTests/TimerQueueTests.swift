import PropertyBased
import SwitchboardDomain
import Testing

@testable import SwitchboardRouting

@Suite struct TimerQueueTests {
    /// Timers come out in (deadline, sequence) order whatever lane they were put in and whether or
    /// not a lane's deadlines arrive in order: the same order one heap over all timers would give.
    @Test func timersComeOutInDeadlineThenSequenceOrder() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max).array(of: 0...300)) { ops in
            var queue = TimerQueue(laneCount: 4)
            var reference: [TimerEntry] = []
            var out: [TimerEntry] = []
            var expected: [TimerEntry] = []
            var seq: UInt64 = 0
            var clock: Int64 = 0
            for v in ops {
                if v % 3 == 0 {
                    // Take the earliest.
                    if let first = reference.min() {
                        reference.remove(at: reference.firstIndex(of: first)!)
                        expected.append(first)
                        out.append(queue.min!)
                        queue.popMin()
                    } else {
                        #expect(queue.min == nil)
                    }
                } else {
                    seq += 1
                    clock += Int64((v >> 4) % 5)
                    // Mostly in order per lane; one in four goes back in time.
                    let at = (v >> 8) % 4 == 0 ? clock - Int64((v >> 12) % 50) : clock + Int64((v >> 2) % 3) * 10
                    let t = TimerEntry(at: Instant(microseconds: at), seq: seq, kind: .offerTimeout, slot: 0, version: 0, ident: 0, units: 0)
                    reference.append(t)
                    queue.insert(t, lane: (v >> 20) % 5)
                }
                #expect(queue.count == reference.count)
            }
            while let first = reference.min() {
                reference.remove(at: reference.firstIndex(of: first)!)
                expected.append(first)
                out.append(queue.min!)
                queue.popMin()
            }
            #expect(queue.min == nil)
            #expect(out.map(\.seq) == expected.map(\.seq))
        }
    }
}
