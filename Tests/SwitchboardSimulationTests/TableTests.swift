import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

@Suite struct TableTests {
    /// Appends past every capacity it grows through keep what was there, and writes in place
    /// land where an array's would (a random mix of both, checked against an array).
    @Test func growsAndWritesLikeAnArray() {
        var rng = SplitMix64(seed: 3)
        var table = Table<Int64>(capacity: 1)
        var reference: [Int64] = []
        for _ in 0..<5_000 {
            if reference.isEmpty || rng.next() % 3 == 0 {
                let v = Int64(bitPattern: rng.next())
                table.append(v)
                reference.append(v)
            } else {
                let i = Int(rng.next() % UInt64(reference.count))
                table[i] &+= 7
                reference[i] &+= 7
            }
        }
        #expect(table.count == reference.count)
        #expect(table.array(0..<table.count) == reference)
        #expect(table.array(10..<20) == Array(reference[10..<20]))
    }

    /// A field of an element is written in place, and `reserveCapacity` keeps the contents.
    @Test func fieldWritesAndReservingKeepContents() {
        var table = Table(repeating: CellCounts(), count: 3)
        table[1].offered += 2
        table[1].maxWait = 4.5
        table.reserveCapacity(1_000)
        #expect(table.count == 3)
        #expect(table[1].offered == 2 && table[1].maxWait == 4.5)
        #expect(table[0] == CellCounts() && table[2] == CellCounts())
        #expect(table.address(of: 3) == nil && table.address(of: 2) != nil)
    }

    /// Removing the last, removing by a test and appending an array leave what an array would.
    @Test func removalsAndAppendingAnArrayMatchAnArray() {
        var table = Table<Int>(capacity: 2)
        var reference: [Int] = []
        for v in 0..<50 {
            table.append(v)
            reference.append(v)
        }
        #expect(table.removeLast() == reference.removeLast())
        table.removeAll { $0 % 3 == 0 }
        reference.removeAll { $0 % 3 == 0 }
        table.append(contentsOf: [7, 8, 9])
        reference.append(contentsOf: [7, 8, 9])
        #expect(table.array(0..<table.count) == reference)
        #expect(Array(table.elementsBuffer) == reference)
        while !table.isEmpty { table.removeLast() }
        #expect(table.count == 0)
    }

    /// The documented difference from an array: a copy is the same table.
    @Test func aCopyIsTheSameTable() {
        let table = Table(repeating: 0, count: 2)
        let copy = table
        copy[0] = 9
        #expect(table[0] == 9)
    }
}
