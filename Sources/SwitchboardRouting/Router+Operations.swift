import SwitchboardDomain

// The public operations. Each validates everything before it changes anything, so a bad request
// throws and leaves the router as it was.
extension Router {
    // MARK: Agents

    /// Logs an agent in (or updates the profile of one already logged in), available or away.
    /// Work it still holds from an earlier session stays with it. Available, it takes waiting work
    /// at once; away, it gets nothing until it becomes available (no offer slips in between).
    public mutating func login(_ profile: AgentProfile, as status: AgentStatus = .available, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        guard status != .offline else {
            throw .invalidArgument("an agent logs in available or away; use logout to go offline", field: "initial_state")
        }
        guard !profile.id.rawValue.isEmpty, profile.id.rawValue.utf8.count <= 256 else {
            throw .invalidArgument("agent id must be 1–256 bytes", field: "agent_id")
        }
        guard (1...10_000).contains(profile.capacity) else {
            throw .invalidArgument("capacity must be 1–10,000 units (default 100)", field: "capacity")
        }
        let skillNamesSorted = profile.skills.keys.sorted()
        for name in skillNamesSorted {
            guard let level = profile.skills[name], (1...10).contains(level) else {
                throw .invalidArgument("skill level for `\(name)` must be 1–10", field: "skills.\(name)")
            }
            guard !name.isEmpty else { throw .invalidArgument("a skill name must not be empty", field: "skills") }
        }
        for (i, l) in profile.languages.enumerated() where l.isEmpty {
            throw .invalidArgument("a language must not be empty", field: "languages[\(i)]")
        }
        var skillIDs: [(Int32, Int)] = []
        for name in skillNamesSorted {
            skillIDs.append((try internSkill(name, field: "skills.\(name)"), profile.skills[name] ?? 1))
        }
        var langs = LanguageSet()
        langs.insert(0)
        var langIDs: [Int32] = [0]
        for (i, l) in profile.languages.enumerated() {
            let id = try internLanguage(l, field: "languages[\(i)]")
            if !langs.contains(id) {
                langs.insert(id)
                langIDs.append(id)
            }
        }

        let slot: Int32
        if let existing = agentIndex[profile.id] {
            slot = existing
            cancelReservation(of: slot)
            agents[Int(slot)].status = .offline
            refreshAgentIndex(slot)
        } else {
            slot = Int32(agents.count)
            agents.append(AgentRecord(order: nextAgentOrder))
            agentEpochs.append(0)
            agentIDs.append(profile.id)
            agentActive.append(contentsOf: repeatElement(-1, count: Self.activeInline))
            agentActiveSpill.append([])
            agentProfile.append(-1)
            levelTable.append(contentsOf: repeatElement(0, count: levelStride))
            nextAgentOrder += 1
            agentIndex[profile.id] = slot
        }
        let ai = Int(slot)
        growLevelTable(toHold: Int(skillIDs.map(\.0).max() ?? 0) + 1)
        for s in 0..<levelStride { levelTable[ai * levelStride + s] = 0 }
        for (s, l) in skillIDs { levelTable[ai * levelStride + Int(s)] = UInt8(l) }
        agentProfile[ai] = profileFor(ProfileKey(languages: langs, skills: skillIDs.map { PackedRequirements.pack(skill: $0.0, level: $0.1) }.sorted()), languages: langIDs, skills: skillIDs)
        agents[ai].languages = langs
        agents[ai].capacity = Int32(profile.capacity)
        agents[ai].status = status
        agents[ai].missedInARow = 0
        agents[ai].idleSince = now
        noteState(slot, events: &events)
        if status == .available {
            fill(slot, now: now, events: &events)
        } else {
            refreshAgentIndex(slot)
        }
    }

    /// Sets an agent available, away or offline (offline is `logout`). Setting available also
    /// clears the missed-offer count, and the agent takes waiting work at once.
    public mutating func setStatus(_ agent: AgentID, to status: AgentStatus, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let slot = try agentSlot(agent)
        switch status {
        case .offline:
            try logout(agent, at: now, events: &events)
        case .away:
            cancelReservation(of: slot)
            agents[Int(slot)].status = .away
            refreshAgentIndex(slot)
            noteState(slot, events: &events)
        case .available:
            if agents[Int(slot)].status != .available { agents[Int(slot)].idleSince = now }
            agents[Int(slot)].status = .available
            agents[Int(slot)].missedInARow = 0
            noteState(slot, events: &events)
            fill(slot, now: now, events: &events)
        }
    }

    /// Logs an agent out: its open offers go back in line at their original place, its wrap-up ends,
    /// and contacts it accepted stay with it until it returns (or are transferred).
    public mutating func logout(_ agent: AgentID, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let slot = try agentSlot(agent)
        let ai = Int(slot)
        cancelReservation(of: slot)
        agents[ai].status = .offline
        agents[ai].load -= agents[ai].wrapUpUnits
        agents[ai].wrapUpUnits = 0
        agents[ai].wrapUpCount = 0
        agents[ai].wrapUpUntil = .zero
        agentEpochs[ai] &+= 1
        refreshAgentIndex(slot)
        var i = 0
        while i < Int(agents[ai].activeCount) {
            let c = activeSlot(of: slot, at: i)
            if contacts[Int(c)].phase == .offered {
                returnOffer(c, from: slot, expired: true, countMissed: false, now: now, events: &events)
            } else {
                i += 1
            }
        }
        noteState(slot, events: &events)
    }

