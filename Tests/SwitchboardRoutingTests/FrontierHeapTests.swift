import PropertyBased
import Testing

@testable import SwitchboardRouting

@Suite struct FrontierHeapTests {
    /// Inserts and pops in any mix (past the first buffer's room, so it grows) give the least
    /// element each time, as sorting would.
    @Test func popsTheLeastElementWhateverTheMixOfInsertsAndPops() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max).array(of: 0...600)) { ops in
            var heap = FrontierHeap<Int>(capacity: 4)
            heap.reset()
            var reference: [Int] = []
            for v in ops {
                if v % 4 == 0 {
                    let expected = reference.min()
                    if let e = expected { reference.remove(at: reference.firstIndex(of: e)!) }
                    #expect(heap.popMin() == expected)
                } else {
                    heap.insert(v % 1000)
                    reference.append(v % 1000)
                }
                #expect(heap.count == reference.count)
            }
            for e in reference.sorted() { #expect(heap.popMin() == e) }
            #expect(heap.popMin() == nil)
            #expect(heap.isEmpty)
        }
    }

    /// A copy shares the buffer until one of them resets: after that, each writes only its own,
    /// so a router copied mid-search cannot disturb the original's search (value semantics).
    @Test func aCopyThatResetsWritesItsOwnBuffer() {
        var original = FrontierHeap<Int>(capacity: 8)
        original.reset()
        for v in [5, 3, 9, 1] { original.insert(v) }
        var copy = original
        copy.reset()
        for v in [100, 0, 50] { copy.insert(v) }
        #expect(copy.popMin() == 0)
        #expect([original.popMin(), original.popMin(), original.popMin(), original.popMin(), original.popMin()] == [1, 3, 5, 9, nil])
        #expect([copy.popMin(), copy.popMin(), copy.popMin()] == [50, 100, nil])
    }

    /// `reset` empties the heap.
    @Test func resetEmptiesTheHeap() {
        var heap = FrontierHeap<Int>()
        heap.reset()
        for v in 0..<300 { heap.insert(300 - v) }
        heap.reset()
        #expect(heap.isEmpty)
        #expect(heap.popMin() == nil)
        heap.insert(7)
        #expect(heap.popMin() == 7)
    }
}
