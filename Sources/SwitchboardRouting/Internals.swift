import SwitchboardDomain

/// A set of interned language indexes (0–255). Index 0 is "no language given", which every agent speaks.
struct LanguageSet: Hashable, Sendable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    static let maximumCount = 256

    @inline(__always) mutating func insert(_ i: Int32) {
        let bit = UInt64(1) << UInt64(i & 63)
        switch i >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    @inline(__always) func contains(_ i: Int32) -> Bool {
        let bit = UInt64(1) << UInt64(i & 63)
        switch i >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }

    @inline(__always) func intersects(_ o: LanguageSet) -> Bool {
        (w0 & o.w0) | (w1 & o.w1) | (w2 & o.w2) | (w3 & o.w3) != 0
    }

    /// Members in increasing order.
    func forEach(_ body: (Int32) -> Void) {
        for (w, word) in [w0, w1, w2, w3].enumerated() {
            var bits = word
            while bits != 0 {
                let t = bits.trailingZeroBitCount
                body(Int32(w * 64 + t))
                bits &= bits - 1
            }
        }
    }
}

/// Up to 16 skill requirements packed as `skill << 8 | level`, sorted by skill, zero-terminated:
/// a hashable inline value, so looking up a requirement signature allocates nothing.
typealias PackedRequirements = SIMD16<UInt32>

extension PackedRequirements {
    @inline(__always) static func pack(skill: Int32, level: Int) -> UInt32 { UInt32(skill) << 8 | UInt32(level) }

    var requirementCount: Int {
        var n = 0
        while n < 16 && self[n] != 0 { n += 1 }
        return n
    }

    /// Inserts keeping skills sorted; a repeated skill keeps the higher level. Returns false when full.
    @discardableResult
    mutating func merge(skill: Int32, level: Int) -> Bool {
        var n = 0
        while n < 16 && self[n] != 0 {
            let s = Int32(self[n] >> 8)
            if s == skill {
                if level > Int(self[n] & 0xFF) { self[n] = Self.pack(skill: skill, level: level) }
                return true
            }
            if s > skill { break }
            n += 1
        }
        let count = requirementCount
        guard count < 16 else { return false }
        var i = count
        while i > n {
            self[i] = self[i - 1]
            i -= 1
        }
        self[n] = Self.pack(skill: skill, level: level)
        return true
    }
}

/// What a contact asks for, before relaxation; contacts with equal signatures share their buckets.
struct SignatureKey: Hashable, Sendable {
    var channel: UInt8
    var language: Int32
    var target: Int32
    var required: PackedRequirements
    var preferred: PackedRequirements

    /// One mixed word instead of 35 lane-by-lane combines: this lookup is on every arrival.
    func hash(into hasher: inout Hasher) {
        var h = UInt64(channel) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt32(bitPattern: language)) << 8 ^ UInt64(UInt32(bitPattern: target)) << 32
        h = mix(h, required)
        h = mix(h, preferred)
        hasher.combine(h)
    }
}

