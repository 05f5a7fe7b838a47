import PropertyBased
@testable import SwitchboardDomain
import Testing

@Suite struct SequentialIDMapTests {
    /// Mostly rising ids, with stragglers left behind, old ids revisited and now and then a jump far
    /// ahead: the map always holds exactly what a `Dictionary` holds, whether an entry sits in the
    /// ring or was moved aside.
    @Test func behavesLikeADictionary() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max).array(of: 1...600)) { ops in
            var map = SequentialIDMap<Int>()
            var reference: [UInt64: Int] = [:]
            var next: UInt64 = 1
            for v in ops {
                let pick = UInt64(truncatingIfNeeded: v >> 4)
                // A recent id, an old one, or the next from the counter.
                let key: UInt64
                switch (v >> 1) % 8 {
                case 0: key = next > 1 ? pick % (next - 1) + 1 : 1
                case 1: key = next > 40 ? next - 1 - pick % 40 : next
                case 2 where pick % 50 == 0:
                    next += 1 + pick % 5_000
                    key = next
                default:
                    key = next
                    next += 1
                }
                switch v & 7 {
                case 0, 1, 2, 3:
                    #expect(map.updateValue(v, forKey: key) == reference.updateValue(v, forKey: key))
                case 4, 5:
                    #expect(map.removeValue(forKey: key) == reference.removeValue(forKey: key))
                case 6:
                    let a = map.modify(key) { $0 += 1; return $0 }
                    var b: Int?
                    if let old = reference[key] { reference[key] = old + 1; b = old + 1 }
                    #expect(a == b)
                default:
                    #expect(map[key] == reference[key])
                }
            }
            #expect(map.count == reference.count)
            for (k, v) in reference { #expect(map[k] == v) }
            let listed = Dictionary(uniqueKeysWithValues: map.entries.map { ($0.key, $0.value) })
            #expect(listed == reference)
        }
    }

    /// Contacts that finish in order keep the ring small; one that stays behind does not make it
    /// grow with the span of ids, it moves aside and is still found.
    @Test func aStragglerDoesNotGrowTheRing() {
        var map = SequentialIDMap<UInt64>()
        map[1] = 1
        var wrong = 0
        for id in UInt64(2)...100_000 {
            map[id] = id
            if id > 20, id - 20 != 1, map.removeValue(forKey: id - 20) != id - 20 { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(map[1] == 1)
        #expect(map.count == 21)
        #expect(map.ring.count <= 64)
    }
}
