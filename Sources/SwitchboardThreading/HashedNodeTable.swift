/// A record that carries its own hash, computed once when it was made (see `Identifier.hashCode`).
protocol HashedNode: Sendable {
    var hashCode: Int { get }
}

/// Records in arrival order plus an open-addressing index over them: the directory's identifier
/// and Message-ID tables.
///
/// Why not `Dictionary`: at a million customers every lookup is a cache miss, and `Dictionary`
/// pays several (its occupancy bitmap, the key array, the value array, then the key's text), plus
/// a SipHash of the key's stored hash on every probe. Here a slot is one 8-byte word (32 bits of
/// the hash and the record's number, plus a 4-byte hint beside it), so a probe is one miss into a compact array, a wrong slot is
/// rejected without touching the record, and the record is fetched only on a real candidate. Records
/// never move and have dense numbers, so other tables can point at them with a `UInt32`.
///
/// Records are never removed (identifiers and Message-IDs are kept for the directory's life); a
/// record's fields other than its hash may change through `subscript`.
struct HashedNodeTable<Node: HashedNode>: Sendable {
    private(set) var nodes: [Node] = []
    /// 0 = empty; otherwise the high 32 bits of the hash above `node + 1`. Capacity is a power of
    /// two at least twice the record count (load ≤ 1/2, so a miss probes about two slots).
    private var slots: [UInt64] = []
    /// Beside each slot, a number the caller gave with the record (the identifier's customer, the
    /// Message-ID's case) as it was at insertion. Only `warm` reads it, to start loading that
    /// record in parallel with the slot's own record instead of after it; it may go stale (a
    /// merge moves an identifier to another customer) and then merely warms the wrong line.
    private var hints: [UInt32] = []

    init() {}

    var count: Int { nodes.count }

    /// The number of slots (a power of two, or 0 before the first insert).
    var slotCount: Int { slots.count }

    subscript(node n: Int) -> Node {
        get { nodes[n] }
        _modify { yield &nodes[n] }
    }

    /// Sizes the records and the index for `n` records, so reaching them never rehashes.
    mutating func reserveCapacity(_ n: Int) {
        nodes.reserveCapacity(n)
        let wanted = HashedNodeTable.slotCount(for: n)
        if wanted > slots.count { rebuild(slotCount: wanted) }
    }

    /// The number of the record with this hash that `matches`, if any. `matches` is called only for
    /// records whose hash agrees in 32 more bits than the slot position.
    @inline(__always)
    func find(hash: Int, where matches: (Node) -> Bool) -> Int? {
        if slots.isEmpty { return nil }
        let mask = slots.count - 1
        let tag = UInt64(UInt(bitPattern: hash) >> 32) << 32
        var i = hash & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let n = Int(truncatingIfNeeded: s & 0xFFFF_FFFF) - 1
                if matches(nodes[n]) { return n }
            }
            i = (i + 1) & mask
        }
    }

    /// Loads what a `find(hash:)` will touch, without deciding anything: the home slot and, when
    /// its tag matches, the record, passed to `touch` to load more (its key's text, a record it
    /// names). Returns a value depending on the loads; see `CaseDirectory.warm` for why.
    /// `touchHint` gets the home slot's hint (0 when empty), loaded together with the slot.
    @inline(__always)
    func warm(hash: Int, touch: (Node) -> Int, touchHint: (UInt32) -> Int) -> Int {
        if slots.isEmpty { return 0 }
        let i = hash & (slots.count - 1)
        let s = slots[i]
        let hinted = touchHint(hints[i])
        let n = Int(truncatingIfNeeded: s & 0xFFFF_FFFF)
        guard n != 0, s >> 32 == UInt64(UInt(bitPattern: hash) >> 32) else { return hinted &+ Int(truncatingIfNeeded: s) }
        return hinted &+ touch(nodes[n - 1])
    }

    /// Appends a record the caller has checked is not present; returns its number. `hint`: see `hints`.
    @discardableResult
    mutating func append(_ node: Node, hint: UInt32 = 0) -> Int {
        let n = nodes.count
        if (n + 1) * 2 > slots.count { rebuild(slotCount: HashedNodeTable.slotCount(for: n + 1)) }
        nodes.append(node)
        place(hash: node.hashCode, node: n, hint: hint)
        return n
    }

    private mutating func place(hash: Int, node n: Int, hint: UInt32) {
        let mask = slots.count - 1
        let entry = UInt64(UInt(bitPattern: hash) >> 32) << 32 | UInt64(n + 1)
        var i = hash & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = entry
        hints[i] = hint
    }

    private mutating func rebuild(slotCount: Int) {
        let oldSlots = slots
        let oldHints = hints
        slots = Array(repeating: 0, count: slotCount)
        hints = Array(repeating: 0, count: slotCount)
        for (i, s) in oldSlots.enumerated() where s != 0 {
            let n = Int(truncatingIfNeeded: s & 0xFFFF_FFFF) - 1
            place(hash: nodes[n].hashCode, node: n, hint: oldHints[i])
        }
    }

    /// The smallest power of two holding `n` records at load ≤ 1/2 (at least 16).
    static func slotCount(for n: Int) -> Int {
        var c = 16
        while c < n * 2 { c <<= 1 }
        return c
    }
}

/// Small values that recur (topics, agent ids) stored once and referred to by a 32-bit number, so
/// case and history records stay plain data (no reference counting, copied with `memcpy`) and
/// topics compare as integers. Number 0 means "none".
struct Interner<Value: Hashable & Sendable>: Sendable {
    private var numbers: [Value: UInt32] = [:]
    private var values: [Value] = []

    init() {}

    var count: Int { values.count }

    /// The value's number, or nil when it was never interned.
    func number(of value: Value) -> UInt32? { numbers[value] }

    mutating func intern(_ value: Value) -> UInt32 {
        if let n = numbers[value] { return n }
        values.append(value)
        let n = UInt32(values.count)
        numbers[value] = n
        return n
    }

    /// The value of a number `intern` returned; nil for 0.
    func value(_ number: UInt32) -> Value? { number == 0 ? nil : values[Int(number) - 1] }
}