    // MARK: Contacts

    /// Routes a new contact: to the best eligible idle agent at once, or into the waiting line.
    public mutating func enqueue(_ request: RoutingRequest, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        try enqueue(
            contact: request.contact, channel: request.channel, required: request.required, preferred: request.preferred,
            language: request.language, priority: request.priority, preferredAgent: request.preferredAgent,
            lastHandler: request.lastHandler, lastHandledAt: request.lastHandledAt, arrivedAt: request.arrivedAt, at: now, events: &events)
    }

    /// `enqueue(_:)` with the request's fields passed one by one, for a caller that has them in a
    /// value of its own (the engine, in a `NewContact`): building a `RoutingRequest` would copy and
    /// release every array and string in it, once per contact.
    public mutating func enqueue(
        contact: ContactID, channel: Channel, required: [SkillRequirement], preferred: [SkillRequirement], language: String?,
        priority: Int, preferredAgent: AgentID?, lastHandler: AgentID?, lastHandledAt: Instant?, arrivedAt: Instant,
        at now: Instant, events: inout [RoutingEvent]
    ) throws(SwitchboardError) {
        guard contactIndex[contact] == nil else {
            throw SwitchboardError(.alreadyExists, "\(contact) is already being routed", field: "contact_id")
        }
        guard (1...10).contains(priority) else {
            throw .invalidArgument("priority must be 1 (lowest) to 10 (highest)", field: "priority")
        }
        let languageIndex: Int32
        let sig: Int32
        let ch = channel.index
        let cached = ch &* Self.requestCacheSize &+ 2 &* Self.requestCacheSlot(language: language, required: required, preferred: preferred)
        @inline(__always) func matches(_ recent: RecentRequest?) -> Bool {
            guard let recent else { return false }
            return recent.language == language && recent.required == required && recent.preferred == preferred
        }
        if matches(requestCache[cached]) {
            // Requirements seen before on this channel (an adapter's routing rules, a simulator's
            // mix): no skill names to intern, no signature to look up.
            languageIndex = requestCache[cached].unsafelyUnwrapped.languageIndex
            sig = requestCache[cached].unsafelyUnwrapped.signature
        } else if matches(requestCache[cached &+ 1]) {
            // The other way of the set: first now, as the more recently used.
            requestCache.swapAt(cached, cached &+ 1)
            languageIndex = requestCache[cached].unsafelyUnwrapped.languageIndex
            sig = requestCache[cached].unsafelyUnwrapped.signature
        } else {
            let packedRequired = try pack(required, field: "required_skills")
            let packedPreferred = try pack(preferred, field: "preferred_skills")
            languageIndex = try internLanguage(language, field: "language")
            sig = try signature(for: SignatureKey(channel: UInt8(ch), language: languageIndex, target: -1, required: packedRequired, preferred: packedPreferred))
            // The set's older entry gives way; the newer moves to the second way.
            requestCache.swapAt(cached, cached &+ 1)
            requestCache[cached] = RecentRequest(
                language: language, required: required, preferred: preferred, languageIndex: languageIndex, signature: sig)
        }

        let slot: Int32
        if let free = freeContactSlots.popLast() {
            slot = free
        } else {
            slot = Int32(contacts.count)
            contacts.append(ContactRecord(
                id: contact, version: 0, phase: .free, channel: channel, priority: 0, excludedAgent: -1, bucket: 0, agent: -1,
                orderKey: 0, excludedUntil: now, signature: 0, step: 0, language: 0, preferredAgent: -1, arrivedAt: now,
                relaxFrom: now, expiresAt: now, affinityAgent: -1, affinityUntil: now))
        }
        contactIndex[contact] = slot
        let si = Int(slot)
        contacts[si].id = contact
        contacts[si].channel = channel
        contacts[si].priority = UInt8(priority)
        contacts[si].phase = .free
        contacts[si].language = languageIndex
        contacts[si].signature = sig
        contacts[si].agent = -1
        contacts[si].version &+= 1
        contacts[si].orderKey = orderKey(arrivedAt: arrivedAt, channel: channel, priority: priority)
        contacts[si].arrivedAt = arrivedAt
        contacts[si].relaxFrom = arrivedAt
        contacts[si].excludedAgent = -1
        contacts[si].reservedBy = -1
        contacts[si].preferredAgent = preferredAgent.flatMap { agentIndex[$0] } ?? -1
        if let last = lastHandler, let at = lastHandledAt, let a = agentIndex[last] {
            contacts[si].affinityAgent = a
            contacts[si].affinityUntil = at + policy.affinityWindow
        } else {
            contacts[si].affinityAgent = -1
        }
        place(slot, rule: .bestIdleAgent, now: now, events: &events, announce: true)
    }

