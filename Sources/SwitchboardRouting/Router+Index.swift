import SwitchboardDomain

// The index: interning, cells, buckets, memberships, and the two searches.
extension Router {
    // MARK: Interning

    mutating func internSkill(_ name: String, field: String) throws(SwitchboardError) -> Int32 {
        if let i = skillIndex[name] {
            guard i != 0 else { throw .invalidArgument("a skill name must not be empty", field: field) }
            return i
        }
        guard name.utf8.count <= 128 else { throw .invalidArgument("skill names are at most 128 bytes", field: field) }
        guard skillNames.count < 65_535 else {
            throw SwitchboardError(.resourceExhausted, "at most 65,534 distinct skills are supported; reuse existing skill names", field: field)
        }
        let i = Int32(skillNames.count)
        skillNames.append(name)
        profilesWithSkill.append([])
        skillIndex[name] = i
        return i
    }

    mutating func internLanguage(_ name: String?, field: String) throws(SwitchboardError) -> Int32 {
        guard let name else { return 0 }
        if let i = languageIndex[name] {
            guard i != 0 else { throw .invalidArgument("a language must not be empty; leave it out to accept any language", field: field) }
            return i
        }
        guard name.utf8.count <= 64 else { throw .invalidArgument("language tags are at most 64 bytes", field: field) }
        guard languageNames.count < LanguageSet.maximumCount else {
            throw SwitchboardError(.resourceExhausted, "at most \(LanguageSet.maximumCount - 1) distinct languages are supported; use shorter tags (`es` rather than `es-419`)", field: field)
        }
        let i = Int32(languageNames.count)
        languageNames.append(name)
        languageIndex[name] = i
        return i
    }

    /// The `cellIndex` key of a language and one or two skills.
    @inline(__always) static func cellIndexKey(language: Int32, skillA: Int32, skillB: Int32 = 0) -> UInt64 {
        UInt64(UInt32(language)) << 40 | UInt64(UInt32(skillA)) << 20 | UInt64(UInt32(skillB))
    }

    mutating func cellFor(language: Int32, skillA: Int32, skillB: Int32 = 0) -> Int32 {
        let k = Self.cellIndexKey(language: language, skillA: skillA, skillB: skillB)
        if let c = cellIndex[k] { return c }
        let c = Int32(cells.count)
        cells.append(Cell(language: language, skillA: skillA, skillB: skillB))
        cellQueues.append(contentsOf: repeatElement(IndexedHeap(), count: Cell.queueCount))
        idleHeaps.append(contentsOf: repeatElement(IndexedHeap(), count: classCosts.count))
        cellIndex[k] = c
        cellNonEmpty.append(0)
        cellLoneReserved.append(0)
        cellUsed.append(false)
        cellSearched.append(false)
        queueTops.append(contentsOf: repeatElement(OrderKey(key: .max, id: .max), count: Cell.queueCount))
        return c
    }

    mutating func allocateMember() -> Int32 {
        if let m = freeMembers.popLast() { return m }
        positions.append(-1)
        return Int32(positions.count - 1)
    }

    // MARK: Signatures and buckets

    mutating func signature(for key: SignatureKey) throws(SwitchboardError) -> Int32 {
        if let s = signatureIndex[key] { return s }
        var stepBuckets: [Int32] = []
        stepBuckets.reserveCapacity(steps.count)
        for rule in steps {
            var bk = BucketKey(channel: key.channel, languages: LanguageSet(), target: key.target, requirements: .zero)
            if key.target >= 0 {
                bk.languages.insert(0)
            } else {
                bk.languages.insert(key.language)
                if rule.widened && key.language != 0 {
                    for fallback in policy.languageFallbacks[languageNames[Int(key.language)]] ?? [] {
                        bk.languages.insert(try internLanguage(fallback, field: "language_fallbacks.\(languageNames[Int(key.language)])"))
                    }
                }
                for i in 0..<16 where key.required[i] != 0 {
                    let v = key.required[i]
                    bk.requirements.merge(skill: Int32(v >> 8), level: max(1, Int(v & 0xFF) - rule.levelDrop))
                }
                if rule.preferredRequired {
                    for i in 0..<16 where key.preferred[i] != 0 {
                        let v = key.preferred[i]
                        bk.requirements.merge(skill: Int32(v >> 8), level: Int(v & 0xFF))
                    }
                }
            }
            stepBuckets.append(bucket(for: bk))
        }
        let s = Int32(signatures.count)
        signatures.append(Signature(key: key, stepBuckets: stepBuckets))
        signatureSummaries.append(SignatureSummary(signatures[Int(s)]))
        signatureIndex[key] = s
        return s
    }

    mutating func bucket(for key: BucketKey) -> Int32 {
        if let b = bucketIndex[key] { return b }
        let channel = Channel.allCases[Int(key.channel)]
        // The two most demanding skills (highest minimum level, then lowest index) name the queue
        // cells; the most demanding one alone names the cells searched for idle agents.
        var first: (skill: Int32, level: Int) = (0, 0)
        var second: (skill: Int32, level: Int) = (0, 0)
        for i in 0..<16 where key.requirements[i] != 0 {
            let r = (skill: Int32(key.requirements[i] >> 8), level: Int(key.requirements[i] & 0xFF))
            if r.level > first.level {
                second = first
                first = r
            } else if r.level > second.level {
                second = r
            }
        }
        let pair = second.skill != 0 && second.skill < first.skill ? (a: second, b: first) : (a: first, b: second)
        var queueCells: [Int32] = []
        var agentCells: [Int32] = []
        if key.target < 0 {
            var langs: [Int32] = []
            key.languages.forEach { langs.append($0) }
            for l in langs {
                let cell = cellFor(language: l, skillA: pair.a.skill, skillB: pair.b.skill)
                queueCells.append(cell)
                let searched = cellFor(language: l, skillA: first.skill)
                agentCells.append(searched)
                if !cellSearched[Int(searched)] { startSearching(cell: searched) }
                if !cellUsed[Int(cell)] { startUsing(cell: cell) }
            }
        }
        let b = Int32(buckets.count)
        var record = Bucket(
            key: key, cost: Int32(policy.capacityCost[channel]),
            queue: Int32(Cell.queue(channel: channel.index, level: pair.a.level)))
        record.queueCells = Int32(bucketQueueCells.count)
        record.queueCellCount = Int32(queueCells.count)
        bucketQueueCells.append(contentsOf: queueCells.map { QueueCellMembership(cell: $0, member: -1) })
        record.agentCells = Int32(bucketAgentCells.count)
        bucketAgentCells.append(Int32(agentCells.count))
        bucketAgentCells.append(contentsOf: agentCells)
        buckets.append(record)
        bucketHeaps.append(BinaryHeap())
        bucketTopReserved.append(false)
        bucketIndex[key] = b
        if key.target >= 0 { agents[Int(key.target)].personalBuckets[Int(key.channel)] = b }
        return b
    }

