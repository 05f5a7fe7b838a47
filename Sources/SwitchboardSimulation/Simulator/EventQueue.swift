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
        /// The agent handling contact slot `a` finishes it (`b`: the engine's slot for it, a hint).
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

    /// An empty place among the simulator's events kept out of the queue: after every real event.
    static let noEvent = SimEvent(time: .max, seq: .max, kind: .boundary, a: -1, b: -1)

    @inline(__always)
    static func < (l: SimEvent, r: SimEvent) -> Bool {
        l.time != r.time ? l.time < r.time : l.seq < r.seq
    }
}

/// The future event list, in (time, seq) order: a calendar of buckets of `1 << bucketShift`
/// microseconds (about a second), each bucket an unordered array, in front of a small heap.
///
/// - `near`: every event of the current bucket (and any pushed for an earlier moment since), in a
///   4-ary heap. Its root is the next event.
/// - `ring`: the next `ring.count` buckets (over an hour ahead), unordered: a push is an append.
///   When `near` runs dry, the next non-empty bucket becomes `near` and is heapified.
/// - `far`: what lies beyond the ring (repeat contacts hours ahead, interval boundaries), in a
///   4-ary heap; its events move into the ring as the ring's window reaches them.
///
/// One heap over every pending event (tens of thousands on the peak-season day: completions,
/// patience timers, customers coming back within hours) made each pop sift through seven levels of
/// it; now a pop sifts through a heap of one bucket's events, and most pushes are appends.
/// (time, seq) is a total order, so events come out in exactly the order one heap would give.
struct EventQueue {
    /// A `Table`, not an array: a pop and a push each wrote to it several times, and each write to
    /// an array asks the runtime whether its storage is shared.
    private var near = Table<SimEvent>(capacity: 1024)
    private var ring: [[SimEvent]]
    private var ringCount = 0
    private var far: [SimEvent] = []
    /// The current bucket: `near` holds the events of buckets up to it, the ring those after.
    /// (Virtual time starts at 0, so before the first event it is the bucket before that.)
    private var base: Int64 = -1
    private let shift: Int64
    private let mask: Int
    private var nextSeq: UInt32 = 0
    private(set) var count = 0

    /// - Parameters:
    ///   - bucketShift: a bucket is `1 << bucketShift` microseconds (20: about a second).
    ///   - buckets: buckets in the ring, a power of two (4,096 seconds: about 70 minutes).
    init(reserve: Int = 1024, bucketShift: Int = 20, buckets: Int = 4096) {
        precondition(buckets > 0 && buckets & (buckets - 1) == 0, "the ring's size is a power of two")
        shift = Int64(bucketShift)
        mask = buckets - 1
        ring = Array(repeating: [], count: buckets)
        near.reserveCapacity(Swift.max(1024, Swift.min(reserve, 1 << 16)))
    }

    /// The next event `pop` returns. (`near` is empty only when everything is.)
    var top: SimEvent? { near.count > 0 ? near[0] : nil }

    mutating func push(time: Int64, kind: SimEvent.Kind, a: Int32 = 0, b: Int32 = 0) {
        file(stamp(time: time, kind: kind, a: a, b: b))
        count += 1
        if near.isEmpty { advance() }
    }

    /// An event with its place in the scheduling order, for a caller that keeps it outside the
    /// queue (the next arrival of each channel) and compares it with `top` itself.
    mutating func stamp(time: Int64, kind: SimEvent.Kind, a: Int32 = 0, b: Int32 = 0) -> SimEvent {
        defer { nextSeq &+= 1 }
        return SimEvent(time: time, seq: nextSeq, kind: kind, a: a, b: b)
    }

    mutating func pop() -> SimEvent? {
        guard near.count > 0 else { return nil }
        let first = near[0]
        let last = near.removeLast()
        if near.count > 0 {
            let h = near.elementsBuffer
            h[0] = last
            Self.siftDown(h, 0)
        }
        count -= 1
        if near.isEmpty && count > 0 { advance() }
        return first
    }

    /// Drops the events that `dead` names (patience timers of contacts answered since, say). What
    /// is left pops in the same order as before: (time, seq) is a total order, whatever the layout.
    mutating func removeAll(where dead: (SimEvent) -> Bool) {
        near.removeAll(where: dead)
        Self.heapify(near.elementsBuffer)
        far.removeAll(where: dead)
        Self.heapify(&far)
        ringCount = 0
        for i in ring.indices where !ring[i].isEmpty {
            ring[i].removeAll(where: dead)
            ringCount += ring[i].count
        }
        count = near.count + ringCount + far.count
        if near.isEmpty && count > 0 { advance() }
    }

    /// Puts an event where its bucket belongs.
    private mutating func file(_ e: SimEvent) {
        let bucket = e.time >> shift
        if bucket <= base {
            near.append(e)
            Self.siftUp(near.elementsBuffer, near.count - 1)
        } else if bucket - base <= Int64(mask) + 1 {
            ring[Int(truncatingIfNeeded: bucket) & mask].append(e)
            ringCount += 1
        } else {
            far.append(e)
            Self.siftUp(&far, far.count - 1)
        }
    }

    /// With `near` empty: the next non-empty bucket becomes the current one, and what of `far`
    /// the ring's window now reaches moves in.
    private mutating func advance() {
        if ringCount > 0 {
            var bucket = base + 1
            while ring[Int(truncatingIfNeeded: bucket) & mask].isEmpty { bucket += 1 }
            base = bucket
            // `near` is empty: the bucket's events move in, and the bucket keeps its capacity.
            let slot = Int(truncatingIfNeeded: bucket) & mask
            near.append(contentsOf: ring[slot])
            ring[slot].removeAll(keepingCapacity: true)
            ringCount -= near.count
            Self.heapify(near.elementsBuffer)
        } else if let f = far.first {
            base = f.time >> shift
        } else {
            return
        }
        while let f = far.first, (f.time >> shift) - base <= Int64(mask) + 1 {
            Self.removeRoot(&far)
            file(f)
        }
    }

    private static func removeRoot(_ heap: inout [SimEvent]) {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            heap.withUnsafeMutableBufferPointer { siftDown($0, 0) }
        }
    }

    private static func heapify(_ heap: inout [SimEvent]) {
        heap.withUnsafeMutableBufferPointer { heapify($0) }
    }

    private static func heapify(_ h: UnsafeMutableBufferPointer<SimEvent>) {
        guard h.count > 1 else { return }
        var i = (h.count - 2) / 4  // the last parent
        while i >= 0 {
            siftDown(h, i)
            i -= 1
        }
    }

    private static func siftUp(_ heap: inout [SimEvent], _ index: Int) {
        heap.withUnsafeMutableBufferPointer { siftUp($0, index) }
    }

    private static func siftUp(_ h: UnsafeMutableBufferPointer<SimEvent>, _ index: Int) {
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

    private static func siftDown(_ h: UnsafeMutableBufferPointer<SimEvent>, _ index: Int) {
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
