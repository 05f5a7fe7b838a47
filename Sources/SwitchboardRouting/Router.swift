import CPrefetch
import SwitchboardDomain

/// Skill, language and priority routing with capacity, offers, relaxation and explanations, as a
/// value-type state machine: every call takes `now`, appends what happened to the caller's event
/// buffer, and reads no clock.
///
/// ## How it decides without scanning
/// - Skills and languages are interned to dense integers; an agent's skill levels are a byte array.
/// - Waiting contacts live in *buckets*, one per distinct effective requirement (channel, required
///   skills with minimum levels, accepted languages, or a named agent). Each bucket is a heap on the
///   fixed order key (see `RoutingPolicy`), with lazy deletion.
/// - A *cell* is a language and one or two skills. A non-empty bucket is filed, under its first
///   contact's order key, in the cell of each language it accepts and its two most demanding
///   required skills (one heap per channel and minimum level); an idle agent is filed once, in its
///   *profile*'s heap (agents with equal languages and skill levels), and each profile in the
///   single-skill cell of every language and skill it has (plus the "any" language and skill)
///   under its best agent's index score, one heap per spare-capacity class.
/// - Arrival: the cells of the bucket's languages and its most demanding skill hold the candidate
///   agents; the best few are scored in full and the best eligible one gets the offer.
/// - Freed capacity: the agent's cells name the buckets it could serve; one best-first walk over
///   their heaps (a level-prefix minimum per cell and channel first) finds the smallest order key
///   the agent is eligible for, and the head of its line when that one is too big (capacity
///   reservation, see `fill`).
public struct Router: Sendable {
    public private(set) var policy: RoutingPolicy

    // Interning. Index 0 of each is the wildcard ("any skill", "any language").
    var skillIndex: [String: Int32] = ["": 0]
    var skillNames: [String] = [""]
    /// The profiles that have each skill (any level), so a cell coming into use looks only at them.
    var profilesWithSkill: [[Int32]] = [[]]
    /// The profiles that speak a language and have a skill (`languageSkillKey`), so a cell of one
    /// language coming into use looks only at them: a sixth of those with the skill in a centre
    /// of twelve languages.
    var profilesWithLanguageSkill: [UInt64: [Int32]] = [:]
    var languageIndex: [String: Int32] = ["": 0]
    var languageNames: [String] = [""]

    var agentIndex: [AgentID: Int32] = [:]
    var agents: [AgentRecord] = []
    /// Per agent, bumped at each logout, so wrap-up timers from an earlier session do nothing.
    /// Apart from `agents`, four bytes an agent: the timer queue checks the next wrap-up end's on
    /// every `nextDeadline`, and in the record that check was a cache miss of its own.
    var agentEpochs: [UInt32] = []
    // Per-agent storage kept apart from `agents` so hot reads copy nothing reference-counted.
    var agentIDs: [AgentID] = []
    /// Contacts offered or assigned to each agent (slots), the first eight of them, at
    /// `agent × activeInline` (see `addActive`); `AgentRecord.activeCount` says how many there are,
    /// unused places hold -1.
    var agentActive: [Int32] = []
    static let activeInline = 8
    /// An agent's active contacts past the first eight (rare: it takes a capacity of more than
    /// eight of the cheapest channel).
    var agentActiveSpill: [[Int32]] = []
    /// Each agent's profile (`profiles`).
    var agentProfile: [Int32] = []