    /// Files a bucket in its cells under its first contact's key, or takes it out when empty.
    mutating func refreshBucketIndex(_ b: Int32) {
        let bi = Int(b)
        // Every cell this touches is noted below (`noteQueueTop`), lone-reservation bit included.
        noteTopReservation(b, inCells: false)
        let first = Int(buckets[bi].queueCells)
        let end = first &+ Int(buckets[bi].queueCellCount)
        let q = Int(buckets[bi].queue)
        guard let top = bucketHeaps[bi].min else {
            if buckets[bi].registered {
                for k in first..<end {
                    let m = bucketQueueCells[k].member
                    let c = Int(bucketQueueCells[k].cell)
                    cellQueues[c &* Cell.queueCount &+ q].remove(member: m, positions: &positions)
                    noteQueueTop(cell: c, queue: q)
                    freeMembers.append(m)
                    bucketQueueCells[k].member = -1
                }
                buckets[bi].registered = false
            }
            return
        }
        if buckets[bi].registered {
            for k in first..<end {
                let c = Int(bucketQueueCells[k].cell)
                cellQueues[c &* Cell.queueCount &+ q].update(member: bucketQueueCells[k].member, key: top.order, positions: &positions)
                noteQueueTop(cell: c, queue: q)
            }
        } else {
            for k in first..<end {
                let m = allocateMember()
                let c = Int(bucketQueueCells[k].cell)
                bucketQueueCells[k].member = m
                cellQueues[c &* Cell.queueCount &+ q].insert(top.order, owner: b, member: m, positions: &positions)
                noteQueueTop(cell: c, queue: q)
            }
            buckets[bi].registered = true
        }
    }

    /// Mirrors whether a bucket's first contact is reserved by an agent into the dense array the
    /// head-of-line search reads (one byte, instead of the bucket, its heap and the contact), and
    /// `inCells`, into the lone-reservation bits of the bucket's cells.
    @inline(__always) mutating func noteTopReservation(_ b: Int32, inCells: Bool = true) {
        let bi = Int(b)
        let reserved = reservationCount > 0 && (bucketHeaps[bi].storage.first.map { contacts[Int($0.slot)].reservedBy >= 0 } ?? false)
        guard bucketTopReserved[bi] != reserved else { return }
        bucketTopReserved[bi] = reserved
        guard inCells && buckets[bi].registered else { return }
        let q = Int(buckets[bi].queue)
        let first = Int(buckets[bi].queueCells)
        for k in first..<(first &+ Int(buckets[bi].queueCellCount)) { noteLoneReservation(cell: Int(bucketQueueCells[k].cell), queue: q) }
    }

    /// Mirrors into `cellLoneReserved` whether queue heap `q` of cell `c` holds one bucket only,
    /// with its first contact reserved.
    @inline(__always) mutating func noteLoneReservation(cell c: Int, queue q: Int) {
        let bit = UInt64(1) << UInt64(q)
        let heap = c &* Cell.queueCount &+ q
        if cellQueues[heap].count == 1 && bucketTopReserved[Int(cellQueues[heap].entries[0].owner)] {
            cellLoneReserved[c] |= bit
        } else {
            cellLoneReserved[c] &= ~bit
        }
    }

    /// Mirrors a queue heap's first key and emptiness into the dense arrays the search reads.
    ///
    /// (Each channel's least first key over levels 1 through L, for every L, was kept here too,
    /// for agents of higher levels to read one key per channel: nearly every line asks for one
    /// level, where that minimum is the queue's own first key, and keeping it wrote up to nine
    /// cache lines at each change of a first key.)
    @inline(__always) mutating func noteQueueTop(cell c: Int, queue q: Int) {
        let bit = UInt64(1) << UInt64(q)
        if let first = cellQueues[c &* Cell.queueCount &+ q].entries.first {
            queueTops[Self.topIndex(cell: c, queue: q)] = first.key
            cellNonEmpty[c] |= bit
        } else {
            queueTops[Self.topIndex(cell: c, queue: q)] = OrderKey(key: .max, id: .max)
            cellNonEmpty[c] &= ~bit
        }
        noteLoneReservation(cell: c, queue: q)
    }

    /// Where queue heap `q` (channel × 10 + level − 1) of cell `c` keeps its first key in `queueTops`.
    @inline(__always) static func topIndex(cell c: Int, queue q: Int) -> Int {
        c &* Cell.queueCount &+ (q % 10) &* 4 &+ q / 10
    }

    @inline(__always) func entryIsLive(_ e: WaitingEntry) -> Bool {
        let c = contacts[Int(e.slot)]
        return c.version == e.version && c.id.rawValue == e.id && c.phase == .waiting
    }

    /// Drops dead entries from the top of a bucket and compacts it when dead ones outnumber the living.
    mutating func cleanBucket(_ b: Int32) {
        let bi = Int(b)
        let oldTop = bucketHeaps[bi].min
        while let top = bucketHeaps[bi].min, !entryIsLive(top) {
            bucketHeaps[bi].popMin()
        }
        if bucketHeaps[bi].count > 2 * buckets[bi].live + 64 {
            let table = contacts  // shares storage: nothing writes contacts during the filter
            bucketHeaps[bi].filter { e in
                let c = table[Int(e.slot)]
                return c.version == e.version && c.id.rawValue == e.id && c.phase == .waiting
            }
        }
        if oldTop != bucketHeaps[bi].min || (bucketHeaps[bi].isEmpty == buckets[bi].registered) {
            refreshBucketIndex(b)
        }
    }

    /// Puts a contact in its bucket (the contact's `bucket` must be set).
    mutating func insertWaiting(_ slot: Int32) {
        let c = contacts[Int(slot)]
        let bi = Int(c.bucket)
        let entry = WaitingEntry(key: c.orderKey, id: c.id.rawValue, slot: slot, version: c.version)
        let wasTop = bucketHeaps[bi].min
        bucketHeaps[bi].insert(entry)
        buckets[bi].live += 1
        if buckets[bi].backOfLine < entry.order { buckets[bi].backOfLine = entry.order }
        if c.excludedAgent >= 0 { buckets[bi].excludedLive += 1 }
        waitingCount += 1
        if wasTop == nil || entry < wasTop! { refreshBucketIndex(c.bucket) }
    }

    /// Takes a waiting contact out of its bucket (it stays in the heap as a dead entry until popped).
    mutating func removeWaiting(_ slot: Int32, now: Instant, departed: Bool) {
        let si = Int(slot)
        let b = contacts[si].bucket
        contacts[si].version &+= 1
        contacts[si].phase = .free
        buckets[Int(b)].live -= 1
        if contacts[si].excludedAgent >= 0 { buckets[Int(b)].excludedLive -= 1 }
        waitingCount -= 1
        if departed {
            if let last = buckets[Int(b)].lastDeparture {
                let gap = Double((now - last).microseconds)
                buckets[Int(b)].departureGap = buckets[Int(b)].departureGap == 0 ? gap : 0.8 * buckets[Int(b)].departureGap + 0.2 * gap
            }
            buckets[Int(b)].lastDeparture = now
        }
        cleanBucket(b)
    }