@inline(__always) func mix(_ seed: UInt64, _ r: PackedRequirements) -> UInt64 {
    var h = seed
    for i in 0..<16 {
        let v = r[i]
        if v == 0 { break }
        h = (h ^ UInt64(v)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 29
    }
    return h
}

struct Signature: Sendable {
    var key: SignatureKey
    /// The bucket for each relaxation step (index 0: no relaxation). Equal neighbours mean the step
    /// changes nothing for this signature.
    var stepBuckets: [Int32]

    /// The first step after `step` whose bucket differs from that step's (`stepBuckets.count`: none).
    func nextChange(after step: Int) -> Int {
        var next = step + 1
        while next < stepBuckets.count && stepBuckets[next] == stepBuckets[step] { next += 1 }
        return next
    }
}

/// What every arrival reads of its signature, in 24 bytes (`Router.signatureSummaries`): where it
/// is placed before any relaxation, and its skills as scoring reads them. The signature itself is
/// 160 bytes over three cache lines, read in no order from a few thousand: a cache miss or two on
/// most arrivals, where these, dense, stay in cache.
struct SignatureSummary: Sendable, Equatable {
    /// `stepBuckets[0]`, and the first step whose bucket differs from it (`stepBuckets.count`: none).
    var firstBucket: Int32
    var firstChange: Int32
    /// The first two required skills and the first preferred one, packed as in
    /// `PackedRequirements` (0 for none).
    var required0: UInt32
    var required1: UInt32
    var preferred0: UInt32
    /// No third required skill and no second preferred one: the three fields above are the lot.
    var complete: Bool

    init(_ signature: Signature) {
        let key = signature.key
        firstBucket = signature.stepBuckets[0]
        firstChange = Int32(signature.nextChange(after: 0))
        required0 = key.required[0]
        required1 = key.required[1]
        preferred0 = key.preferred[0]
        complete = key.required[2] == 0 && key.preferred[1] == 0
    }

}

/// Effective requirements at one relaxation step: the unit of waiting.
struct BucketKey: Hashable, Sendable {
    var channel: UInt8
    var languages: LanguageSet
    var target: Int32
    var requirements: PackedRequirements

    func hash(into hasher: inout Hasher) {
        let l = languages.w0 ^ languages.w1 &* 3 ^ languages.w2 &* 5 ^ languages.w3 &* 7
        hasher.combine(mix(UInt64(channel) ^ l &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt32(bitPattern: target)) << 40, requirements))
    }
}

/// One of a bucket's queue cells, and the bucket's membership in that cell's queue heap while the
/// bucket is non-empty (-1 while empty).
struct QueueCellMembership: Sendable {
    var cell: Int32
    var member: Int32
}

/// A waiting contact's heap entry: order key, then contact id for a total, repeatable order.
struct WaitingEntry: Comparable, Sendable {
    var key: Int64
    var id: UInt64
    var slot: Int32
    var version: UInt32

    @inline(__always) static func < (a: Self, b: Self) -> Bool { a.key != b.key ? a.key < b.key : a.id < b.id }
    @inline(__always) static func == (a: Self, b: Self) -> Bool { a.key == b.key && a.id == b.id }
    @inline(__always) var order: OrderKey { OrderKey(key: key, id: id) }
}

struct OrderKey: Comparable, Sendable {
    var key: Int64
    var id: UInt64
    @inline(__always) static func < (a: Self, b: Self) -> Bool { a.key != b.key ? a.key < b.key : a.id < b.id }
}

/// Idle agents are ordered by this (smallest first): the negated index score, then login order.
struct AgentKey: Comparable, Sendable {
    var negatedScore: Double
    var order: UInt64

    /// After every real key: a profile with nobody idle, in a cell's heap.
    static let unfiled = AgentKey(negatedScore: .infinity, order: .max)
    @inline(__always) static func < (a: Self, b: Self) -> Bool {
        a.negatedScore != b.negatedScore ? a.negatedScore < b.negatedScore : a.order < b.order
    }
}

/// A bucket's scalar fields. Its heap lives in a parallel array on the router (`bucketHeaps`) and
/// its cells in flat ones (`bucketQueueCells`, `bucketAgentCells`), so that reading a bucket on the
/// hot path copies no reference-counted storage.
struct Bucket: Sendable {
    // What the searches read of every bucket they look at comes first, so it shares the record's
    // first cache line: the key (112 bytes) before it pushed the cost to the second.
    var cost: Int32
    /// The queue heap (channel, minimum level of the cell's `skillA`) this bucket sits in within its cells.
    var queue: Int32
    /// Where this bucket's queue cells start in `Router.bucketQueueCells`, and how many (one per
    /// language it accepts). (An array per bucket, and another for its memberships, cost every
    /// refiling of the bucket two cache misses on their headers.)
    var queueCells: Int32 = 0
    var queueCellCount: Int32 = 0
    /// Where the cells searched for idle agents for this bucket start in `Router.bucketAgentCells`:
    /// their count, then the cells. (An array per bucket cost the search for idle agents a cache
    /// miss on its header, a tenth of `findAgent`'s time.)
    var agentCells: Int32 = 0
    var registered = false
    /// The key requires more than one skill: an agent in one of its cells may still lack a level
    /// (`Router.meets`). With one, being in the cell's queue at its level says the agent meets it.
    let requiresSeveralSkills: Bool
    var live = 0
    /// Live contacts that bar one agent for a cooldown (`excludedAgent`); while `live` exceeds
    /// this, no idle agent can take a contact of this bucket.
    var excludedLive = 0
    var key: BucketKey
    var lastDeparture: Instant? = nil
    /// Smoothed microseconds between contacts leaving this bucket, for estimated wait.
    var departureGap: Double = 0
    /// The latest place ever taken in this bucket's line. A contact that holds it has every other
    /// waiting contact of the bucket ahead of it, so its position is known without a walk: the
    /// usual case of a new arrival at the back of a long line.
    var backOfLine = OrderKey(key: .min, id: 0)