    /// The agent takes the contact it was offered.
    public mutating func accept(_ contact: ContactID, by agent: AgentID, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let (slot, a) = try offered(contact, to: agent)
        contacts[Int(slot)].phase = .assigned
        contacts[Int(slot)].version &+= 1
        agents[Int(a)].offeredCount -= 1
        agents[Int(a)].missedInARow = 0
        let c = contacts[Int(slot)]
        events.append(.assigned(contact, agent: agent, channel: c.channel, waited: now - c.arrivedAt))
    }

    /// The agent turns the offer down: the contact goes back to its original place and is not
    /// offered to this agent again within `RoutingPolicy.reofferCooldown`.
    public mutating func decline(_ contact: ContactID, by agent: AgentID, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let (slot, a) = try offered(contact, to: agent)
        returnOffer(slot, from: a, expired: false, countMissed: policy.declinesCountAsMissed, now: now, events: &events)
    }

    /// The agent finished the contact. Its units stay taken for the wrap-up (`wrapUp`, or the
    /// channel's default), then free up and take waiting work.
    public mutating func complete(_ contact: ContactID, by agent: AgentID, wrapUp: Span? = nil, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let a: Int32
        let slot: Int32
        if let h = holder(of: contact, is: agent), contacts[Int(h.slot)].phase == .assigned {
            (slot, a) = h
        } else {
            a = try agentSlot(agent)
            guard let s = contactIndex[contact] else { throw .notFound("\(contact) is not known to routing", field: "contact_id") }
            guard contacts[Int(s)].phase == .assigned, contacts[Int(s)].agent == a else {
                throw .failedPrecondition("\(contact) is not assigned to \(agent); only the agent that accepted it can complete it")
            }
            slot = s
        }
        try finishCompletion(slot, by: a, wrapUp: wrapUp, at: now, events: &events)
    }

    /// Completes a contact for the agent it is assigned to and names that agent; otherwise as
    /// `complete(_:by:wrapUp:at:events:)`, without finding the agent by name first (for a caller
    /// that follows contacts, not agents: the simulator).
    public mutating func completeForAssignee(_ contact: ContactID, wrapUp: Span? = nil, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) -> AgentID {
        guard let slot = contactIndex[contact], contacts[Int(slot)].phase == .assigned else {
            throw .notFound("\(contact) is not assigned to an agent (unknown, waiting, offered, or already ended)", field: "contact_id")
        }
        let a = contacts[Int(slot)].agent
        try finishCompletion(slot, by: a, wrapUp: wrapUp, at: now, events: &events)
        return agentIDs[Int(a)]
    }

    /// The completion itself, once the contact and its agent are known.
    mutating func finishCompletion(_ slot: Int32, by a: Int32, wrapUp: Span?, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let c = contacts[Int(slot)]
        if let wrapUp, wrapUp < .zero { throw .invalidArgument("wrap-up must not be negative", field: "wrap_up") }
        let span = wrapUp ?? policy.wrapUp[c.channel]
        let cost = Int32(policy.capacityCost[c.channel])
        detach(slot, from: a)
        release(slot)
        if span > .zero {
            agents[Int(a)].wrapUpUnits += cost
            agents[Int(a)].wrapUpCount += 1
            agents[Int(a)].wrapUpUntil = Swift.max(agents[Int(a)].wrapUpUntil, now + span)
            schedule(.wrapUpEnd, at: now + span, lane: TimerLane.wrapUp(c.channel), slot: a, version: agentEpochs[Int(a)], ident: 0, units: cost)
        } else {
            agents[Int(a)].load -= cost
        }
        noteState(a, events: &events)
        fill(a, now: now, events: &events)
    }

    /// Hands an accepted contact on. It keeps its place in line (its order key), and relaxation
    /// starts again from now; the transferring agent is not offered it again within the cooldown.
    public mutating func transfer(_ contact: ContactID, from agent: AgentID, to target: TransferTarget, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        let a = try agentSlot(agent)
        guard let slot = contactIndex[contact] else { throw .notFound("\(contact) is not known to routing", field: "contact_id") }
        let c = contacts[Int(slot)]
        guard c.phase == .assigned, c.agent == a else {
            throw .failedPrecondition("\(contact) is not assigned to \(agent); accept it before transferring")
        }
        var key = signatures[Int(c.signature)].key
        var language = c.language
        switch target {
        case .skills(let skills, let lang):
            key.required = try pack(skills, field: "target.skills")
            key.preferred = .zero
            if let lang { language = try internLanguage(lang, field: "target.language") }
            key.language = language
            key.target = -1
        case .agent(let id):
            guard let t = agentIndex[id] else { throw .notFound("agent \(id) is not known; it must log in once first", field: "target.agent_id") }
            guard t != a else { throw .invalidArgument("cannot transfer a contact to the agent that holds it", field: "target.agent_id") }
            key.required = .zero
            key.preferred = .zero
            key.target = t
        }
        let sig = try signature(for: key)
        detach(slot, from: a)
        agents[Int(a)].load -= Int32(policy.capacityCost[c.channel])
        let si = Int(slot)
        contacts[si].phase = .free
        contacts[si].version &+= 1
        contacts[si].signature = sig
        contacts[si].language = language
        contacts[si].relaxFrom = now
        contacts[si].preferredAgent = -1
        if policy.reofferCooldown > .zero {
            contacts[si].excludedAgent = a
            contacts[si].excludedUntil = now + policy.reofferCooldown
        }
        place(slot, rule: key.target >= 0 ? .transferToAgent : .bestIdleAgent, now: now, events: &events, announce: true)
        if policy.reofferCooldown > .zero, contacts[si].phase == .waiting {
            schedule(.cooldown, at: contacts[si].excludedUntil, lane: TimerLane.cooldown, slot: slot, version: 0, ident: contact.rawValue, units: 0)
        }
        noteState(a, events: &events)
        fill(a, now: now, events: &events)
    }

