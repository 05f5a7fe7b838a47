import CPrefetch

/// A map for ids handed out by a counter (contact numbers), where most live entries are recent:
/// a ring indexed by the id itself for the newest ids, and a `UInt64Map` for the few old ones.
///
/// Why: contacts are numbered in arrival order and most finish within minutes, so the live ones
/// are nearly all among the last few thousand ids. In the ring a new contact goes next to the
/// previous one (the cache line is already there) and a lookup is a subtraction, a compare and
/// one load; a hash table, however cheap its hash, puts each new id on a cold cache line. A
/// contact that stays long (an email waiting for hours) moves to the side table when the ring
/// needs its slot; the ring doubles instead when more than half of it is live, so its size follows
/// the number of live entries, not the span of their ids.
///
/// Any `UInt64` key works (old, new, far ahead); only the speed assumes a counter.
public struct SequentialIDMap<Value>: Sendable where Value: Sendable {
    /// Slot `k & mask` holds key `k` for `base ≤ k < base + ring.count`.
    @usableFromInline var ring: [Value?]
    @usableFromInline var mask: Int
    @usableFromInline var base: UInt64
    @usableFromInline var inRing: Int
    /// Keys below `base` (and none in the ring's range).
    @usableFromInline var older: UInt64Map<Value>

    @inlinable public init() {
        self.init(minimumCapacity: 0)
    }

    /// Room for `minimumCapacity` consecutive live ids before the ring grows or moves any aside.
    @inlinable public init(minimumCapacity: Int) {
        var size = 64
        while size < minimumCapacity { size *= 2 }
        ring = Array(repeating: nil, count: size)
        mask = size - 1
        base = 0
        inRing = 0
        older = UInt64Map()
    }

    @inlinable public var count: Int { inRing + older.count }
    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable public mutating func reserveCapacity(_ minimumCapacity: Int) {
        var size = ring.count
        while size < minimumCapacity { size *= 2 }
        if size > ring.count { regrow(to: size) }
    }

    public subscript(key: UInt64) -> Value? {
        @inlinable get {
            if key &- base < UInt64(ring.count) { return ring[Int(truncatingIfNeeded: key) & mask] }
            return older[key]
        }
        @inlinable set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Starts loading into cache the place where `key` would be found, without reading it (a
    /// hint for a caller that will look it up shortly; see `Router.prefetch(slot:contact:)`).
    @inlinable public func prefetch(_ key: UInt64) {
        guard key &- base < UInt64(ring.count) else { return }
        ring.withUnsafeBufferPointer { r in
            if let start = r.baseAddress { sb_prefetch(start + (Int(truncatingIfNeeded: key) & mask)) }
        }
    }

    /// Inserts or replaces; returns the old value.
    @inlinable @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: UInt64) -> Value? {
        if key < base { return older.updateValue(value, forKey: key) }
        if key - base >= UInt64(ring.count) { makeRoom(for: key) }
        let i = Int(truncatingIfNeeded: key) & mask
        let old = ring[i]
        ring[i] = value
        if old == nil { inRing += 1 }
        return old
    }

    /// Changes the value for `key` in place, if present; returns what `body` returns, or nil.
    @inlinable
    public mutating func modify<R>(_ key: UInt64, _ body: (inout Value) -> R) -> R? {
        if key &- base < UInt64(ring.count) {
            let i = Int(truncatingIfNeeded: key) & mask
            return ring.withUnsafeMutableBufferPointer { r -> R? in
                guard var v = r[i] else { return nil }
                r[i] = nil
                let result = body(&v)
                r[i] = v
                return result
            }
        }
        return older.modify(key, body)
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey key: UInt64) -> Value? {
        if key &- base < UInt64(ring.count) {
            let i = Int(truncatingIfNeeded: key) & mask
            guard let old = ring[i] else { return nil }
            ring[i] = nil
            inRing -= 1
            return old
        }
        return older.removeValue(forKey: key)
    }

    /// Every key and value, in no particular order.
    @inlinable public var entries: [(key: UInt64, value: Value)] {
        var out = older.entries
        out.reserveCapacity(count)
        for offset in 0..<UInt64(ring.count) {
            let key = base &+ offset
            if let v = ring[Int(truncatingIfNeeded: key) & mask] { out.append((key, v)) }
        }
        return out
    }

    /// Moves the ring forward so `key` fits, an eighth of a ring ahead of need: doubles it if more
    /// than half is live, else moves the entries that fall off its bottom to `older`. A counter's
    /// new ids then move it once per `ring.count / 8` ids rather than at every one.
    @inlinable
    mutating func makeRoom(for key: UInt64) {
        while inRing * 2 > ring.count && key - base >= UInt64(ring.count) {
            regrow(to: ring.count * 2)
        }
        guard key - base >= UInt64(ring.count) else { return }
        let newBase = key - UInt64(ring.count - ring.count / 8) + 1
        let leaving = min(newBase - base, UInt64(ring.count))
        var k = base
        let end = base &+ leaving
        while k != end && inRing > 0 {
            let i = Int(truncatingIfNeeded: k) & mask
            if let v = ring[i] {
                ring[i] = nil
                inRing -= 1
                older.updateValue(v, forKey: k)
            }
            k &+= 1
        }
        base = newBase
    }

    @inlinable
    mutating func regrow(to size: Int) {
        var grown = [Value?](repeating: nil, count: size)
        let newMask = size - 1
        for offset in 0..<UInt64(ring.count) {
            let key = base &+ offset
            if let v = ring[Int(truncatingIfNeeded: key) & mask] { grown[Int(truncatingIfNeeded: key) & newMask] = v }
        }
        ring = grown
        mask = newMask
    }
}
