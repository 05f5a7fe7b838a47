/// A hash map keyed by 64-bit ids (contact, case, customer numbers), for hot paths that look an id
/// up several times per contact.
///
/// Why not `Dictionary`: its per-process-seeded SipHash costs more than everything else a lookup
/// does, and our keys are engine-assigned counters, not attacker-chosen strings, so hash flooding
/// is not a risk worth paying for. Fibonacci hashing (one multiply, one shift) spreads sequential
/// ids evenly over the table; linear probing keeps a lookup to one or two adjacent slots; removal
/// shifts later entries of the run back (no tombstones), so a table that sees millions of inserts
/// and removals stays as fast as a fresh one. The load factor stays at or below 1/2.
///
/// Iteration order is unspecified (as with `Dictionary`); nothing may depend on it.
public struct UInt64Map<Value>: Sendable where Value: Sendable {
    @usableFromInline
    struct Slot: Sendable {
        /// The key plus one; 0 marks an empty slot (so `UInt64.max` is kept aside in `maxKeyValue`).
        @usableFromInline var tag: UInt64
        @usableFromInline var value: Value?

        @inlinable init(tag: UInt64, value: Value?) {
            self.tag = tag
            self.value = value
        }
    }

    @usableFromInline var slots: [Slot]
    /// 64 − log2(slots.count): the shift that turns the product into a slot index.
    @usableFromInline var shift: UInt64
    @usableFromInline var mask: Int
    /// Entries in `slots` (not counting `maxKeyValue`).
    @usableFromInline var stored: Int
    /// The value for key `UInt64.max`, which has no tag of its own.
    @usableFromInline var maxKeyValue: Value?

    @inlinable public init() {
        self.init(minimumCapacity: 0)
    }

    /// Room for `minimumCapacity` entries before the table grows.
    @inlinable public init(minimumCapacity: Int) {
        let size = Self.tableSize(for: minimumCapacity)
        slots = Array(repeating: Slot(tag: 0, value: nil), count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        mask = size - 1
        stored = 0
        maxKeyValue = nil
    }

    /// Power of two, at least 8, with `count` at most half full.
    @inlinable
    static func tableSize(for count: Int) -> Int {
        var size = 8
        while size / 2 < count { size *= 2 }
        return size
    }

    @inlinable public var count: Int { stored + (maxKeyValue == nil ? 0 : 1) }
    @inlinable public var isEmpty: Bool { count == 0 }

    /// Grows the table (once) so `minimumCapacity` entries fit without rehashing.
    @inlinable public mutating func reserveCapacity(_ minimumCapacity: Int) {
        if Self.tableSize(for: minimumCapacity) > slots.count { rehash(to: Self.tableSize(for: minimumCapacity)) }
    }

    @inlinable @inline(__always)
    func home(_ tag: UInt64) -> Int {
        Int(truncatingIfNeeded: (tag &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `key`, or nil. Never called for `UInt64.max`.
    @inlinable
    func find(_ tag: UInt64) -> Int? {
        slots.withUnsafeBufferPointer { s in
            var i = home(tag)
            while true {
                let t = s[i].tag
                if t == tag { return i }
                if t == 0 { return nil }
                i = (i + 1) & mask
            }
        }
    }

    public subscript(key: UInt64) -> Value? {
        @inlinable get {
            if key == .max { return maxKeyValue }
            guard let i = find(key &+ 1) else { return nil }
            return slots[i].value
        }
        @inlinable set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Inserts or replaces; returns the old value.
    @inlinable @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: UInt64) -> Value? {
        if key == .max {
            defer { maxKeyValue = value }
            return maxKeyValue
        }
        let tag = key &+ 1
        if let i = find(tag) {
            let old = slots[i].value
            slots[i].value = value
            return old
        }
        if (stored + 1) * 2 > slots.count { rehash(to: slots.count * 2) }
        insertNew(tag: tag, value: value)
        return nil
    }

    /// Changes the value for `key` in place, if present; returns what `body` returns, or nil.
    @inlinable
    public mutating func modify<R>(_ key: UInt64, _ body: (inout Value) -> R) -> R? {
        if key == .max {
            guard var v = maxKeyValue else { return nil }
            let r = body(&v)
            maxKeyValue = v
            return r
        }
        guard let i = find(key &+ 1) else { return nil }
        return slots.withUnsafeMutableBufferPointer { s -> R? in
            // Present slots always hold a value.
            guard var v = s[i].value else { return nil }
            s[i].value = nil
            let r = body(&v)
            s[i].value = v
            return r
        }
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey key: UInt64) -> Value? {
        if key == .max {
            defer { maxKeyValue = nil }
            return maxKeyValue
        }
        guard let found = find(key &+ 1) else { return nil }
        let m = mask
        let sh = shift
        stored -= 1
        return slots.withUnsafeMutableBufferPointer { s -> Value? in
            let old = s[found].value
            // Backward-shift deletion: move each later entry of the run into the hole when its home
            // is not between the hole and itself (cyclically), so every lookup still finds it.
            var hole = found
            var j = (found + 1) & m
            while s[j].tag != 0 {
                let h = Int(truncatingIfNeeded: (s[j].tag &* 0x9E37_79B9_7F4A_7C15) >> sh)
                let distanceToJ = (j - h) & m
                let distanceToHole = (hole - h) & m
                if distanceToHole < distanceToJ {
                    s[hole] = s[j]
                    hole = j
                }
                j = (j + 1) & m
            }
            s[hole] = Slot(tag: 0, value: nil)
            return old
        }
    }

    @inlinable public mutating func removeAll(keepingCapacity: Bool = false) {
        if keepingCapacity {
            for i in slots.indices { slots[i] = Slot(tag: 0, value: nil) }
        } else {
            self = Self()
        }
        stored = 0
        maxKeyValue = nil
    }

    /// Every key and value, in no particular order.
    @inlinable public var entries: [(key: UInt64, value: Value)] {
        var out: [(key: UInt64, value: Value)] = []
        out.reserveCapacity(count)
        for s in slots where s.tag != 0 {
            if let v = s.value { out.append((s.tag &- 1, v)) }
        }
        if let v = maxKeyValue { out.append((.max, v)) }
        return out
    }

    @inlinable mutating func insertNew(tag: UInt64, value: Value) {
        let m = mask
        var i = home(tag)
        slots.withUnsafeMutableBufferPointer { s in
            while s[i].tag != 0 { i = (i + 1) & m }
            s[i] = Slot(tag: tag, value: value)
        }
        stored += 1
    }

    @inlinable mutating func rehash(to size: Int) {
        let old = slots
        slots = Array(repeating: Slot(tag: 0, value: nil), count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        mask = size - 1
        stored = 0
        for s in old where s.tag != 0 {
            if let v = s.value { insertNew(tag: s.tag, value: v) }
        }
    }
}