    /// Changes a waiting or offered contact's priority, skills or language. A waiting contact is
    /// re-placed at once (its arrival time is kept); an offered one uses the change if it returns.
    public mutating func update(_ contact: ContactID, _ change: ContactUpdate, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        guard let slot = contactIndex[contact] else { throw .notFound("\(contact) is not known to routing", field: "contact_id") }
        let c = contacts[Int(slot)]
        guard c.phase == .waiting || c.phase == .offered else {
            throw .failedPrecondition("\(contact) is already assigned; transfer it instead of updating it")
        }
        if let p = change.priority, !(1...10).contains(p) {
            throw .invalidArgument("priority must be 1 (lowest) to 10 (highest)", field: "priority")
        }
        var key = signatures[Int(c.signature)].key
        if let r = change.required { key.required = try pack(r, field: "required_skills") }
        if let p = change.preferred { key.preferred = try pack(p, field: "preferred_skills") }
        var language = c.language
        if let l = change.language {
            language = try internLanguage(l, field: "language")
            if key.target < 0 { key.language = language }
        }
        let sig = try signature(for: key)
        let priority = change.priority ?? Int(c.priority)
        let wasWaiting = c.phase == .waiting
        if wasWaiting { removeWaiting(slot, now: now, departed: false) }
        let si = Int(slot)
        // New requirements may not suit the agent holding units for it: that agent takes work again.
        endReservation(of: slot)
        contacts[si].signature = sig
        contacts[si].language = language
        contacts[si].priority = UInt8(priority)
        contacts[si].orderKey = orderKey(arrivedAt: c.arrivedAt, channel: c.channel, priority: priority)
        if wasWaiting { place(slot, rule: .bestIdleAgent, now: now, events: &events, announce: false) }
        settleReleasedReservations(now: now, events: &events)
    }

    /// Takes a waiting or offered contact out of routing (the customer abandoned, or self-service
    /// solved it). An offer it had is withdrawn and that agent takes other work.
    public mutating func remove(_ contact: ContactID, at now: Instant, events: inout [RoutingEvent]) throws(SwitchboardError) {
        guard let slot = contactIndex[contact] else { throw .notFound("\(contact) is not known to routing", field: "contact_id") }
        let c = contacts[Int(slot)]
        switch c.phase {
        case .waiting:
            removeWaiting(slot, now: now, departed: false)
            release(slot)
            settleReleasedReservations(now: now, events: &events)
        case .offered:
            let a = c.agent
            detach(slot, from: a)
            agents[Int(a)].load -= Int32(policy.capacityCost[c.channel])
            release(slot)
            noteState(a, events: &events)
            fill(a, now: now, events: &events)
        case .assigned:
            throw .failedPrecondition("\(contact) is assigned to \(agentIDs[Int(c.agent)]); complete it instead")
        case .free:
            throw .notFound("\(contact) is not known to routing", field: "contact_id")
        }
    }

    /// Runs everything due by `now`, in deadline order: offer timeouts, wrap-up ends, relaxation
    /// steps and re-offer cooldowns. Each runs as of its own deadline.
    public mutating func advance(to now: Instant, events: inout [RoutingEvent]) {
        while let t = timers.min, t.at <= now {
            timers.popMin()
            guard timerIsLive(t) else { continue }
            let at = t.at
            switch t.kind {
            case .offerTimeout:
                returnOffer(t.slot, from: contacts[Int(t.slot)].agent, expired: true, countMissed: true, now: at, events: &events)
            case .relaxation:
                let slot = t.slot
                let old = contacts[Int(slot)].bucket
                removeWaiting(slot, now: at, departed: false)
                let step = stepFor(slot, now: at)
                contacts[Int(slot)].step = Int32(step)
                contacts[Int(slot)].bucket = signatures[Int(contacts[Int(slot)].signature)].stepBuckets[step]
                if contacts[Int(slot)].bucket != old { events.append(.relaxed(contacts[Int(slot)].id, step: step)) }
                place(slot, rule: .relaxed, now: at, events: &events, announce: false)
            case .cooldown:
                let slot = t.slot
                contacts[Int(slot)].excludedAgent = -1
                buckets[Int(contacts[Int(slot)].bucket)].excludedLive -= 1
                if let choice = findAgent(for: slot, now: at) {
                    removeWaiting(slot, now: at, departed: true)
                    makeOffer(slot, to: choice.agent, rule: .cooldownEnded, considered: choice.considered, now: at, events: &events)
                }
            case .wrapUpEnd:
                let a = t.slot
                agents[Int(a)].load -= t.units
                agents[Int(a)].wrapUpUnits -= t.units
                agents[Int(a)].wrapUpCount -= 1
                if agents[Int(a)].status == .available && agents[Int(a)].activeCount == 0 { agents[Int(a)].idleSince = at }
                noteState(a, events: &events)
                fill(a, now: at, events: &events)
            }
            settleReleasedReservations(now: at, events: &events)
        }
    }
}