    /// Agents with equal languages and skill levels share a *profile*: the same cells, the same
    /// queue heaps, the same level in every cell. A centre's 2,000 agents come in a few dozen
    /// profiles, so the index keeps its cell lists, and files idle agents, per profile:
    /// - an idle agent is filed once, in its profile's heap of its spare-capacity class, under the
    ///   part of its index key its cells share (`indexShared`);
    /// - each cell's idle heap of a class holds the profiles, under their best agent's key there.
    /// Re-filing an agent whose load or idle time changed is one insert into its profile's heap,
    /// and touches the cells only when the profile's best agent changed. (Filed per agent, it was
    /// an insert in every cell: twenty for an agent with ten skills in two languages.) Profiles are
    /// never dropped: a profile nobody has any more keeps empty heaps.
    var profileIndex: [ProfileKey: Int32] = [:]
    var profiles: [ProfileKey] = []
    /// The cells a profile's idle agents may be found in, and the level of each cell's skill.
    var profileCells: [[Int32]] = []
    var profileCellLevels: [[UInt8]] = []
    /// The cells in use (some bucket files there) whose queues a profile could serve (its
    /// languages × "any skill", one or two of its skills; see `profileQueueMask`), each beside the
    /// queue heaps (channel × level) its skill level allows. A profile with ten skills in three
    /// languages could serve 168 cells, most of them pairs of skills no contact asks for together;
    /// the freed-capacity search need not look at those. Built with the profile, and grown when a
    /// cell comes into use (`startUsing`).
    var profileUsedQueues: [[UsedQueueCell]] = []
    /// Per cell: some bucket files its contacts there. Never goes back to false.
    var cellUsed: [Bool] = []
    /// Likewise for idle agents: the part of `profileCells` (and levels) that some bucket searches
    /// for idle agents. A profile is filed only there: with a language on every contact, the
    /// "any language" cells are never searched, and with a skill on every contact neither are the
    /// "any skill" ones. A cell searched for the first time takes in every profile that has it
    /// (`startSearching`).
    var profileFiledCells: [[Int32]] = []
    var profileFiledLevels: [[UInt8]] = []
    var cellSearched: [Bool] = []
    /// Idle agents per profile and spare-capacity class (`profile × classes + class`), by the
    /// shared part of their key, with lazy deletion; the first entry is always live.
    var profileHeaps: [IdleHeap] = []
    /// Per profile and class, the membership of each of its filed cells (parallel to
    /// `profileFiledCells`) in that cell's idle heap; -1 while the profile has nobody there.
    var profileMembers: [[Int32]] = []
    /// Per profile and class, the greatest `idleHeld` of its memberships (`AgentKey.unfiled` while
    /// some cell has it unfiled): a best agent at least this far down changes no cell.
    var profileHeldMax: [AgentKey] = []
    /// Skill levels, `levelStride` bytes per agent (0: does not have the skill).
    var levelTable: [UInt8] = []
    /// The same per profile, whose agents all have its levels: the walk for idle agents keys a
    /// profile's best agent by its level in the cell's skill, and reading it here (a few hundred
    /// bytes for all profiles) rather than in that agent's row spares a cache miss per profile met.
    var profileLevelTable: [UInt8] = []
    var levelStride = 8
    var nextAgentOrder: UInt64 = 0

    @usableFromInline var contactIndex = ContactSlots()
    var contacts: [ContactRecord] = []
    var freeContactSlots: [Int32] = []

    var signatureIndex: [SignatureKey: Int32] = [:]
    var signatures: [Signature] = []
    /// Per signature: what every arrival reads of it (see `SignatureSummary`).
    var signatureSummaries: [SignatureSummary] = []
    var bucketIndex: [BucketKey: Int32] = [:]
    var buckets: [Bucket] = []
    var bucketHeaps: [BinaryHeap<WaitingEntry>] = []
    /// Per bucket: its first contact is reserved by an agent (see `noteTopReservation`).
    var bucketTopReserved: [Bool] = []
    /// Agents holding a reservation: while 0, no bucket's first contact can be reserved, and
    /// keeping `bucketTopReserved` costs no read of the contact.
    var reservationCount = 0
    /// One cell per language a bucket accepts, and its membership in each while non-empty, every
    /// bucket's in one array (from `Bucket.queueCells`).
    var bucketQueueCells: [QueueCellMembership] = []
    /// The cells searched for idle agents for each bucket (one per language, its most demanding
    /// skill), every bucket's in one array: from `Bucket.agentCells`, their count, then the cells.
    var bucketAgentCells: [Int32] = []

