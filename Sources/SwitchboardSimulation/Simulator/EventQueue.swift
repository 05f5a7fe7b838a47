/// What happens at a moment of virtual time. Small and trivially copyable so the heap moves
/// 24-byte values, never references.
struct SimEvent {
    enum Kind: UInt8 {
        /// The next Poisson arrival on channel `a`.
        case arrival
        /// A customer (`a`) comes back on channel `b`.
        case repeatArrival
        /// Contact slot `a` runs out of patience (ignored if it was answered first).
        case patience
        /// The agent handling contact slot `a` finishes it.
        case completion
        /// Agent `a`, rostered off, was still wrapping up: it logs out if it is done by now.
        case leave
        /// Interval boundary `a`: staffing changes and the previous interval's figures close.
        case boundary
        /// The engine asked to be woken (offer timeout, wrap-up end, relaxation step).
        case engineTimer
    }

    var time: Int64
    /// Insertion order: events at the same microsecond run first-scheduled first, so a run is
    /// repeatable to the bit.
    var seq: UInt32
    var kind: Kind
    var a: Int32
    var b: Int32

    @inline(__always)
    static func < (l: SimEvent, r: SimEvent) -> Bool {
        l.time != r.time ? l.time < r.time : l.seq < r.seq
    }
}

/// The future event list: an array-backed 4-ary min-heap on (time, seq). O(log n) push and pop,
/// no allocation once the array has grown to the run's peak size. Four children per node halve
/// the depth of a binary heap and sit side by side in memory (96 bytes), so a pop on a heap of tens
/// of thousands of pending patience and completion events touches half as many cache lines.
/// (time, seq) is a total order, so the pop order is the same as any other heap's.
struct EventQueue {
    private(set) var storage: [SimEvent] = []
    private var nextSeq: UInt32 = 0

    init(reserve: Int = 1024) { storage.reserveCapacity(reserve) }

    var count: Int { storage.count }

    /// The next event `pop` returns.
    var top: SimEvent? { storage.first }

    mutating func push(time: Int64, kind: SimEvent.Kind, a: Int32 = 0, b: Int32 = 0) {
        storage.append(stamp(time: time, kind: kind, a: a, b: b))
        siftUp(storage.count - 1)
    }

    /// An event with its place in the scheduling order, for a caller that keeps it outside the
    /// heap (the next arrival of each channel) and compares it with `top` itself.
    mutating func stamp(time: Int64, kind: SimEvent.Kind, a: Int32 = 0, b: Int32 = 0) -> SimEvent {
        defer { nextSeq &+= 1 }
        return SimEvent(time: time, seq: nextSeq, kind: kind, a: a, b: b)
    }

    mutating func pop() -> SimEvent? {
        guard let first = storage.first else { return nil }
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            siftDown(0)
        }
        return first
    }

    /// Drops the heap's events that `dead` names (patience timers of contacts answered since, say)
    /// and restores the heap in O(n). What is left pops in the same order as before: (time, seq) is
    /// a total order, whatever the heap's layout.
    mutating func removeAll(where dead: (SimEvent) -> Bool) {
        storage.removeAll(where: dead)
        guard storage.count > 1 else { return }
        var i = (storage.count - 2) / 4  // the last parent
        while i >= 0 {
            siftDown(i)
            i -= 1
        }
    }

    private mutating func siftUp(_ index: Int) {
        storage.withUnsafeMutableBufferPointer { h in
            var i = index
            let item = h[i]
            while i > 0 {
                let parent = (i - 1) >> 2
                if item < h[parent] {
                    h[i] = h[parent]
                    i = parent
                } else {
                    break
                }
            }
            h[i] = item
        }
    }

    private mutating func siftDown(_ index: Int) {
        storage.withUnsafeMutableBufferPointer { h in
            let n = h.count
            var i = index
            let item = h[i]
            while true {
                let first = 4 * i + 1
                if first >= n { break }
                var child = first
                let end = min(first + 4, n)
                var c = first + 1
                while c < end {
                    if h[c] < h[child] { child = c }
                    c += 1
                }
                if h[child] < item {
                    h[i] = h[child]
                    i = child
                } else {
                    break
                }
            }
            h[i] = item
        }
    }
}
