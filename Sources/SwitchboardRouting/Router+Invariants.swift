import SwitchboardDomain

extension Router {
    /// Checks the router's invariants by brute force and describes every violation (empty when all
    /// hold). O(contacts × agents): for tests and debugging, never for the hot path.
    ///
    /// - every known contact is waiting, offered or assigned, and an offered or assigned contact is in
    ///   exactly one agent's active list (never assigned twice);
    /// - an agent's load is the cost of its active contacts plus its wrap-up units, within capacity;
    /// - no available agent with spare capacity is eligible for a waiting contact;
    /// - every waiting contact has a live entry in its bucket, `position` counts the live entries
    ///   before it, and each bucket's first entry is what its cells hold;
    /// - each signature's summary (`signatureSummaries`) says what the signature says.
    public func invariantViolations(at now: Instant) -> [String] {
        var problems: [String] = []
        if signatureSummaries.count != signatures.count { problems.append("\(signatures.count) signatures but \(signatureSummaries.count) summaries") }
        for (i, sig) in zip(signatures.indices, signatures) where i < signatureSummaries.count && signatureSummaries[i] != SignatureSummary(sig) {
            problems.append("signature \(i)'s summary disagrees with the signature")
        }
        var holder: [Int32: Int32] = [:]
        for (ai, a) in agents.enumerated() {
            let aid = agentIDs[ai]
            var units: Int32 = a.wrapUpUnits
            let inline = agentActive[(ai * Self.activeInline)..<((ai + 1) * Self.activeInline)]
            let listed = inline.filter { $0 >= 0 }.count + agentActiveSpill[ai].count
            if Int(a.activeCount) != listed { problems.append("\(aid) counts \(a.activeCount) active but lists \(listed)") }
            let prefix = Swift.min(Self.activeInline, Int(a.activeCount))
            if inline.indices.contains(where: { ($0 - inline.startIndex < prefix) != (inline[$0] >= 0) }) {
                problems.append("\(aid) has gaps in its inline active list \(Array(inline))")
            }
            for s in activeSlots(of: Int32(ai)) {
                if let other = holder[s] { problems.append("\(contacts[Int(s)].id) held by \(agentIDs[Int(other)]) and \(aid)") }
                holder[s] = Int32(ai)
                let c = contacts[Int(s)]
                if c.phase != .offered && c.phase != .assigned { problems.append("\(aid) holds \(c.id) in phase \(c.phase)") }
                if c.agent != Int32(ai) { problems.append("\(c.id) names agent \(c.agent) but \(aid) holds it") }
                units += Int32(policy.capacityCost[c.channel])
            }
            if units != a.load { problems.append("\(aid) load \(a.load) but holds \(units) units") }
            // (Only a re-login with a smaller capacity can leave an agent over; it then gets nothing new.)
            if a.load > a.capacity { problems.append("\(aid) over capacity: \(a.load)/\(a.capacity)") }
            if a.reservedFor >= 0 {
                let c = contacts[Int(a.reservedFor)]
                if c.phase != .waiting || c.reservedBy != Int32(ai) { problems.append("\(aid) holds its units for \(c.id), which is not waiting for it") }
                if a.status != .available { problems.append("\(aid) holds units for \(c.id) while \(a.status)") }
                if a.capacity - a.load >= Int32(policy.capacityCost[c.channel]) { problems.append("\(aid) has room for its reserved \(c.id) but was not offered it") }
                if !couldServe(aid, c.id, at: now) { problems.append("\(aid) holds units for \(c.id), which it may not take") }
            }
            if a.indexed != isRoutable(Int32(ai)) { problems.append("\(aid) indexed=\(a.indexed) but routable=\(isRoutable(Int32(ai)))") }
        }
        for (raw, slot) in contactIndex.entries {
            let id = ContactID(raw)
            let c = contacts[Int(slot)]
            if c.id != id { problems.append("index maps \(id) to slot holding \(c.id)") }
            switch c.phase {
            case .free:
                problems.append("\(id) known but free")
            case .offered, .assigned:
                if holder[slot] == nil { problems.append("\(id) \(c.phase) but no agent holds it") }
            case .waiting:
                let scanned = positionByScan(slot)
                if let p = position(of: id), p.position != scanned {
                    problems.append("\(id) is number \(scanned) in its line, but position says \(p.position)")
                }
                if !bucketHeaps[Int(c.bucket)].storage.contains(where: { $0.slot == slot && $0.version == c.version && $0.id == c.id.rawValue }) {
                    problems.append("\(id) waiting but not in its bucket")
                }
                for ai in agents.indices where agents[ai].reservedFor < 0 && eligible(Int32(ai), contact: c, bucket: c.bucket, now: now) {
                    problems.append("\(agentIDs[ai]) is available and eligible for waiting \(id)")
                }
                if c.reservedBy >= 0 && agents[Int(c.reservedBy)].reservedFor != slot {
                    problems.append("\(id) reserved by \(agentIDs[Int(c.reservedBy)]), which holds its units for another")
                }
            }
        }
        problems.append(contentsOf: idleIndexViolations())
        for (bi, b) in buckets.enumerated() {
            let heap = bucketHeaps[bi]
            let liveCount = heap.storage.count(where: entryIsLive)
            let excluded = heap.storage.count(where: { entryIsLive($0) && contacts[Int($0.slot)].excludedAgent >= 0 })
            if excluded != b.excludedLive { problems.append("bucket \(bi) counts \(b.excludedLive) barring contacts but holds \(excluded)") }
            if liveCount != b.live { problems.append("bucket \(bi) counts \(b.live) live but holds \(liveCount)") }
            if let top = heap.min, !entryIsLive(top) { problems.append("bucket \(bi) has a dead first entry") }
            let topReserved = heap.min.map { contacts[Int($0.slot)].reservedBy >= 0 } ?? false
            if bucketTopReserved[bi] != topReserved { problems.append("bucket \(bi) mirrors a stale reservation flag") }
            if b.registered != !heap.isEmpty { problems.append("bucket \(bi) registered=\(b.registered) with \(heap.count) entries") }
            if b.registered, let top = heap.min {
                for k in Int(b.queueCells)..<Int(b.queueCells + b.queueCellCount) {
                    let cell = bucketQueueCells[k].cell
                    let pos = Int(positions[Int(bucketQueueCells[k].member)])
                    let e = cellQueues[Int(cell) &* Cell.queueCount &+ Int(b.queue)].entries[pos]
                    if e.owner != Int32(bi) || e.key != top.order { problems.append("bucket \(bi) misfiled in cell \(cell)") }
                }
            }
        }
        let holding = agents.filter { $0.reservedFor >= 0 }.count
        if holding != reservationCount { problems.append("\(holding) agents hold reservations but the count says \(reservationCount)") }
        for c in cells.indices {
            let base = c * Cell.queueCount
            for q in 0..<Cell.queueCount {
                let entries = cellQueues[base + q].entries
                let top = entries.first?.key ?? OrderKey(key: .max, id: .max)
                if queueTops[Self.topIndex(cell: c, queue: q)] != top { problems.append("cell \(c) queue \(q) mirrors a stale first key") }
                if (cellNonEmpty[c] >> UInt64(q)) & 1 != (entries.isEmpty ? 0 : 1) { problems.append("cell \(c) queue \(q) has a wrong non-empty bit") }
                let loneReserved = entries.count == 1 && bucketTopReserved[Int(entries[0].owner)]
                if (cellLoneReserved[c] >> UInt64(q)) & 1 != (loneReserved ? 1 : 0) { problems.append("cell \(c) queue \(q) has a wrong lone-reservation bit") }
            }
        }
        return problems
    }