    // MARK: Agent index

    @inline(__always) func level(_ agent: Int32, _ skill: Int32) -> Int {
        Int(skill) < levelStride ? Int(levelTable[Int(agent) &* levelStride &+ Int(skill)]) : 0
    }

    /// Profile `p`'s level in `skill` (0: it does not have the skill), and so every one of its
    /// agents' (`level`): its row of `profileLevelTable`, which the invariants check against its key.
    @inline(__always) func level(profile p: Int, _ skill: Int32) -> Int {
        Int(skill) < levelStride ? Int(profileLevelTable[p &* levelStride &+ Int(skill)]) : 0
    }

    /// Makes room in the level table for skill indexes below `needed`.
    mutating func growLevelTable(toHold needed: Int) {
        guard needed > levelStride else { return }
        var stride = levelStride
        while stride < needed { stride *= 2 }
        var table = [UInt8](repeating: 0, count: agents.count * stride)
        for a in 0..<agents.count {
            for s in 0..<levelStride { table[a * stride + s] = levelTable[a * levelStride + s] }
        }
        var profileTable = [UInt8](repeating: 0, count: profiles.count * stride)
        for p in 0..<profiles.count {
            for s in 0..<levelStride { profileTable[p * stride + s] = profileLevelTable[p * levelStride + s] }
        }
        levelTable = table
        profileLevelTable = profileTable
        levelStride = stride
    }

    /// Available, not holding its units back for a reserved contact, and with room for the cheapest channel.
    @inline(__always) func isRoutable(_ a: Int32) -> Bool {
        let r = agents[Int(a)]
        return r.status == .available && r.reservedFor < 0 && r.capacity - r.load >= minimumCost
    }

    /// 1 + the index of the largest channel cost that fits in `spare` units (0: nothing fits).
    @inline(__always) func capacityClass(spare: Int32) -> Int {
        var k = 0
        while k < classCosts.count && classCosts[k] <= spare { k += 1 }
        return k
    }

    // MARK: Profiles

    /// The profile of agents with these languages and skills, made the first time it is seen: its
    /// cells, and the queue cells in use it may take from with their masks.
    ///
    /// A cell of two skills is made only when a bucket files there (`bucket(for:)`), never for a
    /// profile: a profile with ten skills in two languages could take from 90 such cells, most of
    /// them pairs no contact asks for, and made for every profile they outnumbered the cells in
    /// use ten to one. Every array by cell then held mostly cells nobody reads, between those the
    /// freed-capacity search reads on every call, one cache line each.
    mutating func profileFor(_ key: ProfileKey, languages langIDs: [Int32], skills skillIDs: [(Int32, Int)]) -> Int32 {
        if let p = profileIndex[key] { return p }
        let p = Int32(profiles.count)
        profiles.append(key)
        profileIndex[key] = p
        profileLevelTable.append(contentsOf: repeatElement(0, count: levelStride))
        for (s, l) in skillIDs { profileLevelTable[Int(p) * levelStride + Int(s)] = UInt8(l) }
        for (s, _) in skillIDs {
            profilesWithSkill[Int(s)].append(p)
            for lang in langIDs where lang != 0 { profilesWithLanguageSkill[Self.languageSkillKey(lang, s), default: []].append(p) }
        }
        var cellList: [Int32] = []
        var cellLevels: [UInt8] = []
        var used: [UsedQueueCell] = []
        let sortedSkills = skillIDs.sorted { $0.0 < $1.0 }
        for l in langIDs {
            let anyCell = cellFor(language: l, skillA: 0)
            cellList.append(anyCell)
            cellLevels.append(0)
            if cellUsed[Int(anyCell)] { used.append(UsedQueueCell(cell: anyCell, mask: Self.levelMask(1))) }
            for (i, (s, level)) in sortedSkills.enumerated() {
                let single = cellFor(language: l, skillA: s)
                cellList.append(single)
                cellLevels.append(UInt8(level))
                if cellUsed[Int(single)] { used.append(UsedQueueCell(cell: single, mask: Self.levelMask(level))) }
                for (s2, _) in sortedSkills[(i + 1)...] {
                    if let pair = cellIndex[Self.cellIndexKey(language: l, skillA: s, skillB: s2)], cellUsed[Int(pair)] {
                        used.append(UsedQueueCell(cell: pair, mask: Self.levelMask(level)))
                    }
                }
            }
        }
        profileCells.append(cellList)
        profileCellLevels.append(cellLevels)
        profileUsedQueues.append(used)
        var filedCells: [Int32] = []
        var filedLevels: [UInt8] = []
        for (k, c) in cellList.enumerated() where cellSearched[Int(c)] {
            filedCells.append(c)
            filedLevels.append(cellLevels[k])
        }
        profileFiledCells.append(filedCells)
        profileFiledLevels.append(filedLevels)
        for _ in classCosts {
            profileHeaps.append(IdleHeap())
            profileMembers.append(Array(repeating: -1, count: filedCells.count))
            profileHeldMax.append(.unfiled)
        }
        return p
    }

    /// Keeps the agent filed exactly while it could take something, in its profile's heap of its
    /// spare-capacity class and under its current key. Its old entry dies by version; the cells
    /// hear of it only if the profile's best agent changed (`syncProfileTop`).
    ///
    /// When the agent stays in the same class under the same key (a contact completed into
    /// wrap-up: the units stay taken, nothing else moved), its entry is already right and nothing
    /// is re-filed.
    mutating func refreshAgentIndex(_ slot: Int32) {
        let ai = Int(slot)
        let a = agents[ai]
        let cls = a.status == .available && a.reservedFor < 0 ? capacityClass(spare: a.capacity - a.load) : 0
        // The index score differs between the agent's cells only by the skill level term.
        let shared = indexShared(a)
        if a.indexed && Int(a.heapClass) == cls && a.indexedShared == shared { return }
        let classes = classCosts.count
        let p = Int(agentProfile[ai])
        agents[ai].indexVersion &+= 1
        agents[ai].indexed = cls > 0
        agents[ai].heapClass = Int8(cls)
        if a.indexed {
            let old = p &* classes &+ Int(a.heapClass) &- 1
            profileHeaps[old].live -= 1
            if Int(a.heapClass) != cls { syncProfileTop(old, profile: p, class: Int(a.heapClass) &- 1) }
        }
        guard cls > 0 else { return }
        agents[ai].indexedShared = shared
        let ph = p &* classes &+ cls &- 1
        let entry = IdleEntry(key: AgentKey(negatedScore: -shared, order: a.order), agent: slot, version: agents[ai].indexVersion)
        // A new entry behind a live first one changes nothing the cells see (unless the heap is
        // due for compaction).
        let unchanged = profileHeaps[ph].heap.storage.first.map { $0 < entry && idleEntryIsLive($0) } ?? false
        profileHeaps[ph].heap.insert(entry)
        profileHeaps[ph].live += 1
        if !unchanged || profileHeaps[ph].heap.count > 2 * profileHeaps[ph].live + 32 { syncProfileTop(ph, profile: p, class: cls &- 1) }
    }