// MARK: - Internal steps shared by the operations

extension Router {
    @inline(__always) func agentSlot(_ id: AgentID) throws(SwitchboardError) -> Int32 {
        guard let s = agentIndex[id] else { throw .notFound("agent \(id) is not logged in; call Login first", field: "agent_id") }
        return s
    }

    /// The contact's slot and its agent's slot when `agent` is the agent the contact is with
    /// (offered or assigned): one integer lookup and a name comparison instead of hashing the name.
    /// Nil when not, and the caller takes the slow path that names what is wrong.
    @inline(__always) func holder(of contact: ContactID, is agent: AgentID) -> (slot: Int32, agent: Int32)? {
        guard let slot = contactIndex[contact] else { return nil }
        let a = contacts[Int(slot)].agent
        guard a >= 0, agentIDs[Int(a)] == agent else { return nil }
        return (slot, a)
    }

    /// Where a request's requirements sit in its channel's part of `requestCache`: a hash of the
    /// language, the skill names and levels, reading of each name at most its first eight bytes,
    /// its last byte and its length (names that differ only further inside share a slot; a hit is
    /// confirmed by `==` anyway).
    @inline(__always) static func requestCacheSlot(language: String?, required: [SkillRequirement], preferred: [SkillRequirement]) -> Int {
        var h: UInt32 = 2_166_136_261
        @inline(__always) func mix(_ s: String) {
            // On the bytes themselves: `utf8.prefix(8)` and `utf8.last` go through the generic
            // collection paths of `String.UTF8View`, a few hundred instructions per arrival.
            var name = s
            name.withUTF8 { u in
                for i in 0..<Swift.min(8, u.count) { h = (h ^ UInt32(u[i])) &* 16_777_619 }
                h = (h ^ (UInt32(u.last ?? 0) | UInt32(truncatingIfNeeded: u.count) << 8)) &* 16_777_619
            }
        }
        if let l = language { mix(l) }
        for q in required {
            mix(q.skill)
            h = (h ^ UInt32(truncatingIfNeeded: q.minimumLevel)) &* 16_777_619
        }
        h = (h ^ 0xFE) &* 16_777_619
        for q in preferred {
            mix(q.skill)
            h = (h ^ UInt32(truncatingIfNeeded: q.minimumLevel)) &* 16_777_619
        }
        return Int((h ^ h >> 16) % UInt32(requestCacheSize / 2))
    }

    @inline(__always) func offered(_ contact: ContactID, to agent: AgentID) throws(SwitchboardError) -> (Int32, Int32) {
        if let (slot, a) = holder(of: contact, is: agent), contacts[Int(slot)].phase == .offered { return (slot, a) }
        let a = try agentSlot(agent)
        guard let slot = contactIndex[contact] else { throw .notFound("\(contact) is not known to routing", field: "contact_id") }
        let c = contacts[Int(slot)]
        guard c.phase == .offered, c.agent == a else {
            throw .failedPrecondition("\(contact) is not on offer to \(agent) (the offer may have expired or gone to someone else)")
        }
        return (slot, a)
    }

    mutating func pack(_ list: [SkillRequirement], field: String) throws(SwitchboardError) -> PackedRequirements {
        guard list.count <= 8 else { throw .invalidArgument("at most 8 skills per list", field: field) }
        var packed = PackedRequirements.zero
        for (i, r) in list.enumerated() {
            guard (1...10).contains(r.minimumLevel) else {
                throw .invalidArgument("minimum level must be 1–10", field: "\(field)[\(i)].minimum_level")
            }
            packed.merge(skill: try internSkill(r.skill, field: "\(field)[\(i)].skill"), level: r.minimumLevel)
        }
        return packed
    }

    /// Inlined, as `score` is, so that calling it copies no router.
    @inline(__always) func orderKey(arrivedAt: Instant, channel: Channel, priority: Int) -> Int64 {
        let sl = Int64(policy.serviceLevelWeight * Double(policy.serviceLevelTarget[channel].microseconds))
        return arrivedAt.microseconds &+ sl &- policy.priorityCredit.microseconds &* Int64(priority - 1)
    }

    func stepFor(_ slot: Int32, now: Instant) -> Int {
        let waited = now - contacts[Int(slot)].relaxFrom
        var step = 0
        while step + 1 < steps.count && steps[step + 1].after <= waited { step += 1 }
        return step
    }

    @inline(__always) func timerIsLive(_ t: TimerEntry) -> Bool {
        switch t.kind {
        case .offerTimeout:
            let c = contacts[Int(t.slot)]
            return c.id.rawValue == t.ident && c.version == t.version && c.phase == .offered
        case .relaxation:
            let c = contacts[Int(t.slot)]
            return c.id.rawValue == t.ident && c.version == t.version && c.phase == .waiting
        case .cooldown:
            let c = contacts[Int(t.slot)]
            return c.id.rawValue == t.ident && c.phase == .waiting && c.excludedAgent >= 0 && c.excludedUntil <= t.at
        case .wrapUpEnd:
            return agentEpochs[Int(t.slot)] == t.version
        }
    }