    init(key: BucketKey, cost: Int32, queue: Int32) {
        self.key = key
        self.cost = cost
        self.queue = queue
        requiresSeveralSkills = key.requirements[1] != 0
    }
}

/// A cell of the index: one language and up to two skills (`skillB` 0 for one, both 0 for none).
///
/// - idle agents (in the router's `idleHeaps`, single-skill cells only): the profiles of agents
///   who speak the language and have `skillA`, each under the index score (skill level, spare
///   capacity, idle time) of its best idle agent, one heap per spare-capacity class, so a call
///   never walks past agents with room only for an email.
/// - queues (in the router's `cellQueues`): non-empty buckets whose two most demanding skills are
///   `skillA`/`skillB`, one heap per (channel, minimum level of `skillA`), with the router's
///   `cellNonEmpty` marking which heaps hold any. An agent masks in only the heaps whose channel
///   fits its spare capacity and whose level it meets, so freed capacity never looks at a queue it
///   cannot serve for those reasons.
struct Cell: Sendable {
    static let queueCount = 40  // 4 channels × levels 1–10

    var language: Int32
    var skillA: Int32
    var skillB: Int32

    @inline(__always) static func queue(channel: Int, level: Int) -> Int { channel * 10 + max(0, level - 1) }
}

enum Phase: UInt8, Sendable {
    case free, waiting, offered, assigned
}

/// A contact's slot. The fields the queue walks read for every entry they meet (whether it is
/// live, whether this agent may take it) come first, so they share a cache line or two; what
/// only an offer or a timer reads comes after.
struct ContactRecord: Sendable {
    var id: ContactID
    var version: UInt32
    var phase: Phase
    var channel: Channel
    var priority: UInt8
    /// The agent holding its units back for this contact (see `RoutingPolicy.reserveCapacityAfter`); -1: none.
    var reservedBy: Int32 = -1
    var excludedAgent: Int32
    var bucket: Int32
    var agent: Int32
    var orderKey: Int64
    var excludedUntil: Instant
    var signature: Int32
    var step: Int32
    var language: Int32
    var preferredAgent: Int32
    var arrivedAt: Instant
    /// Relaxation steps count from here: arrival, or the moment of a transfer.
    var relaxFrom: Instant
    var expiresAt: Instant
    var affinityAgent: Int32
    var affinityUntil: Instant
}

/// An agent's scalar fields (no reference-counted storage, so reading one on the hot path is a
/// plain copy). Its id, active contacts, cells and skill levels live in parallel arrays on the router.
struct AgentRecord: Sendable {
    // What the searches read of each candidate (whether its filing is live, whether it may take
    // the contact, its score) comes first, in the record's first 64 bytes; spread over 132 bytes
    // it cost up to three cache lines a candidate.
    var languages = LanguageSet()
    var idleSince: Instant = .zero
    var capacity: Int32 = 100
    var load: Int32 = 0
    /// The contact (slot) this agent is draining its units for: it takes no other work until the
    /// contact fits, then gets it. -1: none.
    var reservedFor: Int32 = -1
    /// Version of the agent's live idle-heap entries.
    var indexVersion: UInt32 = 0
    var status: AgentStatus = .offline
    var shownState: AgentState = .offline
    var indexed = false
    /// The spare-capacity class heap the agent is filed in while indexed (1-based).
    var heapClass: Int8 = 0
    var order: UInt64
    var wrapUpUnits: Int32 = 0
    var wrapUpCount: Int32 = 0
    /// Offered plus assigned contacts.
    var activeCount: Int32 = 0
    var offeredCount: Int32 = 0
    /// The agent-wide part of its index key when its entries were filed (see `refreshAgentIndex`).
    var indexedShared: Double = 0
    /// Buckets of contacts transferred to this agent by name, one per channel (-1: none yet).
    var personalBuckets: SIMD4<Int32> = SIMD4(repeating: -1)
    var missedInARow: Int32 = 0
    /// When the last of the agent's wrap-ups ends (see `AgentSnapshot.wrapUpUntil`).
    var wrapUpUntil: Instant = .zero