    /// A profile filed in at most this many cells keeps every cell's key exact: re-keying one or
    /// two cells at each change costs less than walks meeting stale keys (a one-skill centre).
    static let exactProfileCells = 2

    /// Drops dead entries from the top of a profile's heap (compacting it when the dead outnumber
    /// the living) and, when its best agent is now ahead of the key some cell holds for it, files
    /// it under the new key there. A best agent that fell behind (or a profile with nobody left)
    /// changes no cell: the walk for idle agents re-keys what it meets (`repairIdleMembers`);
    /// except in a profile of few cells (`exactProfileCells`), whose cells follow every change.
    mutating func syncProfileTop(_ ph: Int, profile p: Int, class h: Int) {
        while let root = profileHeaps[ph].heap.min, !idleEntryIsLive(root) {
            profileHeaps[ph].heap.popMin()
        }
        if profileHeaps[ph].heap.count > 2 * profileHeaps[ph].live + 32 { compactIdleHeap(ph) }
        let top = profileHeaps[ph].heap.min?.key ?? .unfiled
        let classes = classCosts.count
        let n = profileFiledCells[p].count
        let exact = n <= Self.exactProfileCells
        guard top < profileHeldMax[ph] || (exact && top != profileHeldMax[ph]) else { return }
        for i in 0..<n {
            let m = profileMembers[ph][i]
            if m >= 0 {
                let held = idleHeld[Int(m)]
                if exact ? held == top : !(top < held) { continue }
            } else if top == .unfiled {
                continue
            }
            let heap = Int(profileFiledCells[p][i]) &* classes &+ h
            // Alone in the cell: the walk reads the profile itself (`idleHeaps`).
            if m >= 0 && idleHeaps[heap].count == 1 { continue }
            let key = cellKey(top, level: profileFiledLevels[p][i])
            if m >= 0 {
                idleHeaps[heap].update(member: m, key: key, positions: &idlePositions)
                idleHeld[Int(m)] = top
            } else {
                profileMembers[ph][i] = insertIdleMember(heap: heap, key: key, owner: Int32(p), held: top)
            }
        }
        profileHeldMax[ph] = top
    }

    /// Files a profile in a cell's idle heap. A profile that was alone there held no key of
    /// interest; with company it must, so it gets its real one first.
    mutating func insertIdleMember(heap: Int, key: AgentKey, owner: Int32, held: AgentKey) -> Int32 {
        if idleHeaps[heap].count == 1 { rekeyIdleMember(heap: heap, member: idleHeaps[heap].entries[0].member) }
        let m = allocateIdleMember(held: held)
        idleHeaps[heap].insert(key, owner: owner, member: m, positions: &idlePositions)
        return m
    }

    /// Puts right the memberships a walk for idle agents found stale.
    mutating func repairIdleMembers() {
        for (heap, m) in idleRepairs { rekeyIdleMember(heap: Int(heap), member: m) }
        idleRepairs.removeAll(keepingCapacity: true)
    }

    /// Files membership `m` of cell idle heap `heap` under its profile's best agent's key now, or
    /// after every real key when nobody is left.
    mutating func rekeyIdleMember(heap: Int, member m: Int32) {
        let classes = classCosts.count
        let owner = Int(idleHeaps[heap].entries[Int(idlePositions[Int(m)])].owner)
        let cell = heap / classes
        let ph = owner &* classes &+ (heap &- cell &* classes)
        var key = AgentKey.unfiled
        var held = AgentKey.unfiled
        if let top = profileHeaps[ph].heap.min {
            let skill = cells[cell].skillA
            key = cellKey(top.key, level: skill == 0 ? 0 : UInt8(level(profile: owner, skill)))
            held = top.key
        }
        idleHeaps[heap].update(member: m, key: key, positions: &idlePositions)
        idleHeld[Int(m)] = held
        if profileHeldMax[ph] < held { profileHeldMax[ph] = held }
    }

    mutating func allocateIdleMember(held: AgentKey) -> Int32 {
        idlePositions.append(-1)
        idleHeld.append(held)
        return Int32(idlePositions.count - 1)
    }

    /// The level profile `p` has in single-skill cell `c` (0 in an "any skill" cell), or nil when
    /// `c` is not one of its cells (a language it does not speak, a skill it lacks).
    func profileCellLevel(_ p: Int, language: Int32, skill: Int32, second: Int32) -> UInt8? {
        guard second == 0, profiles[p].languages.contains(language) else { return nil }
        if skill == 0 { return 0 }
        let l = level(profile: p, skill)
        return l > 0 ? UInt8(l) : nil
    }

    /// The queue heaps (channel × level) profile `p` may take from in cell `c`, or nil when `c` is
    /// not one of its queue cells: its languages (and "any"), "any skill", each skill it has and
    /// each pair of them, at levels up to its own in the cell's first skill.
    func profileQueueMask(_ p: Int, language: Int32, skillA a: Int32, skillB b: Int32) -> UInt64? {
        guard profiles[p].languages.contains(language) else { return nil }
        if a == 0 { return b == 0 ? Self.levelMask(1) : nil }
        let la = level(profile: p, a)
        guard la > 0, b == 0 || level(profile: p, b) > 0 else { return nil }
        return Self.levelMask(la)
    }

    /// Queue heaps at levels 1 through `level`, in all four channels.
    static func levelMask(_ level: Int) -> UInt64 {
        let perChannel = (UInt64(1) << UInt64(Swift.max(1, level))) - 1
        return perChannel | perChannel << 10 | perChannel << 20 | perChannel << 30
    }