    mutating func schedule(_ kind: TimerKind, at: Instant, lane: Int, slot: Int32, version: UInt32, ident: UInt64, units: Int32) {
        timerSeq &+= 1
        timers.insert(TimerEntry(at: at, seq: timerSeq, kind: kind, slot: slot, version: version, ident: ident, units: units), lane: lane)
    }

    /// Offers the contact (not in any bucket) to the best eligible idle agent, or puts it in line.
    mutating func place(_ slot: Int32, rule: Explanation.Rule, now: Instant, events: inout [RoutingEvent], announce: Bool) {
        let si = Int(slot)
        let step = stepFor(slot, now: now)
        contacts[si].step = Int32(step)
        let sig = Int(contacts[si].signature)
        let b = step == 0 ? signatureSummaries[sig].firstBucket : signatures[sig].stepBuckets[step]
        contacts[si].bucket = b
        if contacts[si].excludedAgent >= 0 && now >= contacts[si].excludedUntil { contacts[si].excludedAgent = -1 }
        // If a contact with the same requirements already waits and bars no agent, then (by the
        // invariant that no available agent with room sits beside a contact it may take) no idle
        // agent can take this one either: skip the search.
        let mustSearch = buckets[Int(b)].live <= buckets[Int(b)].excludedLive
        if mustSearch, let choice = findAgent(for: slot, now: now) {
            makeOffer(slot, to: choice.agent, rule: rule, considered: choice.considered, now: now, events: &events)
            return
        }
        contacts[si].phase = .waiting
        insertWaiting(slot)
        if announce { events.append(.queued(contacts[si].id, channel: contacts[si].channel, step: step)) }
        // The next step that changes this contact's bucket.
        let next = step == 0 ? Int(signatureSummaries[sig].firstChange) : signatures[sig].nextChange(after: step)
        if next < steps.count {
            schedule(.relaxation, at: contacts[si].relaxFrom + steps[next].after, lane: TimerLane.relaxation(step: next), slot: slot, version: contacts[si].version, ident: contacts[si].id.rawValue, units: 0)
        }
    }

    /// Offers a contact to an agent. `refresh: false` leaves the agent's index entry for the caller
    /// to update once after several offers (freed capacity filling up). The offer is explained by
    /// `rule`, `considered` and, when offers are explained, the `offerCandidates` the decision left.
    ///
    /// With `offersAcceptedAtOnce` the agent takes it in the same step, exactly as `accept` would
    /// (the contact is assigned; no offer timeout is scheduled, none could ever come due), and the
    /// `offered` event is built only when offers are explained, for a caller that reads them.
    mutating func makeOffer(_ slot: Int32, to a: Int32, rule: Explanation.Rule, considered: Int, now: Instant, events: inout [RoutingEvent], refresh: Bool = true) {
        let si = Int(slot)
        endReservation(of: slot, takenBy: a)
        let channel = contacts[si].channel
        let expires = now + policy.offerTimeout[channel]
        contacts[si].agent = a
        contacts[si].expiresAt = expires
        contacts[si].version &+= 1
        let ai = Int(a)
        agents[ai].load += Int32(policy.capacityCost[channel])
        addActive(slot, to: a)
        agents[ai].idleSince = now
        if refresh { refreshAgentIndex(a) }
        if explainsOffers || !offersAcceptedAtOnce {
            let c = contacts[si]
            var candidates = TopCandidates()
            if explainsOffers { swap(&candidates, &offerCandidates) }
            let explanation = Explanation(
                rule: rule, step: Int(c.step), orderKey: Double(c.orderKey) / 1_000_000, waited: now - c.arrivedAt,
                considered: considered, candidates: candidates)
            events.append(.offered(Offer(contact: c.id, agent: agentIDs[ai], channel: channel, expiresAt: expires, explanation: explanation)))
        }
        if offersAcceptedAtOnce {
            contacts[si].phase = .assigned
            agents[ai].missedInARow = 0
            events.append(.assigned(contacts[si].id, agent: agentIDs[ai], channel: channel, waited: now - contacts[si].arrivedAt))
        } else {
            contacts[si].phase = .offered
            agents[ai].offeredCount += 1
            schedule(.offerTimeout, at: expires, lane: TimerLane.offer(channel), slot: slot, version: contacts[si].version, ident: contacts[si].id.rawValue, units: 0)
        }
        noteState(a, events: &events)
    }