    init(order: UInt64) { self.order = order }
}

enum TimerKind: UInt8, Sendable {
    case offerTimeout, relaxation, cooldown, wrapUpEnd
}

struct TimerEntry: Comparable, Sendable {
    var at: Instant
    var seq: UInt64
    var kind: TimerKind
    var slot: Int32
    var version: UInt32
    var ident: UInt64
    var units: Int32

    @inline(__always) static func < (a: Self, b: Self) -> Bool { a.at != b.at ? a.at < b.at : a.seq < b.seq }
    @inline(__always) static func == (a: Self, b: Self) -> Bool { a.at == b.at && a.seq == b.seq }
}

/// An idle agent's entry in its profile's heap, under `-indexShared` and its login order; live
/// while it carries the agent's current `indexVersion`.
struct IdleEntry: Comparable, Sendable {
    var key: AgentKey
    var agent: Int32
    var version: UInt32

    @inline(__always) static func < (a: Self, b: Self) -> Bool { a.key < b.key }
    @inline(__always) static func == (a: Self, b: Self) -> Bool { a.key.order == b.key.order && a.key.negatedScore == b.key.negatedScore }
}

/// A queue cell an agent could serve and the queue heaps (channel × level) it may take from there.
struct UsedQueueCell: Sendable, Hashable {
    var cell: Int32
    var mask: UInt64
}

/// What makes agents interchangeable to the index: languages and skill levels (`Router.profiles`).
struct ProfileKey: Hashable, Sendable {
    var languages: LanguageSet
    /// `skill << 8 | level`, by skill.
    var skills: [UInt32]
}

/// Idle agents of one profile and capacity class, by the part of the index key their cells share,
/// with lazy deletion: an agent whose load or idle time changes gets a fresh entry and its old one
/// dies (version mismatch). The router keeps the first entry live.
struct IdleHeap: Sendable {
    var heap = BinaryHeap<IdleEntry>()
    var live = 0
}

/// Cumulative relaxation in force at one step.
struct StepRule: Sendable {
    var after: Span
    var levelDrop: Int
    var preferredRequired: Bool
    var widened: Bool
}

/// A contact's requirements as the caller gave them, with the signature they came to: most
/// contacts repeat the requirements of the one before on their channel.
struct RecentRequest: Sendable {
    var language: String?
    var required: [SkillRequirement]
    var preferred: [SkillRequirement]
    var languageIndex: Int32
    var signature: Int32
}

/// Contact id → contact slot, on every routing call. Contact ids are the engine's counter, and
/// the contacts in flight are nearly all recent ones: `SequentialIDMap` finds those by a
/// subtraction and one load from a ring the new arrivals fill side by side, where a hash table
/// put each new id on a cold cache line. (Any id works; only the speed assumes a counter.)
@usableFromInline struct ContactSlots: Sendable {
    @usableFromInline var map = SequentialIDMap<Int32>()

    @usableFromInline subscript(id: ContactID) -> Int32? {
        @inlinable @inline(__always) get { map[id.rawValue] }
        set {
            if let newValue { map[id.rawValue] = newValue } else { _ = map.removeValue(forKey: id.rawValue) }
        }
    }

    mutating func reserveCapacity(_ n: Int) { map.reserveCapacity(n) }

    var entries: [(key: UInt64, value: Int32)] { map.entries }
}
