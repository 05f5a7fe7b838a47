import PropertyBased
import Testing

@testable import SwitchboardRouting

@Suite struct SlotMapTests {
    /// Any sequence of inserts, overwrites and removals leaves the map holding exactly what a
    /// Dictionary would (backward-shift deletion must not lose a member of a probe run).
    @Test func behavesLikeADictionary() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max).array(of: 0...600)) { ops in
            var map = SlotMap(minimumCapacity: 4)
            var reference: [UInt64: Int32] = [:]
            for v in ops {
                // Few distinct keys, so removals hit and probe runs collide; some keys share a home.
                let key = UInt64((v >> 3) % 97) &* (v % 2 == 0 ? 1 : 1 << 40)
                if v % 5 == 0 {
                    map[key] = nil
                    reference[key] = nil
                } else {
                    let value = Int32((v >> 12) % 1000)
                    map[key] = value
                    reference[key] = value
                }
                #expect(map.count == reference.count)
            }
            for key in reference.keys { #expect(map[key] == reference[key]) }
            for k in 0..<97 { #expect(map[UInt64(k)] == reference[UInt64(k)]) }
            #expect(Dictionary(uniqueKeysWithValues: map.entries.map { ($0.key, $0.value) }) == reference)
        }
    }
}
