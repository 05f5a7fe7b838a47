/// A binary min-heap whose entries can be found again: each entry carries a membership id, and the
/// heap writes the entry's index into a shared `positions` table whenever it moves. That makes
/// `update` and `remove` O(log n) without any per-heap dictionary.
///
/// The router keeps one of these per (language, skill) cell and capacity class for the profiles of
/// idle agents (memberships in `idlePositions`), and per cell and queue for non-empty
/// waiting-contact buckets (in `positions`).
struct IndexedHeap<Key: Comparable>: Sendable where Key: Sendable {
    struct Entry: Sendable {
        var key: Key
        var owner: Int32
        var member: Int32
    }

    var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    mutating func insert(_ key: Key, owner: Int32, member: Int32, positions: inout [Int32]) {
        entries.append(Entry(key: key, owner: owner, member: member))
        positions[Int(member)] = Int32(entries.count - 1)
        siftUp(entries.count - 1, positions: &positions)
    }

    mutating func update(member: Int32, key: Key, positions: inout [Int32]) {
        let i = Int(positions[Int(member)])
        let old = entries[i].key
        entries[i].key = key
        if key < old { siftUp(i, positions: &positions) } else { siftDown(i, positions: &positions) }
    }

    mutating func remove(member: Int32, positions: inout [Int32]) {
        let i = Int(positions[Int(member)])
        positions[Int(member)] = -1
        let last = entries.count - 1
        if i == last {
            entries.removeLast()
            return
        }
        entries[i] = entries[last]
        entries.removeLast()
        positions[Int(entries[i].member)] = Int32(i)
        if i > 0 && entries[i].key < entries[(i - 1) / 2].key {
            siftUp(i, positions: &positions)
        } else {
            siftDown(i, positions: &positions)
        }
    }

    private mutating func siftUp(_ start: Int, positions: inout [Int32]) {
        var i = start
        let moving = entries[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard moving.key < entries[parent].key else { break }
            entries[i] = entries[parent]
            positions[Int(entries[i].member)] = Int32(i)
            i = parent
        }
        entries[i] = moving
        positions[Int(moving.member)] = Int32(i)
    }

    private mutating func siftDown(_ start: Int, positions: inout [Int32]) {
        var i = start
        let moving = entries[i]
        let n = entries.count
        while true {
            let l = 2 * i + 1
            guard l < n else { break }
            var c = l
            if l + 1 < n && entries[l + 1].key < entries[l].key { c = l + 1 }
            guard entries[c].key < moving.key else { break }
            entries[i] = entries[c]
            positions[Int(entries[i].member)] = Int32(i)
            i = c
        }
        entries[i] = moving
        positions[Int(moving.member)] = Int32(i)
    }
}

/// A plain binary min-heap over an array (no index): used for waiting contacts inside a bucket
/// (with lazy deletion by version), for timers, and for a profile's idle agents.
struct BinaryHeap<Element: Comparable & Sendable>: Sendable {
    var storage: [Element] = []

    var isEmpty: Bool { storage.isEmpty }
    var count: Int { storage.count }
    var min: Element? { storage.first }

    @inline(__always)
    mutating func insert(_ e: Element) {
        storage.append(e)
        // Through a buffer pointer: the array was made unique by the append.
        storage.withUnsafeMutableBufferPointer { s in
            var i = s.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard e < s[p] else { break }
                s[i] = s[p]
                i = p
            }
            s[i] = e
        }
    }

    @discardableResult @inline(__always)
    mutating func popMin() -> Element? {
        guard let first = storage.first else { return nil }
        let last = storage.removeLast()
        if !storage.isEmpty { siftDown(0, moving: last) }
        return first
    }

    /// Rebuilds the heap keeping only elements that pass `keep` (Floyd's heapify, O(n)).
    mutating func filter(_ keep: (Element) -> Bool) {
        storage.removeAll(where: { !keep($0) })
        var i = storage.count / 2 - 1
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    private mutating func siftDown(_ start: Int) { siftDown(start, moving: storage[start]) }

    /// Sifts `moving` down from `start`, whose element it replaces (`popMin`'s last element, put
    /// at the root without first writing it there).
    @inline(__always)
    private mutating func siftDown(_ start: Int, moving: Element) {
        storage.withUnsafeMutableBufferPointer { s in
            var i = start
            let n = s.count
            while true {
                let l = 2 * i + 1
                guard l < n else { break }
                var c = l
                if l + 1 < n && s[l + 1] < s[l] { c = l + 1 }
                guard s[c] < moving else { break }
                s[i] = s[c]
                i = c
            }
            s[i] = moving
        }
    }
}

/// A binary min-heap for a search's frontier: scratch space that one search fills and empties,
/// whose inserts and pops are loads and stores only.
///
/// Why not `BinaryHeap`: each write to an array asks the runtime whether its storage is shared
/// (`swift_isUniquelyReferenced`, a call that is not inlined), and an append or a pop writes twice.
/// A freed-capacity search inserts about fifteen entries and pops a few, so the walks' two
/// `BinaryHeap`s asked that about forty times per search. This heap asks once, in `reset`, which
/// every search calls before its first insert: a router copy whose buffer is shared gets its own
/// there, so no two copies ever write one buffer, and the router keeps its value semantics.
/// Nothing is read across searches.
struct FrontierHeap<Element: Comparable & BitwiseCopyable>: @unchecked Sendable {
    /// The elements' memory: the pointer never changes (a heap that needs more replaces the whole
    /// buffer), so reading it costs no exclusivity check.
    final class Buffer {
        let base: UnsafeMutablePointer<Element>
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        deinit { base.deallocate() }
    }

    private var buffer: Buffer
    private(set) var count = 0

    init(capacity: Int = 256) {
        buffer = Buffer(capacity: Swift.max(1, capacity))
    }

    var isEmpty: Bool { count == 0 }

    /// Empties the heap and makes its buffer this copy's own.
    @inline(__always)
    mutating func reset() {
        count = 0
        if !isKnownUniquelyReferenced(&buffer) { buffer = Buffer(capacity: buffer.capacity) }
    }

    @inline(__always)
    mutating func insert(_ e: Element) {
        if count == buffer.capacity { grow() }
        let s = buffer.base
        var i = count
        count = i &+ 1
        while i > 0 {
            let p = (i &- 1) / 2
            guard e < s[p] else { break }
            s[i] = s[p]
            i = p
        }
        s[i] = e
    }

    @inline(__always)
    mutating func popMin() -> Element? {
        guard count > 0 else { return nil }
        let s = buffer.base
        let first = s[0]
        let n = count &- 1
        count = n
        guard n > 0 else { return first }
        let moving = s[n]
        var i = 0
        while true {
            let l = 2 &* i &+ 1
            guard l < n else { break }
            var c = l
            if l &+ 1 < n && s[l &+ 1] < s[l] { c = l &+ 1 }
            guard s[c] < moving else { break }
            s[i] = s[c]
            i = c
        }
        s[i] = moving
        return first
    }

    /// Twice the room, the elements kept. (`reset` made the buffer this copy's own.)
    private mutating func grow() {
        let bigger = Buffer(capacity: 2 * buffer.capacity)
        bigger.base.initialize(from: buffer.base, count: count)
        buffer = bigger
    }
}