    /// Capacity freed: the agent takes the first eligible waiting contacts in order until full, then
    /// its index entry is brought up to date (once).
    ///
    /// Capacity reservation keeps big contacts from starving: agents are rarely empty when chats
    /// and emails keep taking their partial capacity, so a voice call (100 units) would never fit.
    /// When the first contact in line for this agent does not fit its spare units and has waited
    /// `reserveCapacityAfter` for its channel, the agent reserves it: it takes no other work, its
    /// units drain as its contacts finish, and the contact is offered to it the moment it fits
    /// (unless an agent with room takes it first, which frees the reservation). One agent per contact.
    mutating func fill(_ a: Int32, now: Instant, events: inout [RoutingEvent]) {
        defer {
            refreshAgentIndex(a)
            settleReleasedReservations(now: now, events: &events)
        }
        let ai = Int(a)
        let reserved = agents[ai].reservedFor
        if reserved >= 0 {
            guard agents[ai].status == .available,
                  agents[ai].capacity - agents[ai].load >= Int32(policy.capacityCost[contacts[Int(reserved)].channel]) else { return }
            removeWaiting(reserved, now: now, departed: true)
            offerFromLine(reserved, to: a, rule: .reservedCapacity, considered: 1, now: now, events: &events)
        }
        // Nothing waits anywhere (most of the time, in a centre that meets its service level):
        // there is nothing to search for.
        while waitingCount > 0 && isRoutable(a) {
            let spare = agents[ai].capacity - agents[ai].load
            let capacity = agents[ai].capacity
            // Look past what fits only when something bigger could be waiting for this agent.
            let reach = channelFit(spare: capacity) != channelFit(spare: spare) ? capacity : spare
            let found = findContact(for: a, reach: reach, now: now)
            if found.head >= 0 && found.head != found.fitting {
                let c = contacts[Int(found.head)]
                if c.reservedBy < 0 && now - c.arrivedAt >= policy.reserveCapacityAfter[c.channel] {
                    agents[ai].reservedFor = found.head
                    reservationCount += 1
                    contacts[Int(found.head)].reservedBy = a
                    noteTopReservation(c.bucket)
                    return
                }
            }
            guard found.fitting >= 0 else { return }
            removeWaiting(found.fitting, now: now, departed: true)
            offerFromLine(found.fitting, to: a, rule: .bestWaitingContact, considered: found.considered, now: now, events: &events)
        }
    }

    /// Offers a contact just taken out of line to the agent whose freed capacity chose it.
    mutating func offerFromLine(_ slot: Int32, to a: Int32, rule: Explanation.Rule, considered: Int, now: Instant, events: inout [RoutingEvent]) {
        if explainsOffers {
            offerCandidates = TopCandidates()
            offerCandidates.offer(ScoredAgent(agent: agentIDs[Int(a)], score: score(a, contact: contacts[Int(slot)], now: now)))
        }
        makeOffer(slot, to: a, rule: rule, considered: considered, now: now, events: &events, refresh: false)
    }

    /// Agents whose reserved contact went elsewhere (another agent, or out of routing) take work again.
    mutating func settleReleasedReservations(now: Instant, events: inout [RoutingEvent]) {
        // (Empty after nearly every fill: checked first, since `popLast` would check the array's
        // storage is not shared, a runtime call, every time.)
        while !releasedReservations.isEmpty, let b = releasedReservations.popLast() {
            fill(b, now: now, events: &events)
        }
    }

    /// The agent stops holding its units for a contact (it went away, logged out or changed profile);
    /// the contact waits on, and the next eligible agent that frees units may reserve it.
    mutating func cancelReservation(of a: Int32) {
        let slot = agents[Int(a)].reservedFor
        guard slot >= 0 else { return }
        endReservation(of: slot, takenBy: a)
        noteTopReservation(contacts[Int(slot)].bucket)
    }

    /// Ends the reservation held for contact `slot`, if any. Its holder takes work again once the
    /// operation in progress is done with its own offers, unless it is `taker` (the agent the
    /// contact goes to, or the holder itself giving the reservation up).
    mutating func endReservation(of slot: Int32, takenBy taker: Int32 = -1) {
        let holder = contacts[Int(slot)].reservedBy
        guard holder >= 0 else { return }
        contacts[Int(slot)].reservedBy = -1
        agents[Int(holder)].reservedFor = -1
        reservationCount -= 1
        if holder != taker { releasedReservations.append(holder) }
    }

    /// An offer ends without acceptance: the agent's units come back, the contact goes back in line
    /// at its original order key (or to another idle agent), and the agent takes other work.
    mutating func returnOffer(_ slot: Int32, from a: Int32, expired: Bool, countMissed: Bool, now: Instant, events: inout [RoutingEvent]) {
        let si = Int(slot)
        let ai = Int(a)
        let id = contacts[si].id
        detach(slot, from: a)
        agents[ai].load -= Int32(policy.capacityCost[contacts[si].channel])
        events.append(expired ? .offerExpired(id, agent: agentIDs[ai]) : .offerDeclined(id, agent: agentIDs[ai]))
        if countMissed {
            agents[ai].missedInARow += 1
            if policy.missedOffersToAway > 0 && Int(agents[ai].missedInARow) >= policy.missedOffersToAway && agents[ai].status == .available {
                cancelReservation(of: a)
                agents[ai].status = .away
            }
        } else if !expired {
            agents[ai].missedInARow = 0
        }
        refreshAgentIndex(a)
        noteState(a, events: &events)
        contacts[si].phase = .free
        contacts[si].version &+= 1
        if policy.reofferCooldown > .zero && agents[ai].status != .offline {
            contacts[si].excludedAgent = a
            contacts[si].excludedUntil = now + policy.reofferCooldown
        }
        place(slot, rule: .bestIdleAgent, now: now, events: &events, announce: false)
        if contacts[si].phase == .waiting && contacts[si].excludedAgent >= 0 && contacts[si].excludedUntil > now {
            schedule(.cooldown, at: contacts[si].excludedUntil, lane: TimerLane.cooldown, slot: slot, version: 0, ident: id.rawValue, units: 0)
        }
        fill(a, now: now, events: &events)
    }