    @inline(__always) static func languageSkillKey(_ language: Int32, _ skill: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: language)) << 32 | UInt64(UInt32(bitPattern: skill))
    }

    /// The profiles that may have a cell of `language` and first skill `skill`: every profile for
    /// the "any skill" cells, those with the skill for "any language", else those with both.
    func cellProfiles(language: Int32, skill: Int32) -> [Int32] {
        if skill == 0 { return Array(0..<Int32(profiles.count)) }
        if language == 0 { return profilesWithSkill[Int(skill)] }
        return profilesWithLanguageSkill[Self.languageSkillKey(language, skill)] ?? []
    }

    /// A bucket files contacts in `cell` for the first time: every profile that may take from it
    /// starts looking there. O(profiles with its language and skill), once per cell in the router's life.
    mutating func startUsing(cell: Int32) {
        cellUsed[Int(cell)] = true
        let (language, a, b) = (cells[Int(cell)].language, cells[Int(cell)].skillA, cells[Int(cell)].skillB)
        for p in cellProfiles(language: language, skill: a) {
            if let mask = profileQueueMask(Int(p), language: language, skillA: a, skillB: b) {
                profileUsedQueues[Int(p)].append(UsedQueueCell(cell: cell, mask: mask))
            }
        }
    }

    /// A bucket searches `cell` for idle agents for the first time: every profile that has the
    /// cell lists it, and those with anybody idle are filed there at once, under their best
    /// agent's key. O(profiles with its language and skill), once per cell in the router's life.
    mutating func startSearching(cell: Int32) {
        cellSearched[Int(cell)] = true
        let (language, skill, second) = (cells[Int(cell)].language, cells[Int(cell)].skillA, cells[Int(cell)].skillB)
        let classes = classCosts.count
        for p in cellProfiles(language: language, skill: skill) {
            let pi = Int(p)
            guard let level = profileCellLevel(pi, language: language, skill: skill, second: second) else { continue }
            profileFiledCells[pi].append(cell)
            profileFiledLevels[pi].append(level)
            for h in 0..<classes {
                let ph = pi &* classes &+ h
                // Unfiled until somebody is idle in this class (then `syncProfileTop` files it).
                guard let top = profileHeaps[ph].heap.min?.key else {
                    profileMembers[ph].append(-1)
                    profileHeldMax[ph] = .unfiled
                    continue
                }
                if profileHeldMax[ph] < top { profileHeldMax[ph] = top }
                let key = cellKey(top, level: level)
                profileMembers[ph].append(insertIdleMember(heap: Int(cell) &* classes &+ h, key: key, owner: p, held: top))
            }
        }
    }

    /// The part of an idle agent's index score that is the same in all its cells: spare capacity
    /// and how long it has been idle (as `-idleSince`, so the key need not change as time passes).
    @inline(__always) func indexShared(_ a: AgentRecord) -> Double {
        let w = policy.scoring
        return w.spareCapacity * Double(a.capacity - a.load) / Double(a.capacity)
            - w.idlePerMinute * (Double(a.idleSince.microseconds) / 60_000_000)
    }

    /// A profile's key in a cell where it has `level`, from its key in its own heap (`-indexShared`
    /// and login order): the skill level term added. `.unfiled` stays `.unfiled`.
    @inline(__always) func cellKey(_ key: AgentKey, level: UInt8) -> AgentKey {
        key == .unfiled ? key : AgentKey(negatedScore: -(policy.scoring.skillLevel * Double(level) + -key.negatedScore), order: key.order)
    }

    /// Where a cell's idle heap of one capacity class sits in `idleHeaps`.
    @inline(__always) func idleHeapIndex(cell: Int, class h: Int) -> Int { cell &* classCosts.count &+ h }

    @inline(__always) func idleEntryIsLive(_ e: IdleEntry) -> Bool {
        agents[Int(e.agent)].indexVersion == e.version
    }

    mutating func compactIdleHeap(_ ph: Int) {
        let table = agents  // shares storage: nothing writes agents during the filter
        profileHeaps[ph].heap.filter { table[Int($0.agent)].indexVersion == $0.version }
    }

    // MARK: Eligibility and scoring

    /// The agent's level in `skill`, read from its profile's row when the caller knows the profile
    /// (`profile` ≥ 0): the walk for idle agents does, and the profiles' rows, a few hundred
    /// bytes, stay in cache where the agent's own row was a cache miss per candidate.
    @inline(__always) func level(_ agent: Int32, profile p: Int, _ skill: Int32) -> Int {
        p >= 0 ? level(profile: p, skill) : level(agent, skill)
    }

    /// Whether the agent (of `profile`, or -1 when the caller does not know it) has every level `requirements` asks for.
    @inline(__always) func meets(_ agent: Int32, profile p: Int = -1, _ requirements: PackedRequirements) -> Bool {
        for i in 0..<16 {
            let v = requirements[i]
            if v == 0 { return true }
            if level(agent, profile: p, Int32(v >> 8)) < Int(v & 0xFF) { return false }
        }
        return true
    }

    /// Whether agent `a` may take contact `c` (waiting in bucket `b`) right now. `profile`: the
    /// agent's, when the caller knows it (see `level(_:profile:_:)`), else -1.
    @inline(__always) func eligible(_ agentSlot: Int32, profile p: Int = -1, contact c: ContactRecord, bucket b: Int32, now: Instant) -> Bool {
        let a = agents[Int(agentSlot)]
        let bucket = buckets[Int(b)]
        guard a.status == .available, a.reservedFor < 0, a.capacity - a.load >= bucket.cost else { return false }
        if bucket.key.target >= 0 {
            guard bucket.key.target == agentSlot else { return false }
        } else {
            guard bucket.key.languages.intersects(a.languages), meets(agentSlot, profile: p, bucket.key.requirements) else { return false }
        }
        return !(c.excludedAgent == agentSlot && now < c.excludedUntil)
    }

    /// The documented scoring formula (see `ScoringWeights`). Always inlined: a call to a
    /// non-mutating method from a mutating one copies the whole router (about a kilobyte) to the stack
    /// first, and this runs for every candidate of every decision. `profile`: as for `eligible`.
    @inline(__always) func score(_ agentSlot: Int32, profile p: Int = -1, contact c: ContactRecord, now: Instant) -> Double {
        let a = agents[Int(agentSlot)]
        let w = policy.scoring
        let skills = signatureSummaries[Int(c.signature)]
        var fit = 0.0
        var n = 0
        var preferred = 0
        /// A required skill `v` (packed: skill << 8 | level) into the fit; a preferred one counted if met.
        @inline(__always) func require(_ v: UInt32) {
            fit += Double(level(agentSlot, profile: p, Int32(v >> 8)) - Int(v & 0xFF))
            n += 1
        }
        @inline(__always) func prefer(_ v: UInt32) {
            if level(agentSlot, profile: p, Int32(v >> 8)) >= Int(v & 0xFF) { preferred += 1 }
        }
        if skills.complete {
            // Every skill there is, from the dense copy (the same sums in the same order).
            if skills.required0 != 0 {
                require(skills.required0)
                if skills.required1 != 0 { require(skills.required1) }
            }
            if skills.preferred0 != 0 { prefer(skills.preferred0) }
        } else {
            let sig = signatures[Int(c.signature)].key
            for i in 0..<16 {
                if sig.required[i] == 0 { break }
                require(sig.required[i])
            }
            for i in 0..<16 {
                if sig.preferred[i] == 0 { break }
                prefer(sig.preferred[i])
            }
        }
        var s = n > 0 ? w.skillLevel * fit / Double(n) : 0
        s += w.preferredSkill * Double(preferred)
        if c.language == 0 || a.languages.contains(c.language) { s += w.exactLanguage }
        if c.affinityAgent == agentSlot && now <= c.affinityUntil { s += w.affinity }
        if c.preferredAgent == agentSlot { s += w.preferredAgent }
        s += w.idlePerMinute * Double((now - a.idleSince).microseconds) / 60_000_000
        s += w.spareCapacity * Double(a.capacity - a.load) / Double(a.capacity)
        return s
    }

    // MARK: Search: best idle agent for a contact

    /// The agent a search chose and how many it scored. The best few candidates, when offers are
    /// explained, are left in `offerCandidates` for `makeOffer` (a plain pair is cheaper to return
    /// than a struct holding three optional agent names).
    struct AgentChoice {
        var agent: Int32
        var considered: Int
    }

    /// A place in the walk for idle agents: a profile's entry in a cell's idle heap (`level` -1;
    /// it stands for the profile's best agent), or an entry deeper in a profile's heap reached
    /// through a cell where the profile has `level`.
    /// Ordered by `key` alone (the walk's `FrontierHeap`).
    struct AgentFrontier: Comparable {
        var key: AgentKey
        /// `idleHeaps` index for a cell entry, `profileHeaps` index for a profile entry.
        var heap: Int32
        var index: Int32
        /// A cell entry's cell; a profile entry's profile (its key already counts its level in the cell).
        var place: Int32
        var level: Int8
        var cls: Int8

        @inline(__always) static func < (a: Self, b: Self) -> Bool { a.key < b.key }
        @inline(__always) static func == (a: Self, b: Self) -> Bool { a.key == b.key }
    }

    /// The best eligible idle agent for the contact in `slot` (in its current bucket), or nil.
    ///
    /// Walks the idle agents of the bucket's cells (only the capacity classes with room for the
    /// contact) best-first by index key, fully scoring the first `candidateLimit` eligible agents;
    /// named agents (preferred, affinity) are checked directly. The walk goes down two kinds of
    /// heap at once: a cell's heap of profiles, each entry standing for the profile's best agent,
    /// and below each such entry that profile's own heap, whose keys differ from the cell's by the
    /// profile's skill level term there.
    mutating func findAgent(for slot: Int32, now: Instant) -> AgentChoice? {
        let c = contacts[Int(slot)]
        let b = c.bucket
        let target = buckets[Int(b)].key.target
        var tally = CandidateTally()
        let explains = explainsOffers
        if explains { offerCandidates = TopCandidates() }

        if target >= 0 {
            if eligible(target, contact: c, bucket: b, now: now) { consider(target, &tally, contact: c, now: now) }
        } else {
            // The named agents (preferred, affinity) are scored before the walk; the walk skips them.
            if c.preferredAgent >= 0 && eligible(c.preferredAgent, contact: c, bucket: b, now: now) {
                consider(c.preferredAgent, &tally, contact: c, now: now)
                tally.namedA = c.preferredAgent
            }
            if c.affinityAgent >= 0 && c.affinityAgent != c.preferredAgent && now <= c.affinityUntil
                && eligible(c.affinityAgent, contact: c, bucket: b, now: now) {
                consider(c.affinityAgent, &tally, contact: c, now: now)
                tally.namedB = c.affinityAgent
            }
            let firstClass = capacityClass(spare: buckets[Int(b)].cost) - 1
            let classes = classCosts.count
            agentSearch.reset()
            let firstCell = Int(buckets[Int(b)].agentCells) &+ 1
            for k in firstCell..<(firstCell &+ Int(bucketAgentCells[firstCell &- 1])) {
                let cell = bucketAgentCells[k]
                for h in firstClass..<classes {
                    let heap = Int(cell) &* classes &+ h
                    guard let root = idleHeaps[heap].entries.first else { continue }
                    if idleHeaps[heap].count == 1 {
                        // A profile alone in its cell: straight to its best agent, under its real key.
                        let ph = Int(root.owner) &* classes &+ h
                        guard let top = profileHeaps[ph].heap.storage.first else { continue }
                        let skill = cells[Int(cell)].skillA
                        let lv = skill == 0 ? 0 : level(profile: Int(root.owner), skill)
                        let key = cellKey(top.key, level: UInt8(lv))
                        agentSearch.insert(AgentFrontier(key: key, heap: Int32(ph), index: 0, place: root.owner, level: Int8(lv), cls: Int8(h)))
                    } else if root.key != .unfiled {
                        agentSearch.insert(AgentFrontier(key: root.key, heap: Int32(heap), index: 0, place: cell, level: -1, cls: Int8(h)))
                    }
                }
            }
            let limit = policy.candidateLimit
            let visitLimit = 4 * limit + 32
            var found = 0
            var visits = 0
            // For a contact with at most one required skill and no preferred skills, an agent's full
            // score is its index score plus terms that do not depend on the agent, except the
            // exact-language bonus and the named-agent bonuses (those agents were scored above).
            // So once the next index score cannot beat the third best found (the explanation keeps
            // three), the walk stops: exact, and usually after three eligible agents. Without
            // explanations, it stops once the next cannot beat the best: the same choice, sooner.
            let skills = signatureSummaries[Int(c.signature)]
            let exactBound = skills.required1 == 0 && skills.preferred0 == 0
            let w = policy.scoring
            let offset = w.idlePerMinute * (Double(now.microseconds) / 60_000_000) + Swift.max(0, w.exactLanguage)
                - w.skillLevel * Double(skills.required0 & 0xFF) + 1e-6
            while found < limit && visits < visitLimit, let f = agentSearch.popMin() {
                if exactBound {
                    let bound = -f.key.negatedScore + offset
                    if explains {
                        if offerCandidates.count == TopCandidates.capacity && bound < offerCandidates[TopCandidates.capacity - 1].score { break }
                    } else if tally.best >= 0 && bound < tally.bestScore {
                        break
                    }
                }
                let heap = Int(f.heap)
                let a: Int32
                let live: Bool
                let profile: Int
                if f.level < 0 {
                    // A profile in a cell: its best agent, if the cell has its key right; then the
                    // rest of the cell's heap and of the profile's.
                    let count = idleHeaps[heap].entries.count
                    let l = 2 * Int(f.index) + 1
                    // (A subtree whose root is unfiled holds nobody idle.)
                    for j in Swift.min(l, count)..<Swift.min(l &+ 2, count) where idleHeaps[heap].entries[j].key != .unfiled {
                        agentSearch.insert(AgentFrontier(key: idleHeaps[heap].entries[j].key, heap: f.heap, index: Int32(j), place: f.place, level: -1, cls: f.cls))
                    }
                    let entry = idleHeaps[heap].entries[Int(f.index)]
                    let ph = Int(entry.owner) &* classes &+ Int(f.cls)
                    guard let top = profileHeaps[ph].heap.storage.first else {
                        // Nobody left: the cell learns it after the walk.
                        if entry.key != .unfiled { idleRepairs.append((f.heap, entry.member)) }
                        continue
                    }
                    let skill = cells[Int(f.place)].skillA
                    let lv = skill == 0 ? 0 : level(profile: Int(entry.owner), skill)
                    let key = cellKey(top.key, level: UInt8(lv))
                    if key != entry.key {
                        // The best agent fell behind since the cell filed it (the cell's key is
                        // smaller): walk on to it under its real key, and re-key the cell later.
                        idleRepairs.append((f.heap, entry.member))
                        agentSearch.insert(AgentFrontier(key: key, heap: Int32(ph), index: 0, place: entry.owner, level: Int8(lv), cls: f.cls))
                        continue
                    }
                    a = top.agent
                    live = true
                    profile = Int(entry.owner)
                    pushProfileChildren(of: 0, in: ph, level: lv, profile: entry.owner, cls: f.cls)
                } else {
                    pushProfileChildren(of: Int(f.index), in: heap, level: Int(f.level), profile: f.place, cls: f.cls)
                    let entry = profileHeaps[heap].heap.storage[Int(f.index)]
                    a = entry.agent
                    live = idleEntryIsLive(entry)
                    profile = Int(f.place)
                }
                visits += 1
                if live && eligible(a, profile: profile, contact: c, bucket: b, now: now) {
                    found += 1
                    consider(a, profile: profile, &tally, contact: c, now: now)
                }
            }
            if !idleRepairs.isEmpty { repairIdleMembers() }
        }
        guard tally.best >= 0 else { return nil }
        return AgentChoice(agent: tally.best, considered: tally.considered)
    }

    /// The best agent of a search so far. (The few best, when offers are explained, gather in
    /// `offerCandidates`: kept out of here, the tally holds no reference and costs nothing to drop.)
    struct CandidateTally {
        var best: Int32 = -1
        var bestScore = -Double.infinity
        var considered = 0
        /// Agents scored by name before the walk (preferred, affinity), which the walk skips.
        var namedA: Int32 = -1
        var namedB: Int32 = -1
    }

    /// Scores one eligible agent into `tally`. `mutating` though it changes nothing in the router:
    /// a mutating call passes the router by address, where a non-mutating one from inside
    /// `findAgent` would copy all of it first.
    @inline(__always) mutating func consider(_ a: Int32, profile p: Int = -1, _ tally: inout CandidateTally, contact c: ContactRecord, now: Instant) {
        if a == tally.best || a == tally.namedA || a == tally.namedB { return }
        tally.considered += 1
        let s = score(a, profile: p, contact: c, now: now)
        if explainsOffers && (offerCandidates.count < TopCandidates.capacity || s > offerCandidates[offerCandidates.count - 1].score) {
            offerCandidates.offer(ScoredAgent(agent: agentIDs[Int(a)], score: s))
        }
        if s > tally.bestScore || (s == tally.bestScore && agents[Int(a)].order < agents[Int(tally.best)].order) {
            tally.best = a
            tally.bestScore = s
        }
    }

    /// Puts the children of entry `i` of profile heap `ph` (of `profile`) on the walk, under their
    /// keys in a cell where the profile has `level`.
    @inline(__always) mutating func pushProfileChildren(of i: Int, in ph: Int, level: Int, profile: Int32, cls: Int8) {
        let count = profileHeaps[ph].heap.count
        let l = 2 &* i &+ 1
        guard l < count else { return }
        for j in l..<Swift.min(l &+ 2, count) {
            let k = profileHeaps[ph].heap.storage[j].key
            let key = cellKey(k, level: UInt8(level))
            agentSearch.insert(AgentFrontier(key: key, heap: Int32(ph), index: Int32(j), place: profile, level: Int8(level), cls: cls))
        }
    }

    // MARK: Search: best waiting contact for an agent

    /// Ordered by `key` alone (the walk's `FrontierHeap`).
    struct FrontierEntry: Comparable {
        var key: OrderKey
        var cell: Int32
        var queue: Int32
        var index: Int32

        @inline(__always) static func < (a: Self, b: Self) -> Bool { a.key < b.key }
        @inline(__always) static func == (a: Self, b: Self) -> Bool { a.key == b.key }
    }

    /// Queue heaps (channel × level) whose channel fits in `spare` units.
    @inline(__always) func channelFit(spare: Int32) -> UInt64 {
        var m: UInt64 = 0
        for ch in 0..<4 where channelCosts[ch] <= spare {
            m |= UInt64(0x3FF) << UInt64(ch * 10)
        }
        return m
    }

    /// How many too-big buckets one freed-capacity search looks at for a head of line.
    static let headLookLimit = 8

    /// What freed capacity found for one agent: the first waiting contact in order that it may take
    /// and that fits its spare units, and the first in order that it may take at all (which may be
    /// too big: the candidate for a capacity reservation). Slots, -1 for none.
    struct ContactSearch {
        var fitting: Int32 = -1
        var head: Int32 = -1
        var considered = 0
    }

    /// One best-first walk over the queue heaps of all the agent's cells at once (a small heap of
    /// heap positions), masked to the channels that fit in `reach` units and the levels the agent
    /// meets, so it looks only at buckets whose first contact is ahead of the answer. With `reach`
    /// above the agent's spare units, contacts too big for it now are looked at only until the
    /// first that fits is found, to name the head of its line. A contact another agent holds a
    /// reservation for is never the head (one reservation per bucket at a time), but any agent it
    /// fits may take it.
    mutating func findContact(for slot: Int32, reach: Int32, now: Instant) -> ContactSearch {
        let ai = Int(slot)
        let spare = agents[ai].capacity - agents[ai].load
        var fitKey = OrderKey(key: .max, id: .max)
        var headKey = OrderKey(key: .max, id: .max)
        var result = ContactSearch()
        var headLooks = 0

        /// Offers bucket `b` as the answer, or as the head when it is too big; returns whether it was looked at.
        @inline(__always) func look(at b: Int32, _ router: inout Router) {
            if router.buckets[Int(b)].cost <= spare {
                if let (k, s) = router.firstEligible(in: b, agent: slot, spare: spare, below: fitKey, now: now) {
                    fitKey = k
                    result.fitting = s
                    if k < headKey {
                        headKey = k
                        result.head = s
                    }
                }
            } else if let (k, s) = router.firstEligible(in: b, agent: slot, spare: spare, below: Swift.min(headKey, fitKey), now: now) {
                headKey = k
                result.head = s
            }
        }

        for ch in 0..<4 {
            let personal = agents[ai].personalBuckets[ch]
            if personal >= 0, buckets[Int(personal)].live > 0, buckets[Int(personal)].cost <= reach {
                result.considered += 1
                look(at: personal, &self)
            }
        }
        let fit = channelFit(spare: reach)
        search.reset()
        let profile = Int(agentProfile[ai])
        let usedCells = profileUsedQueues[profile]
        // First every cell's live heaps, in a loop without branches, so the loads of the cells'
        // bits all start at once rather than each behind the branch on the one before; the cells
        // with any are packed to the front (most of an agent's cells have nothing it may take).
        if scanLive.count < usedCells.count {
            scanLive = Array(repeating: 0, count: usedCells.count)
            scanCells = Array(repeating: 0, count: usedCells.count)
        }
        let liveCells = scanLive.withUnsafeMutableBufferPointer { live in
            scanCells.withUnsafeMutableBufferPointer { liveCell in
                usedCells.withUnsafeBufferPointer { u in
                    cellNonEmpty.withUnsafeBufferPointer { nonEmpty in
                        var n = 0
                        for k in 0..<u.count {
                            let m = u[k].mask & fit & nonEmpty[Int(u[k].cell)]
                            live[n] = m
                            liveCell[n] = u[k].cell
                            n &+= m != 0 ? 1 : 0
                        }
                        return n
                    }
                }
            }
        }
        for k in 0..<liveCells {
            let live = scanLive[k]
            let cell = Int(scanCells[k])
            // One summary per channel with anything waiting: the least first key over the levels
            // the agent meets (the levels 1 through its own, so every non-empty level up to the
            // highest waiting one). Most lines ask for level 1, so agents of every level read the
            // same cache line of a cell (`queueTops`).
            let base = cell &* Cell.queueCount
            for channel in 0..<4 {
                let waiting = (live >> UInt64(channel &* 10)) & 0x3FF
                if waiting == 0 { continue }
                let top = 63 &- waiting.leadingZeroBitCount
                let single = waiting & (waiting &- 1) == 0
                var key = queueTops[base &+ top &* 4 &+ channel]  // `topIndex`, with `base` once per cell
                if !single {
                    var rest = waiting & ~(UInt64(1) << UInt64(top))
                    while rest != 0 {
                        let l = rest.trailingZeroBitCount
                        let k = queueTops[base &+ l &* 4 &+ channel]
                        if k < key { key = k }
                        rest &= rest &- 1
                    }
                }
                if channelCosts[channel] > spare && key.key > now.microseconds &+ reservationKeyOffsets[channel] { continue }
                if key < fitKey {
                    // Anything waiting at one level only: the summary is that queue's first
                    // entry, so the walk starts there and skips opening the summary.
                    let q = channel &* 10 &+ top
                    // Too big for the agent, one line, and its first contact held for another
                    // agent: the walk would take it out and skip it. (A line another agent holds
                    // a reservation in is never the head; see `bucketTopReserved`.)
                    if single && channelCosts[channel] > spare && (cellLoneReserved[cell] >> UInt64(q)) & 1 != 0 { continue }
                    search.insert(FrontierEntry(key: key, cell: Int32(cell), queue: Int32(q), index: single ? 0 : -1))
                }
            }
        }
        while let f = search.popMin() {
            guard f.key < fitKey else { break }
            let cell = Int(f.cell)
            let q = Int(f.queue)
            // A queue too big for the agent can only improve the head: once the head is ahead of
            // this key, neither it nor anything below it matters. And the head search gives up
            // after a few buckets (their first contacts all reserved by others): the reservation
            // is a guard against starving, and the next agent to free units tries again.
            if channelCosts[q / 10] > spare
                && (!(f.key < headKey) || headLooks >= Self.headLookLimit || f.key.key > now.microseconds &+ reservationKeyOffsets[q / 10]) {
                continue
            }
            if f.index < 0 {
                // A summary: open it into the channel's queues at levels up to the agent's.
                let channel = q / 10
                let nonEmpty = cellNonEmpty[cell]
                for l in 0...(q % 10) {
                    let queue = channel &* 10 &+ l
                    guard nonEmpty & (UInt64(1) << UInt64(queue)) != 0 else { continue }
                    let key = queueTops[Self.topIndex(cell: cell, queue: queue)]
                    if key < fitKey { search.insert(FrontierEntry(key: key, cell: f.cell, queue: Int32(queue), index: 0)) }
                }
                continue
            }
            let heap = cell &* Cell.queueCount &+ q
            let count = cellQueues[heap].count
            let l = 2 * Int(f.index) + 1
            if l < count { search.insert(FrontierEntry(key: cellQueues[heap].entries[l].key, cell: f.cell, queue: f.queue, index: Int32(l))) }
            if l + 1 < count {
                search.insert(FrontierEntry(key: cellQueues[heap].entries[l + 1].key, cell: f.cell, queue: f.queue, index: Int32(l + 1)))
            }
            let b = cellQueues[heap].entries[Int(f.index)].owner
            let tooBig = channelCosts[q / 10] > spare
            if tooBig && bucketTopReserved[Int(b)] { continue }
            result.considered += 1
            // A bucket of one required skill is its cell's `skillA`, at its queue's level, which
            // the agent meets: the profile's mask holds only the levels it meets
            // (`profileQueueMask`), and its language is the cell's. Only more skills need a look
            // at the levels, its profile's (in cache, where the agent's row was a miss).
            guard !buckets[Int(b)].requiresSeveralSkills || meets(slot, profile: profile, buckets[Int(b)].key.requirements) else { continue }
            if tooBig { headLooks += 1 }
            look(at: b, &self)
        }
        return result
    }

    /// The first live contact in bucket `b` that this agent may take: not barred from it by a
    /// re-offer cooldown. When the first in line waits for another agent's units (a reservation)
    /// and does not fit this agent either, the bucket has nothing for it now.
    ///
    /// Always inlined, like `score`, and `mutating` though it changes nothing, like `consider`:
    /// called through `findContact`'s `look`, a non-mutating method made a copy of the router per
    /// bucket looked at (part of it or all of it, about a kilobyte, as the optimiser chose). The rare
    /// walk past a declined offer is a call of its own.
    @inline(__always) mutating func firstEligible(in b: Int32, agent: Int32, spare: Int32, below bound: OrderKey, now: Instant) -> (OrderKey, Int32)? {
        let bi = Int(b)
        guard let top = bucketHeaps[bi].storage.first, top.order < bound else { return nil }
        let first = contacts[Int(top.slot)]
        if first.reservedBy >= 0 && first.reservedBy != agent && buckets[bi].cost > spare { return nil }
        if !(first.excludedAgent == agent && now < first.excludedUntil) { return (top.order, top.slot) }
        return firstEligiblePastExclusion(in: b, agent: agent, below: bound, now: now)
    }

    /// The first in line of bucket `b` just declined this agent: walk the heap in order past it.
    /// (`mutating` for the same reason as `firstEligible`: it changes nothing.)
    mutating func firstEligiblePastExclusion(in b: Int32, agent: Int32, below bound: OrderKey, now: Instant) -> (OrderKey, Int32)? {
        let heap = bucketHeaps[Int(b)].storage
        var best: WaitingEntry? = nil
        var pending: [Int] = [0]
        while let i = pending.popLast() {
            let e = heap[i]
            if let b = best, !(e < b) { continue }
            guard e.order < bound else { continue }
            let l = 2 * i + 1
            if l < heap.count { pending.append(l) }
            if l + 1 < heap.count { pending.append(l + 1) }
            guard entryIsLive(e) else { continue }
            let c = contacts[Int(e.slot)]
            if c.excludedAgent == agent && now < c.excludedUntil { continue }
            best = e
        }
        return best.map { ($0.order, $0.slot) }
    }
}