    var cellIndex: [UInt64: Int32] = [:]
    var cells: [Cell] = []
    /// Each cell's queue heaps (see `Cell`), `Cell.queueCount` per cell from `cell * Cell.queueCount`:
    /// in one array rather than one per cell, so reaching a heap's entries is one load fewer.
    var cellQueues: [IndexedHeap<OrderKey>] = []
    /// Idle agents per cell and spare-capacity class (`idleHeapIndex`): the profiles filed there,
    /// each under its best agent's key in the cell *or a smaller one*. A profile's best agent
    /// getting better is filed in every cell at once; getting worse (it took work: the usual case)
    /// is filed in no cell, and the walk for idle agents puts right each stale key it meets
    /// (`findAgent`). So an offer costs no cell updates, and a cell nobody searches before the
    /// next change costs nothing. A profile alone in a cell (a one-skill centre's only profile)
    /// keeps no key there at all: the walk goes straight to the profile's own heap. One flat array
    /// so a search touches one level of storage.
    var idleHeaps: [IndexedHeap<AgentKey>] = []
    /// Per membership (a profile and class in one cell): its position in the cell's heap, and the
    /// profile key (`-indexShared`, order) its cell key was made from (`AgentKey.unfiled`: none).
    var idlePositions: [Int32] = []
    var idleHeld: [AgentKey] = []
    /// Stale memberships the walk met (cell heap, member), put right once the walk is over.
    var idleRepairs: [(heap: Int32, member: Int32)] = []
    /// Dense copies of what the cells hold, so the freed-capacity search reads a few cache lines:
    /// per cell, which queue heaps hold any bucket (bit channel × 10 + level − 1).
    var cellNonEmpty: [UInt64] = []
    /// Each queue heap's first key, by level then channel (`topIndex(cell:queue:)`: cell × 40 +
    /// (level − 1) × 4 + channel), so the four channels of a level sit side by side: most lines
    /// ask for level 1, and agents of every level read the same cache line of a cell.
    var queueTops: [OrderKey] = []
    /// Per cell, the queue heaps that hold one bucket whose first contact an agent has reserved
    /// (see `noteLoneReservation`): a line the freed-capacity walk of an agent it is too big for
    /// would only take out and skip. A bit beside `cellNonEmpty`, where the walk read the cell's
    /// queue, its heap and the bucket's flag (two dependent misses on most searches).
    var cellLoneReserved: [UInt64] = []
    /// Heap index of each membership (an agent or bucket filed in one cell); -1 when free.
    var positions: [Int32] = []
    var freeMembers: [Int32] = []

    var timers = TimerQueue(laneCount: 1)
    var timerSeq: UInt64 = 0

    let steps: [StepRule]
    let minimumCost: Int32
    /// The distinct channel costs, ascending: the spare-capacity classes of the idle-agent heaps.
    let classCosts: [Int32]
    /// Capacity cost by channel index.
    let channelCosts: [Int32]
    /// By channel index: service-level offset of the order key minus `reserveCapacityAfter`. A
    /// waiting contact whose order key exceeds `now` plus this cannot yet have waited long enough
    /// to reserve capacity (its arrival is at least its key minus the offset), so the head-of-line
    /// search never looks at it.
    let reservationKeyOffsets: [Int64]

    /// Offers carry the best few candidates and their scores (`Explanation.candidates`). A caller
    /// that never reads offers (the simulator, whose agents accept at once) turns it off: no agent
    /// names are copied and no score is computed only to be explained, and the search for the best
    /// idle agent stops as soon as nobody left can beat the best so far rather than the third
    /// best. Every decision is the same either way; `considered` then counts only what was looked at.
    public var explainsOffers = true
    /// Every agent accepts every offer the instant it is made (the simulator's agents do): the
    /// router accepts for them as it makes the offer, exactly as `accept` would at that moment (an
    /// offer a timer makes inside `advance` at the timer's time), and appends `assigned` right
    /// after the offer. The `offered` event itself is built only when
    /// `explainsOffers` is on (somebody reads offers). No offer timeout is scheduled: none could
    /// come due, and a million dead timers cost a million pops.
    public var offersAcceptedAtOnce = false
    /// `agentStateChanged` events are appended. A caller that neither publishes agent states nor
    /// counts staffed capacity from them (the simulator) turns it off: two or three events per
    /// contact, each with a copy of the agent's name, that nobody reads. The agents' states are
    /// kept and every decision is the same either way.
    public var reportsAgentStates = true

    // Scratch space reused across calls so decisions allocate nothing.
    var search = FrontierHeap<FrontierEntry>()
    /// `findContact`'s scratch: the cells the agent's profile uses that have a live queue heap it
    /// may take from (packed to the front), and those heaps.
    var scanLive: [UInt64] = []
    var scanCells: [Int32] = []
    var agentSearch = FrontierHeap<AgentFrontier>()
    /// The best candidates of the decision being made, gathered by the search (`findAgent`,
    /// `offerFromLine`) for `makeOffer` to explain the offer with (only while `explainsOffers`).
    var offerCandidates = TopCandidates()

    var waitingCount = 0
    /// Requirements seen recently and their signature, `requestCacheSize` per channel in sets of
    /// two (the more recently used first), the set chosen by a cheap hash of the names
    /// (`requestCacheSlot`). A centre asks for a few hundred combinations of language and skills
    /// over and over; a hit skips hashing every skill name and the signature in `Dictionary`s.
    /// Two ways, because with one, combinations that share a slot evict each other in turn: the
    /// peak-season day's 240 per channel missed in 26 % of pushes with 256 slots of one way, and
    /// in 5 % with 256 sets of two (the sets that three or more of them hash to), each miss a
    /// signature lookup of several cache misses; with 1,024 sets of two, only the first push of each
    /// combination misses (960 of the two-hour copy's 316,318 pushes).
    var requestCache: [RecentRequest?] = Array(repeating: nil, count: 4 * Router.requestCacheSize)
    static let requestCacheSize = 2048
    /// Agents whose reservation ended because their contact went elsewhere: they take work again
    /// once the operation in progress is done with its own offers.
    var releasedReservations: [Int32] = []