    /// Drops a contact from its agent's active list and offer count (units are the caller's business).
    mutating func detach(_ slot: Int32, from a: Int32) {
        let ai = Int(a)
        removeActive(slot, from: a)
        if contacts[Int(slot)].phase == .offered { agents[ai].offeredCount -= 1 }
    }

    /// Adds a contact to the agent's active list. The first eight sit in eight places per agent of
    /// one flat array, so an offer writes one word into an array that is always warm; a list per
    /// agent cost a uniqueness check and a cold cache line on every offer. (Not a `SIMD8` per
    /// agent: writing one lane of a vector went through the stack and stalled the reload.) An
    /// agent holding more spills into `agentActiveSpill`.
    @inline(__always) mutating func addActive(_ slot: Int32, to a: Int32) {
        let ai = Int(a)
        let n = Int(agents[ai].activeCount)
        if n < Self.activeInline {
            agentActive[ai &* Self.activeInline &+ n] = slot
        } else {
            agentActiveSpill[ai].append(slot)
        }
        agents[ai].activeCount += 1
    }

    /// Takes a contact off the agent's active list, moving the last one into its place (the order
    /// a single list with swap-removal would have). Does nothing when it is not there.
    @inline(__always) mutating func removeActive(_ slot: Int32, from a: Int32) {
        let ai = Int(a)
        let last = Int(agents[ai].activeCount) - 1
        guard last >= 0 else { return }
        let base = ai &* Self.activeInline
        let inlineCount = Swift.min(last + 1, Self.activeInline)
        var i = 0
        while i < inlineCount && agentActive[base &+ i] != slot { i += 1 }
        if i < inlineCount {
            if last < Self.activeInline {
                agentActive[base &+ i] = agentActive[base &+ last]
                agentActive[base &+ last] = -1
            } else {
                agentActive[base &+ i] = agentActiveSpill[ai].removeLast()
            }
        } else {
            guard let j = agentActiveSpill[ai].firstIndex(of: slot) else { return }
            agentActiveSpill[ai].swapAt(j, agentActiveSpill[ai].count - 1)
            agentActiveSpill[ai].removeLast()
        }
        agents[ai].activeCount -= 1
    }

    /// Forgets a contact: its slot is reused.
    mutating func release(_ slot: Int32) {
        let si = Int(slot)
        endReservation(of: slot)
        contactIndex[contacts[si].id] = nil
        contacts[si].phase = .free
        contacts[si].version &+= 1
        freeContactSlots.append(slot)
    }

    func shownState(_ a: AgentRecord) -> AgentState {
        switch a.status {
        case .offline: return .offline
        case .away: return .away
        case .available: return a.activeCount == 0 && a.wrapUpCount > 0 ? .wrapUp : .available
        }
    }

    mutating func noteState(_ a: Int32, events: inout [RoutingEvent]) {
        let ai = Int(a)
        let s = shownState(agents[ai])
        if s != agents[ai].shownState {
            if reportsAgentStates { events.append(.agentStateChanged(agentIDs[ai], from: agents[ai].shownState, to: s)) }
            agents[ai].shownState = s
        }
    }
}

extension Router {
    /// Checks a request without changing anything, so a caller can validate before doing other work
    /// (the engine checks before threading, so a bad request creates no customer or case).
    /// One requirement list (checked without building a list of lists: this runs on every push).
    static func validate(_ list: [SkillRequirement], field: String) throws(SwitchboardError) {
        guard list.count <= 8 else { throw .invalidArgument("at most 8 skills per list", field: field) }
        for (i, r) in list.enumerated() {
            guard !r.skill.isEmpty, r.skill.utf8.count <= 128 else {
                throw .invalidArgument("skill names must be 1–128 bytes", field: "\(field)[\(i)].skill")
            }
            guard (1...10).contains(r.minimumLevel) else {
                throw .invalidArgument("minimum level must be 1–10", field: "\(field)[\(i)].minimum_level")
            }
        }
    }

    public func validate(_ request: RoutingRequest) throws(SwitchboardError) {
        try Self.validate(required: request.required, preferred: request.preferred, language: request.language, priority: request.priority)
    }

    /// `validate(_:)` for the parts of a request, for a caller that has them apart (the engine,
    /// from a `NewContact`): needs no router, and copies nothing.
    public static func validate(required: [SkillRequirement], preferred: [SkillRequirement], language: String?, priority: Int) throws(SwitchboardError) {
        guard (1...10).contains(priority) else {
            throw .invalidArgument("priority must be 1 (lowest) to 10 (highest)", field: "priority")
        }
        try validate(required, field: "required_skills")
        try validate(preferred, field: "preferred_skills")
        if let l = language {
            guard !l.isEmpty, l.utf8.count <= 64 else {
                throw .invalidArgument("language must be 1–64 bytes; leave it out to accept any language", field: "language")
            }
        }
    }
}