    /// The idle-agent index against the agents and profiles it is built from:
    /// - every agent is of the profile its languages and skills make, and each profile's lists
    ///   are the cells built from its key, in use or searched;
    /// - every indexed agent has exactly one live entry, in its profile's heap of its class, under
    ///   its current key; nobody else has one; each profile heap's first entry is live;
    /// - each cell's idle heap of a class holds every profile with anybody idle in that class,
    ///   under its best agent's key in the cell or a smaller one (a key a walk for idle agents has
    ///   yet to put right), and `profileHeldMax` is at least every such key.
    func idleIndexViolations() -> [String] {
        var problems: [String] = []
        let classes = classCosts.count
        for ai in agents.indices {
            let p = Int(agentProfile[ai])
            var skills: [UInt32] = []
            for s in 1..<levelStride where levelTable[ai * levelStride + s] != 0 {
                skills.append(PackedRequirements.pack(skill: Int32(s), level: Int(levelTable[ai * levelStride + s])))
            }
            if profiles[p] != ProfileKey(languages: agents[ai].languages, skills: skills) {
                problems.append("\(agentIDs[ai]) is of profile \(p), which has other languages or skills")
            }
        }
        for p in profiles.indices {
            var skills: [UInt32] = []
            for s in 1..<levelStride where profileLevelTable[p * levelStride + s] != 0 {
                skills.append(PackedRequirements.pack(skill: Int32(s), level: Int(profileLevelTable[p * levelStride + s])))
            }
            if skills != profiles[p].skills { problems.append("profile \(p) has levels \(skills) in its level table, not \(profiles[p].skills)") }
        }
        for p in profiles.indices {
            let filedExpected = zip(profileCells[p], profileCellLevels[p]).filter { cellSearched[Int($0.0)] }.map { "\($0.0):\($0.1)" }.sorted()
            let filedListed = zip(profileFiledCells[p], profileFiledLevels[p]).map { "\($0.0):\($0.1)" }.sorted()
            if filedExpected != filedListed { problems.append("profile \(p) lists filed cells \(filedListed), expected \(filedExpected)") }
            let usedExpected = cells.indices.compactMap { c -> String? in
                guard cellUsed[c], let mask = profileQueueMask(p, language: cells[c].language, skillA: cells[c].skillA, skillB: cells[c].skillB) else { return nil }
                return "\(c):\(mask)"
            }.sorted()
            let usedListed = profileUsedQueues[p].map { "\($0.cell):\($0.mask)" }.sorted()
            if usedExpected != usedListed { problems.append("profile \(p) lists queue cells \(usedListed), expected \(usedExpected)") }
            for (k, cell) in profileCells[p].enumerated() {
                let c = cells[Int(cell)]
                if profileCellLevel(p, language: c.language, skill: c.skillA, second: c.skillB) != profileCellLevels[p][k] {
                    problems.append("profile \(p) has level \(profileCellLevels[p][k]) in cell \(cell), not its own")
                }
            }
        }
        var liveEntries: [Int: Int] = [:]
        for ph in profileHeaps.indices {
            let (p, h) = (ph / classes, ph % classes)
            let heap = profileHeaps[ph]
            let live = heap.heap.storage.filter(idleEntryIsLive)
            if live.count != heap.live { problems.append("profile \(p) class \(h) counts \(heap.live) idle but holds \(live.count)") }
            if let root = heap.heap.min, !idleEntryIsLive(root) { problems.append("profile \(p) class \(h) has a dead first entry") }
            for e in live {
                let a = agents[Int(e.agent)]
                liveEntries[Int(e.agent), default: 0] += 1
                if Int(agentProfile[Int(e.agent)]) != p || !a.indexed || Int(a.heapClass) != h + 1 {
                    problems.append("\(agentIDs[Int(e.agent)]) filed in class \(h + 1) of profile \(p) but not indexed there")
                }
                if e.key != AgentKey(negatedScore: -indexShared(a), order: a.order) {
                    problems.append("\(agentIDs[Int(e.agent)]) filed under a stale key")
                }
            }
            if profileMembers[ph].count != profileFiledCells[p].count {
                problems.append("profile \(p) class \(h) has \(profileMembers[ph].count) memberships for \(profileFiledCells[p].count) cells")
                continue
            }
            for (i, cell) in profileFiledCells[p].enumerated() {
                let m = profileMembers[ph][i]
                let top = heap.heap.min?.key
                guard m >= 0 else {
                    if top != nil { problems.append("profile \(p) class \(h) has somebody idle but is not filed in its cell \(cell)") }
                    if profileHeldMax[ph] != .unfiled { problems.append("profile \(p) class \(h) is unfiled in cell \(cell) but its greatest held key would not file it") }
                    continue
                }
                // Alone in its cell, a profile keeps no key there (the walk reads the profile).
                if idleHeaps[idleHeapIndex(cell: Int(cell), class: h)].count == 1 { continue }
                let held = idleHeld[Int(m)]
                // The cell may hold a key behind the best agent's (a walk puts it right), never ahead.
                if let top, top < held { problems.append("profile \(p) class \(h) is filed in cell \(cell) behind its best agent") }
                if profileFiledCells[p].count <= Self.exactProfileCells && held != top ?? .unfiled {
                    problems.append("profile \(p) class \(h) of few cells is not filed exactly in cell \(cell)")
                }
                if profileHeldMax[ph] < held { problems.append("profile \(p) class \(h) holds a key in cell \(cell) past its greatest") }
                let entries = idleHeaps[idleHeapIndex(cell: Int(cell), class: h)].entries
                let pos = Int(idlePositions[Int(m)])
                let key = cellKey(held, level: profileFiledLevels[p][i])
                if pos < 0 || pos >= entries.count || entries[pos].owner != Int32(p) || entries[pos].member != m || entries[pos].key != key {
                    problems.append("profile \(p) class \(h) misfiled in cell \(cell)")
                }
            }
        }
        for ai in agents.indices where liveEntries[ai, default: 0] != (agents[ai].indexed ? 1 : 0) {
            problems.append("\(agentIDs[ai]) has \(liveEntries[ai, default: 0]) live idle entries, indexed=\(agents[ai].indexed)")
        }
        var memberships = 0
        for heap in idleHeaps { memberships += heap.count }
        let filed = profileMembers.reduce(0) { $0 + $1.count(where: { $0 >= 0 }) }
        if memberships != filed { problems.append("cells hold \(memberships) idle profile entries, profiles count \(filed)") }
        for heap in idleHeaps {
            for (i, e) in heap.entries.enumerated() where i > 0 && e.key < heap.entries[(i - 1) / 2].key {
                problems.append("a cell's idle heap is out of order")
            }
        }
        for skill in 1..<skillNames.count {
            let having = profiles.indices.filter { level(profile: $0, Int32(skill)) > 0 }.map(Int32.init)
            if profilesWithSkill[skill].sorted() != having { problems.append("skill \(skillNames[skill]) lists profiles \(profilesWithSkill[skill].sorted()), not \(having)") }
            for language in 1..<Int32(languageNames.count) {
                let speaking = having.filter { profiles[Int($0)].languages.contains(language) }
                let listed = (profilesWithLanguageSkill[Self.languageSkillKey(language, Int32(skill))] ?? []).sorted()
                if listed != speaking { problems.append("\(languageNames[Int(language)]) × \(skillNames[skill]) lists profiles \(listed), not \(speaking)") }
            }
        }
        return problems
    }

