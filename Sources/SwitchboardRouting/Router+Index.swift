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

    mutating func cellFor(language: Int32, skill: Int32) -> Int32 {
        let k = UInt64(UInt32(language)) << 32 | UInt64(UInt32(skill))
        if let c = cellIndex[k] { return c }
        let c = Int32(cells.count)
        cells.append(Cell(language: language, skill: skill))
        cellIndex[k] = c
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
        signatureIndex[key] = s
        return s
    }

    mutating func bucket(for key: BucketKey) -> Int32 {
        if let b = bucketIndex[key] { return b }
        let channel = Channel.allCases[Int(key.channel)]
        // File under the required skill with the highest minimum level: the most selective one.
        var anchor: Int32 = 0
        var best = 0
        for i in 0..<16 where key.requirements[i] != 0 {
            let level = Int(key.requirements[i] & 0xFF)
            if level > best {
                best = level
                anchor = Int32(key.requirements[i] >> 8)
            }
        }
        var cellList: [Int32] = []
        if key.target < 0 {
            var langs: [Int32] = []
            key.languages.forEach { langs.append($0) }
            for l in langs { cellList.append(cellFor(language: l, skill: anchor)) }
        }
        let b = Int32(buckets.count)
        buckets.append(Bucket(
            key: key, cost: Int32(policy.capacityCost[channel]), anchor: anchor, cells: cellList,
            members: Array(repeating: -1, count: cellList.count)))
        bucketIndex[key] = b
        if key.target >= 0 { agents[Int(key.target)].personalBucket = b }
        return b
    }

    /// Files a bucket in its cells under its first contact's key, or takes it out when empty.
    mutating func refreshBucketIndex(_ b: Int32) {
        let bi = Int(b)
        guard let top = buckets[bi].heap.min else {
            if buckets[bi].registered {
                for i in buckets[bi].cells.indices {
                    let m = buckets[bi].members[i]
                    cells[Int(buckets[bi].cells[i])].buckets.remove(member: m, positions: &positions)
                    freeMembers.append(m)
                    buckets[bi].members[i] = -1
                }
                buckets[bi].registered = false
            }
            return
        }
        if buckets[bi].registered {
            for i in buckets[bi].cells.indices {
                cells[Int(buckets[bi].cells[i])].buckets.update(member: buckets[bi].members[i], key: top.order, positions: &positions)
            }
        } else {
            for i in buckets[bi].cells.indices {
                let m = allocateMember()
                buckets[bi].members[i] = m
                cells[Int(buckets[bi].cells[i])].buckets.insert(top.order, owner: b, member: m, positions: &positions)
            }
            buckets[bi].registered = true
        }
    }

    @inline(__always) func entryIsLive(_ e: WaitingEntry) -> Bool {
        let c = contacts[Int(e.slot)]
        return c.version == e.version && c.id.rawValue == e.id && c.phase == .waiting
    }

    /// Drops dead entries from the top of a bucket and compacts it when dead ones outnumber the living.
    mutating func cleanBucket(_ b: Int32) {
        let bi = Int(b)
        let oldTop = buckets[bi].heap.min
        while let top = buckets[bi].heap.min, !entryIsLive(top) {
            buckets[bi].heap.popMin()
        }
        if buckets[bi].heap.count > 2 * buckets[bi].live + 64 {
            let table = contacts  // shares storage: nothing writes contacts during the filter
            buckets[bi].heap.filter { e in
                let c = table[Int(e.slot)]
                return c.version == e.version && c.id.rawValue == e.id && c.phase == .waiting
            }
        }
        if oldTop != buckets[bi].heap.min || (buckets[bi].heap.isEmpty == buckets[bi].registered) {
            refreshBucketIndex(b)
        }
    }

    /// Puts a contact in its bucket (the contact's `bucket` must be set).
    mutating func insertWaiting(_ slot: Int32) {
        let c = contacts[Int(slot)]
        let bi = Int(c.bucket)
        let entry = WaitingEntry(key: c.orderKey, id: c.id.rawValue, slot: slot, version: c.version)
        let wasTop = buckets[bi].heap.min
        buckets[bi].heap.insert(entry)
        buckets[bi].live += 1
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

    @inline(__always) func agentIndexKey(_ a: AgentRecord, level: UInt8) -> AgentKey {
        let w = policy.scoring
        let spare = Double(a.capacity - a.load) / Double(a.capacity)
        let score = w.skillLevel * Double(level) + w.spareCapacity * spare - w.idlePerMinute * (Double(a.idleSince.microseconds) / 60_000_000)
        return AgentKey(negatedScore: -score, order: a.order)
    }

    @inline(__always) func isRoutable(_ a: AgentRecord) -> Bool {
        a.status == .available && a.capacity - a.load >= minimumCost
    }

    /// Keeps the agent filed in its cells exactly while it could take something, under its current key.
    mutating func refreshAgentIndex(_ slot: Int32) {
        let ai = Int(slot)
        let routable = isRoutable(agents[ai])
        if routable {
            let a = agents[ai]
            if a.indexed {
                for i in a.cells.indices {
                    cells[Int(a.cells[i])].agents.update(member: a.members[i], key: agentIndexKey(a, level: a.cellLevels[i]), positions: &positions)
                }
            } else {
                for i in a.cells.indices {
                    let m = allocateMember()
                    agents[ai].members[i] = m
                    cells[Int(a.cells[i])].agents.insert(agentIndexKey(a, level: a.cellLevels[i]), owner: slot, member: m, positions: &positions)
                }
                agents[ai].indexed = true
            }
        } else if agents[ai].indexed {
            for i in agents[ai].cells.indices {
                let m = agents[ai].members[i]
                cells[Int(agents[ai].cells[i])].agents.remove(member: m, positions: &positions)
                freeMembers.append(m)
                agents[ai].members[i] = -1
            }
            agents[ai].indexed = false
        }
    }

    // MARK: Eligibility and scoring

    @inline(__always) func meets(_ a: AgentRecord, _ requirements: PackedRequirements) -> Bool {
        for i in 0..<16 {
            let v = requirements[i]
            if v == 0 { return true }
            if a.level(Int32(v >> 8)) < Int(v & 0xFF) { return false }
        }
        return true
    }

    /// Whether agent `a` may take contact `c` (waiting in bucket `b`) right now.
    @inline(__always) func eligible(_ agentSlot: Int32, contact c: ContactRecord, bucket b: Bucket, now: Instant) -> Bool {
        let a = agents[Int(agentSlot)]
        guard a.status == .available, a.capacity - a.load >= b.cost else { return false }
        if b.key.target >= 0 { return b.key.target == agentSlot }
        guard b.key.languages.intersects(a.languages), meets(a, b.key.requirements) else { return false }
        return !(c.excludedAgent == agentSlot && now < c.excludedUntil)
    }

    /// The documented scoring formula (see `ScoringWeights`).
    func score(_ agentSlot: Int32, contact c: ContactRecord, now: Instant) -> Double {
        let a = agents[Int(agentSlot)]
        let w = policy.scoring
        let sig = signatures[Int(c.signature)].key
        var fit = 0.0
        var n = 0
        for i in 0..<16 {
            let v = sig.required[i]
            if v == 0 { break }
            fit += Double(a.level(Int32(v >> 8)) - Int(v & 0xFF))
            n += 1
        }
        var s = n > 0 ? w.skillLevel * fit / Double(n) : 0
        var preferred = 0
        for i in 0..<16 {
            let v = sig.preferred[i]
            if v == 0 { break }
            if a.level(Int32(v >> 8)) >= Int(v & 0xFF) { preferred += 1 }
        }
        s += w.preferredSkill * Double(preferred)
        if c.language == 0 || a.languages.contains(c.language) { s += w.exactLanguage }
        if c.affinityAgent == agentSlot && now <= c.affinityUntil { s += w.affinity }
        if c.preferredAgent == agentSlot { s += w.preferredAgent }
        s += w.idlePerMinute * Double((now - a.idleSince).microseconds) / 60_000_000
        s += w.spareCapacity * Double(a.capacity - a.load) / Double(a.capacity)
        return s
    }

    // MARK: Search: best idle agent for a contact

    struct AgentChoice {
        var agent: Int32
        var explanation: Explanation
    }

    /// The best eligible idle agent for the contact in `slot` (in its current bucket), or nil.
    mutating func findAgent(for slot: Int32, rule: Explanation.Rule, now: Instant) -> AgentChoice? {
        let c = contacts[Int(slot)]
        let b = buckets[Int(c.bucket)]
        var top = TopCandidates()
        var best: Int32 = -1
        var bestScore = -Double.infinity
        var considered = 0

        func consider(_ a: Int32, _ router: Router) {
            if a == best { return }
            considered += 1
            let s = router.score(a, contact: c, now: now)
            top.offer(ScoredAgent(agent: router.agents[Int(a)].id, score: s))
            if s > bestScore || (s == bestScore && router.agents[Int(a)].order < router.agents[Int(best)].order) {
                best = a
                bestScore = s
            }
        }

        if b.key.target >= 0 {
            if eligible(b.key.target, contact: c, bucket: b, now: now) { consider(b.key.target, self) }
        } else {
            // Named agents are checked directly: they may sit outside the first few of the index.
            if c.preferredAgent >= 0 && eligible(c.preferredAgent, contact: c, bucket: b, now: now) { consider(c.preferredAgent, self) }
            if c.affinityAgent >= 0 && c.affinityAgent != c.preferredAgent && now <= c.affinityUntil
                && eligible(c.affinityAgent, contact: c, bucket: b, now: now) {
                consider(c.affinityAgent, self)
            }
            let limit = policy.candidateLimit
            let visitLimit = 4 * limit + 32
            for cell in b.cells {
                let heap = cells[Int(cell)].agents
                guard !heap.isEmpty else { continue }
                frontier.removeAll(keepingCapacity: true)
                frontier.append(0)
                var found = 0
                var visits = 0
                while !frontier.isEmpty && found < limit && visits < visitLimit {
                    var pick = 0
                    for j in 1..<frontier.count where heap.entries[Int(frontier[j])].key < heap.entries[Int(frontier[pick])].key {
                        pick = j
                    }
                    let i = Int(frontier[pick])
                    frontier.swapAt(pick, frontier.count - 1)
                    frontier.removeLast()
                    visits += 1
                    let a = heap.entries[i].owner
                    if eligible(a, contact: c, bucket: b, now: now) {
                        found += 1
                        consider(a, self)
                    }
                    let l = 2 * i + 1
                    if l < heap.count { frontier.append(Int32(l)) }
                    if l + 1 < heap.count { frontier.append(Int32(l + 1)) }
                }
            }
        }
        guard best >= 0 else { return nil }
        let exp = Explanation(
            rule: rule, step: Int(c.step), orderKey: Double(c.orderKey) / 1_000_000, waited: now - c.arrivedAt,
            considered: considered, candidates: top)
        return AgentChoice(agent: best, explanation: exp)
    }

    // MARK: Search: best waiting contact for an agent

    /// The first waiting contact, in order, that agent `slot` may take, or nil; and how many buckets it looked at.
    mutating func findContact(for slot: Int32, now: Instant) -> (contact: Int32, considered: Int)? {
        let a = agents[Int(slot)]
        let spare = a.capacity - a.load
        var bestKey = OrderKey(key: .max, id: .max)
        var bestSlot: Int32 = -1
        var considered = 0

        if a.personalBucket >= 0, buckets[Int(a.personalBucket)].live > 0, buckets[Int(a.personalBucket)].cost <= spare,
           let (k, s) = firstEligible(in: a.personalBucket, agent: slot, below: bestKey, now: now) {
            considered += 1
            bestKey = k
            bestSlot = s
        }
        for cell in a.cells {
            let heap = cells[Int(cell)].buckets
            guard !heap.isEmpty, heap.entries[0].key < bestKey else { continue }
            stack.removeAll(keepingCapacity: true)
            stack.append(0)
            while let i32 = stack.popLast() {
                let i = Int(i32)
                let e = heap.entries[i]
                guard e.key < bestKey else { continue }
                let l = 2 * i + 1
                if l < heap.count { stack.append(Int32(l)) }
                if l + 1 < heap.count { stack.append(Int32(l + 1)) }
                considered += 1
                let b = buckets[Int(e.owner)]
                guard b.cost <= spare, meets(a, b.key.requirements) else { continue }
                if let (k, s) = firstEligible(in: e.owner, agent: slot, below: bestKey, now: now) {
                    bestKey = k
                    bestSlot = s
                }
            }
        }
        return bestSlot >= 0 ? (bestSlot, considered) : nil
    }

    /// The first live contact in bucket `b` not barred from this agent by a re-offer cooldown.
    func firstEligible(in b: Int32, agent: Int32, below bound: OrderKey, now: Instant) -> (OrderKey, Int32)? {
        let heap = buckets[Int(b)].heap.storage
        guard let top = heap.first, top.order < bound else { return nil }
        let c = contacts[Int(top.slot)]
        if !(c.excludedAgent == agent && now < c.excludedUntil) { return (top.order, top.slot) }
        // Rare: the first in line just declined this agent. Walk the heap in order past it.
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
            let ce = contacts[Int(e.slot)]
            if ce.excludedAgent == agent && now < ce.excludedUntil { continue }
            best = e
        }
        return best.map { ($0.order, $0.slot) }
    }
}
