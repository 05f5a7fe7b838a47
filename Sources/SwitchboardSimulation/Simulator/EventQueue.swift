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
        /// Wrap-up by agent `a` ends, freeing `b` capacity units (occupancy bookkeeping).
        case wrapUpEnd
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
///
/// Events that come a fixed delay after they are scheduled (wrap-up ends: one per completed
/// contact, a constant per channel) are due in the order they are scheduled, so they wait in
/// first-in first-out lanes beside the heap: O(1) each way, and a heap that holds only the events
/// with random delays. `pop` takes the earliest of the heap's top and the lanes' heads.
struct EventQueue {
    private(set) var storage: [SimEvent] = []
    private var nextSeq: UInt32 = 0
    private var lanes: [Lane] = []

    /// Events in (time, seq) order; `items[head...]` are pending.
    struct Lane {
        var items: [SimEvent] = []
        var head = 0
        var first: SimEvent? { head < items.count ? items[head] : nil }
    }

    init(reserve: Int = 1024) { storage.reserveCapacity(reserve) }

    var isEmpty: Bool { top == nil }
    var count: Int { storage.count + lanes.reduce(0) { $0 + $1.items.count - $1.head } }
    var peekTime: Int64? { top?.time }

    /// The next event `pop` returns.
    var top: SimEvent? {
        var best = storage.first
        for lane in lanes {
            if let e = lane.first, best.map({ e < $0 }) ?? true { best = e }
        }
        return best
    }

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

    /// Schedules an event due no earlier than every event already in `lane` (a fixed delay after
    /// now, say); one that is not goes to the heap, so the order is right either way.
    mutating func pushInOrder(lane: Int, time: Int64, kind: SimEvent.Kind, a: Int32 = 0, b: Int32 = 0) {
        while lanes.count <= lane { lanes.append(Lane()) }
        let e = stamp(time: time, kind: kind, a: a, b: b)
        if let last = lanes[lane].items.last, lanes[lane].head < lanes[lane].items.count, e.time < last.time {
            storage.append(e)
            siftUp(storage.count - 1)
        } else {
            lanes[lane].items.append(e)
        }
    }

    mutating func pop() -> SimEvent? {
        var fromLane = -1
        var best = storage.first
        for l in lanes.indices {
            if let e = lanes[l].first, best.map({ e < $0 }) ?? true {
                best = e
                fromLane = l
            }
        }
        if fromLane >= 0 {
            lanes[fromLane].head += 1
            let head = lanes[fromLane].head
            if head == lanes[fromLane].items.count {
                lanes[fromLane].items.removeAll(keepingCapacity: true)
                lanes[fromLane].head = 0
            } else if head >= 1024 && head * 2 >= lanes[fromLane].items.count {
                // A lane that never drains: drop the taken half (amortised O(1) per event).
                lanes[fromLane].items.removeFirst(head)
                lanes[fromLane].head = 0
            }
            return best
        }
        return popHeap()
    }

    /// Events waiting in the heap (not in the lanes).
    var heapCount: Int { storage.count }

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

    private mutating func popHeap() -> SimEvent? {
        guard let first = storage.first else { return nil }
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            siftDown(0)
        }
        return first
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
