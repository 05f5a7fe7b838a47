import PropertyBased
import SwitchboardDomain
import Testing

@Suite struct UInt64MapTests {
    /// Any sequence of inserts, replacements and removals leaves the map holding exactly what a
    /// `Dictionary` holds (keys from a small range, so runs collide and removals shift entries back).
    @Test func behavesLikeADictionary() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max).array(of: 1...400)) { ops in
            var map = UInt64Map<Int>()
            var reference: [UInt64: Int] = [:]
            for v in ops {
                let raw = UInt64(truncatingIfNeeded: v >> 3) % 97
                // Now and then the one key that has no tag of its own.
                let key = raw == 96 ? UInt64.max : raw &* 1_024
                switch v & 7 {
                case 0, 1, 2:
                    #expect(map.updateValue(v, forKey: key) == reference.updateValue(v, forKey: key))
                case 3, 4:
                    #expect(map.removeValue(forKey: key) == reference.removeValue(forKey: key))
                case 5:
                    map[key] = nil
                    reference[key] = nil
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
            for k in reference.keys { #expect(map[k] == reference[k]) }
            let listed = Dictionary(uniqueKeysWithValues: map.entries.map { ($0.key, $0.value) })
            #expect(listed == reference)
        }
    }

    /// Two hundred thousand sequential ids in, most of them out in arrival order, as the engine's live
    /// contacts go: every survivor is still found and every removed id is gone.
    @Test func keepsFindingSurvivorsThroughChurn() {
        var map = UInt64Map<UInt64>(minimumCapacity: 16)
        var wrongRemovals = 0
        for id in UInt64(1)...200_000 {
            map[id] = id * 3
            if id > 50, (id - 50) % 7 != 0, map.removeValue(forKey: id - 50) != (id - 50) * 3 { wrongRemovals += 1 }
        }
        #expect(wrongRemovals == 0)
        var wrongLookups = 0
        for id in UInt64(1)...200_000 {
            let kept = id > 199_950 || id % 7 == 0
            if map[id] != (kept ? id * 3 : nil) { wrongLookups += 1 }
        }
        #expect(wrongLookups == 0)
        #expect(map.count == (1...199_950).filter { $0 % 7 == 0 }.count + 50)
    }
}
