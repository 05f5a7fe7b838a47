import SwitchboardDomain

/// The router's timers in deadline order, at O(1) per timer in the usual case.
///
/// Almost every timer is "now plus a fixed delay": a voice offer times out `offerTimeout[voice]`
/// after it is made, a chat wrap-up ends `wrapUp[chat]` after completion, a relaxation step fires a
/// fixed time after arrival. Timers of one such *lane* are therefore scheduled in deadline order,
/// and a lane is a plain FIFO: append at the back, take from the front. A timer that would break
/// its lane's order (a wrap-up given explicitly, a contact restored with an old arrival time) goes
/// to a binary heap instead. The earliest timer is the least of the lane fronts and the heap's
/// root, compared on (deadline, sequence), so the order is exactly that of one heap over all
/// timers, only cheaper: no sift through a heap of hundreds of thousands of mostly dead offer
/// timeouts on every offer.
struct TimerQueue: Sendable {
    struct Lane: Sendable {
        var items: [TimerEntry] = []
        var head = 0

        var front: TimerEntry? { head < items.count ? items[head] : nil }
        var count: Int { items.count - head }
    }

    private(set) var lanes: [Lane]
    /// Each lane's front as (deadline, sequence), `emptyFront` for an empty lane, side by side:
    /// finding the earliest timer after a pop compares these in one or two cache lines instead
    /// of opening every lane's storage (two cold lines per lane, a dozen lanes).
    private var fronts: [FrontKey]
    private var overflow = BinaryHeap<TimerEntry>()
    /// Where the earliest timer is: a lane index, `overflowSource`, `emptySource`, or `unknownSource`.
    private var minSource = TimerQueue.emptySource

    struct FrontKey: Sendable {
        var at: Int64
        var seq: UInt64
        @inline(__always) func precedes(_ other: FrontKey) -> Bool { at != other.at ? at < other.at : seq < other.seq }
    }

    private static let emptyFront = FrontKey(at: .max, seq: .max)

    private static let overflowSource = -1
    private static let emptySource = -2
    private static let unknownSource = -3

    init(laneCount: Int) {
        lanes = Array(repeating: Lane(), count: max(1, laneCount))
        fronts = Array(repeating: Self.emptyFront, count: lanes.count)
    }

    var count: Int { lanes.reduce(overflow.count) { $0 + $1.count } }

    mutating func reserveCapacity(perLane: Int) {
        for i in lanes.indices { lanes[i].items.reserveCapacity(perLane) }
    }

    /// Adds a timer to `lane` (clamped to the lanes there are); out-of-order deadlines go to the heap.
    mutating func insert(_ t: TimerEntry, lane: Int) {
        let l = Swift.min(Swift.max(0, lane), lanes.count - 1)
        let source: Int
        // (The lane's count and last entry only: its front is long out of cache.)
        if lanes[l].count > 0, let last = lanes[l].items.last, t < last {
            overflow.insert(t)
            source = Self.overflowSource
        } else {
            lanes[l].items.append(t)
            if lanes[l].count == 1 { fronts[l] = FrontKey(at: t.at.microseconds, seq: t.seq) }
            source = l
        }
        switch minSource {
        case Self.emptySource:
            minSource = source
        case Self.unknownSource:
            break
        case Self.overflowSource:
            if let current = overflow.min, t < current { minSource = source }
        default:
            // The current earliest lane's front key, from the dense copy rather than its entry.
            if FrontKey(at: t.at.microseconds, seq: t.seq).precedes(fronts[minSource]) { minSource = source }
        }
    }

    /// The earliest timer, or nil.
    var min: TimerEntry? {
        mutating get {
            if minSource == Self.unknownSource { locateMin() }
            return peek(minSource)
        }
    }

    /// Removes the earliest timer.
    mutating func popMin() {
        if minSource == Self.unknownSource { locateMin() }
        switch minSource {
        case Self.emptySource:
            return
        case Self.overflowSource:
            overflow.popMin()
        default:
            let l = minSource
            lanes[l].head += 1
            if lanes[l].head == lanes[l].items.count {
                lanes[l].items.removeAll(keepingCapacity: true)
                lanes[l].head = 0
                fronts[l] = Self.emptyFront
            } else {
                if lanes[l].head >= 4096 && 2 * lanes[l].head >= lanes[l].items.count {
                    lanes[l].items.removeSubrange(0..<lanes[l].head)
                    lanes[l].head = 0
                }
                let next = lanes[l].items[lanes[l].head]
                fronts[l] = FrontKey(at: next.at.microseconds, seq: next.seq)
            }
        }
        minSource = Self.unknownSource
    }

    private func peek(_ source: Int) -> TimerEntry? {
        switch source {
        case Self.emptySource, Self.unknownSource: return nil
        case Self.overflowSource: return overflow.min
        default: return lanes[source].front
        }
    }

    private mutating func locateMin() {
        var best = Self.emptyFront
        var source = Self.emptySource
        if let root = overflow.min {
            best = FrontKey(at: root.at.microseconds, seq: root.seq)
            source = Self.overflowSource
        }
        fronts.withUnsafeBufferPointer { f in
            for l in 0..<f.count where f[l].precedes(best) {
                best = f[l]
                source = l
            }
        }
        minSource = source
    }
}

/// The router's timer lanes: one per (kind, fixed delay).
enum TimerLane {
    static func offer(_ channel: Channel) -> Int { channel.index }
    static func wrapUp(_ channel: Channel) -> Int { 4 + channel.index }
    static let cooldown = 8
    static func relaxation(step: Int) -> Int { 9 + step }
}