    /// The fixed order key of a contact in seconds (smaller goes first), for tests and explanations.
    public func orderKey(of contact: ContactID) -> Double? {
        guard let slot = contactIndex[contact] else { return nil }
        return Double(contacts[Int(slot)].orderKey) / 1_000_000
    }

    /// Whether agent `agent` could take contact `contact` now if it had room (skills, language,
    /// named agent, cooldown), ignoring its status and load. For tests and supervisors' "why not?".
    public func couldServe(_ agent: AgentID, _ contact: ContactID, at now: Instant) -> Bool {
        guard let a = agentIndex[agent], let slot = contactIndex[contact] else { return false }
        let c = contacts[Int(slot)]
        let b = buckets[Int(signatures[Int(c.signature)].stepBuckets[Int(c.step)])]
        if b.key.target >= 0 {
            guard b.key.target == a else { return false }
        } else {
            guard b.key.languages.intersects(agents[Int(a)].languages), meets(a, b.key.requirements) else { return false }
        }
        return !(c.excludedAgent == a && now < c.excludedUntil)
    }

    /// A contact's channel capacity cost, for tests.
    public func cost(of contact: ContactID) -> Int? {
        guard let slot = contactIndex[contact] else { return nil }
        return policy.capacityCost[contacts[Int(slot)].channel]
    }

    /// `position` without its shortcut for the back of the line: every live entry before it, plus one.
    func positionByScan(_ slot: Int32) -> Int {
        let c = contacts[Int(slot)]
        return countAhead(of: WaitingEntry(key: c.orderKey, id: c.id.rawValue, slot: slot, version: c.version), in: Int(c.bucket)) + 1
    }
}