    public init(policy: RoutingPolicy = RoutingPolicy()) throws(SwitchboardError) {
        try policy.validate()
        self.policy = policy
        var rules = [StepRule(after: .zero, levelDrop: 0, preferredRequired: policy.relaxation.contains(where: \.dropPreferredSkills), widened: false)]
        for step in policy.relaxation {
            var r = rules[rules.count - 1]
            r.after = step.after
            r.levelDrop += step.lowerMinimumLevelsBy
            if step.dropPreferredSkills { r.preferredRequired = false }
            if step.widenLanguage { r.widened = true }
            rules.append(r)
        }
        self.steps = rules
        self.timers = TimerQueue(laneCount: TimerLane.relaxation(step: 0) + rules.count)
        self.minimumCost = Int32(Channel.allCases.map { policy.capacityCost[$0] }.min() ?? 1)
        self.classCosts = Set(Channel.allCases.map { Int32(policy.capacityCost[$0]) }).sorted()
        self.channelCosts = Channel.allCases.map { Int32(policy.capacityCost[$0]) }
        self.reservationKeyOffsets = Channel.allCases.map { ch in
            let sl = Int64(policy.serviceLevelWeight * Double(policy.serviceLevelTarget[ch].microseconds))
            let after = policy.reserveCapacityAfter[ch].microseconds
            return after > Int64.max / 4 ? Int64.min / 4 : sl &- after
        }
    }

    /// Sizes the tables for this many contacts in flight (waiting, offered or assigned) and agents,
    /// so a simulation or a large centre does not pay for growing them during a run.
    public mutating func reserveCapacity(contacts contactCount: Int, agents agentCount: Int) {
        contactIndex.reserveCapacity(contactCount)
        contacts.reserveCapacity(contactCount)
        freeContactSlots.reserveCapacity(contactCount)
        timers.reserveCapacity(perLane: contactCount / 4)
        agentIndex.reserveCapacity(agentCount)
        agents.reserveCapacity(agentCount)
        agentIDs.reserveCapacity(agentCount)
        agentActive.reserveCapacity(agentCount * Self.activeInline)
        agentActiveSpill.reserveCapacity(agentCount)
    }

    // MARK: - Queries

    /// The earliest time something is due (offer timeout, wrap-up end, relaxation step, re-offer
    /// cooldown). Timers that no longer matter are dropped on the way, hence `mutating`.
    public var nextDeadline: Instant? {
        mutating get {
            while let t = timers.min {
                if timerIsLive(t) { return t.at }
                timers.popMin()
            }
            return nil
        }
    }

    /// How many contacts wait (not offered, not assigned).
    public var waitingContacts: Int { waitingCount }

    /// The slot of a contact the router holds (waiting, offered or assigned), nil for any other:
    /// a small index, dense from 0, that the router gives another contact only after this one
    /// leaves (completed or removed). A caller keeps its own data per contact in an array by it
    /// (the engine does), rather than in a second map keyed by id. Inlinable: called from another
    /// module's mutating method, a call would copy the whole router first.
    @inlinable public func slot(of contact: ContactID) -> Int? {
        contactIndex[contact].map { Int($0) }
    }

    /// Starts loading into cache the record of `contact`, in `slot`, which the caller will
    /// complete or end next (the simulator, one event ahead), and where its id is looked up:
    /// written minutes ago, both are long out of cache, and each load would otherwise stall the
    /// operation. A hint; changes nothing, whatever the slot. (Mutating only so that a call from
    /// another module passes the router by reference rather than copying it.)
    public mutating func prefetch(slot: Int, contact: ContactID) {
        contactIndex.map.prefetch(contact.rawValue)
        contacts.withUnsafeBufferPointer { c in
            guard let base = c.baseAddress, slot >= 0 && slot < c.count else { return }
            let record = UnsafeRawPointer(base + slot)
            sb_prefetch(record)
            sb_prefetch(record + MemoryLayout<ContactRecord>.size - 1)
        }
    }

