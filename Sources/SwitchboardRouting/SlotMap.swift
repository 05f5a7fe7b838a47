import SwitchboardDomain

/// A hash map from a 64-bit id to a table slot, for the lookups on every routing call
/// (contact id → contact slot).
///
/// `Dictionary` hashes with seeded SipHash, which is the right default against hostile keys and
/// costs tens of nanoseconds a lookup. Ids here are assigned by the engine (sequential) or are the
/// server's own, and a slot map is rebuilt from nothing on restart, so a multiplicative (Fibonacci)
/// hash over open addressing with linear probing is enough, and a lookup is a multiply and usually
/// one cache line. Deletion shifts later entries back (no tombstones), so probe runs stay short
/// however long the map lives.
struct SlotMap: Sendable {
    private var keys: [UInt64]
    /// -1: empty.
    private var values: [Int32]
    private var shift: UInt64
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var size = 16
        while size < 2 * minimumCapacity { size *= 2 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    subscript(key: UInt64) -> Int32? {
        @inline(__always) get {
            let mask = keys.count - 1
            var i = home(key)
            while true {
                let v = values[i]
                if v < 0 { return nil }
                if keys[i] == key { return v }
                i = (i + 1) & mask
            }
        }
        set {
            if let newValue { insert(key, newValue) } else { remove(key) }
        }
    }

    /// Grows the table so `capacity` entries fit without rehashing.
    mutating func reserveCapacity(_ capacity: Int) {
        if 2 * capacity > keys.count { rehash(minimumCapacity: capacity) }
    }

    private mutating func insert(_ key: UInt64, _ value: Int32) {
        precondition(value >= 0, "slot map values are table slots (non-negative)")
        if 2 * (count + 1) > keys.count { rehash(minimumCapacity: 2 * (count + 1)) }
        let mask = keys.count - 1
        var i = home(key)
        while values[i] >= 0 {
            if keys[i] == key {
                values[i] = value
                return
            }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        count += 1
    }

    private mutating func remove(_ key: UInt64) {
        let mask = keys.count - 1
        var i = home(key)
        while true {
            if values[i] < 0 { return }
            if keys[i] == key { break }
            i = (i + 1) & mask
        }
        // Backward-shift deletion: pull later members of the probe run into the hole when their
        // home is not between the hole and their position.
        var hole = i
        var j = (i + 1) & mask
        while values[j] >= 0 {
            let h = home(keys[j])
            let distanceToJ = (j &- h) & mask
            let distanceToHole = (hole &- h) & mask
            if distanceToHole <= distanceToJ {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        values[hole] = -1
        count -= 1
    }

    private mutating func rehash(minimumCapacity: Int) {
        var bigger = SlotMap(minimumCapacity: minimumCapacity)
        for i in keys.indices where values[i] >= 0 { bigger.insert(keys[i], values[i]) }
        self = bigger
    }

    /// Every (key, value), in no particular order.
    var entries: [(key: UInt64, value: Int32)] {
        keys.indices.filter { values[$0] >= 0 }.map { (keys[$0], values[$0]) }
    }
}

extension SlotMap {
    subscript(id: ContactID) -> Int32? {
        @inline(__always) get { self[id.rawValue] }
        set { self[id.rawValue] = newValue }
    }
}