    /// Starts loading into cache the agent record the earliest timer reads when it is a wrap-up
    /// end (the agent's units come free and it takes work at once), for a caller that knows the
    /// timer is its next step. A hint; changes nothing.
    public mutating func prefetchNextTimer() {
        guard let t = timers.min, t.kind == .wrapUpEnd else { return }
        agents.withUnsafeBufferPointer { a in
            guard let base = a.baseAddress, Int(t.slot) < a.count else { return }
            let record = UnsafeRawPointer(base + Int(t.slot))
            sb_prefetch(record)
            sb_prefetch(record + MemoryLayout<AgentRecord>.size - 1)
        }
    }

    /// Where a contact stands, or nil if the router does not know it.
    public func phase(of contact: ContactID) -> ContactPhase? {
        guard let slot = contactIndex[contact] else { return nil }
        let c = contacts[Int(slot)]
        switch c.phase {
        case .waiting: return .waiting(step: Int(c.step))
        case .offered: return .offered(to: agentIDs[Int(c.agent)], expiresAt: c.expiresAt)
        case .assigned: return .assigned(to: agentIDs[Int(c.agent)])
        case .free: return nil
        }
    }

    /// A waiting contact's position among contacts with the same effective requirements, and an
    /// estimate of its wait from how fast that line has been moving. O(1) for the contact at the
    /// back of its line (a new arrival, usually, so nearly every PushContact answer); otherwise
    /// O(length of that line).
    public func position(of contact: ContactID) -> QueuePosition? {
        guard let slot = contactIndex[contact] else { return nil }
        let c = contacts[Int(slot)]
        guard c.phase == .waiting else { return nil }
        let b = buckets[Int(c.bucket)]
        let mine = WaitingEntry(key: c.orderKey, id: c.id.rawValue, slot: slot, version: c.version)
        let ahead = mine.order < b.backOfLine ? countAhead(of: mine, in: Int(c.bucket)) : b.live - 1
        var estimate: Span? = nil
        if b.lastDeparture != nil, b.departureGap > 0 {
            estimate = Span(microseconds: Int64(b.departureGap * Double(ahead + 1)))
        }
        return QueuePosition(position: ahead + 1, estimatedWait: estimate, queueLength: b.live)
    }

    /// The live entries of bucket `bucket` ordered before `mine`: a plain scan of the line's heap.
    /// (A walk from the heap's root that stops behind `mine` visits fewer entries, but costs more
    /// per entry; it lost to the scan for a contact in the middle of a 100k line.)
    func countAhead(of mine: WaitingEntry, in bucket: Int) -> Int {
        var ahead = 0
        for e in bucketHeaps[bucket].storage where e < mine && contacts[Int(e.slot)].version == e.version && contacts[Int(e.slot)].id.rawValue == e.id {
            ahead += 1
        }
        return ahead
    }

    /// One agent's state and load, or nil if it never logged in.
    public func agent(_ id: AgentID) -> AgentSnapshot? {
        guard let slot = agentIndex[id] else { return nil }
        let a = agents[Int(slot)]
        return AgentSnapshot(
            id: id, state: a.shownState, capacity: Int(a.capacity), load: Int(a.load),
            offered: Int(a.offeredCount), assigned: Int(a.activeCount - a.offeredCount),
            missedOffersInARow: Int(a.missedInARow), wrapUpUntil: a.wrapUpUntil)
    }

    /// Queue depths, longest waits and agents by state. O(contacts + agents): for dashboards, not hot paths.
    public func stats(at now: Instant) -> RoutingStats {
        var s = RoutingStats()
        for c in contacts {
            switch c.phase {
            case .waiting:
                s.waiting[c.channel] += 1
                let w = now - c.arrivedAt
                if w > s.longestWait[c.channel] { s.longestWait[c.channel] = w }
            case .offered: s.offered += 1
            case .assigned: s.assigned += 1
            case .free: break
            }
        }
        for state in AgentState.allCases { s.agentsByState[state] = 0 }
        for a in agents { s.agentsByState[a.shownState, default: 0] += 1 }
        return s
    }

    /// The agent's active contacts (slots), in list order.
    func activeSlots(of a: Int32) -> [Int32] {
        (0..<Int(agents[Int(a)].activeCount)).map { activeSlot(of: a, at: $0) }
    }

    /// The agent's `i`th active contact (slot).
    @inline(__always) func activeSlot(of a: Int32, at i: Int) -> Int32 {
        i < Self.activeInline ? agentActive[Int(a) &* Self.activeInline &+ i] : agentActiveSpill[Int(a)][i - Self.activeInline]
    }

    /// The contacts offered or assigned to an agent.
    public func contacts(of agent: AgentID) -> [ContactID] {
        guard let slot = agentIndex[agent] else { return [] }
        return activeSlots(of: slot).map { contacts[Int($0)].id }
    }
}
