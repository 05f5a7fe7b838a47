#if canImport(Glibc)
import Glibc
#endif
import Histogram
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting

/// Issue 3's routing benchmark: 10,000 agents, 50 skills, 12 languages, 100,000 waiting contacts.
///
/// Lines printed:
/// - `engine.arrival`: routing a new contact (find the best eligible idle agent, or queue it), with
///   100k waiting and the agents busy, interleaved 1:1 with capacity-freed decisions so the line
///   stays at 100k.
/// - `engine.capacity_freed`: an agent completes a contact (no wrap-up) and takes the first eligible
///   waiting contact.
/// - `engine.arrival_idle_agents`: routing a contact when most agents are idle (the candidate walk
///   through the agent index does real work here).
/// - `engine.memory`: resident bytes per waiting contact while filling the line to 100k.
/// - `engine.push`: the whole Engine push (threading an anonymous contact + routing), for scale.
/// - `engine.position_*`: queue positions in the 100k line (see `measurePositions`).
@MainActor let engineSuite = BenchSuite(name: "engine") {
    let seed: UInt64 = 0x5EED_0003
    let scenario = RoutingScenario(seed: seed)

    // Busy agents and 100k waiting, with the default policy (capacity reservation on), then the
    // same with reservation off: the difference is what reservation costs when every waiting
    // contact is overdue.
    var (now, nextID, rng) = measureBusyDecisions(scenario: scenario, policy: scenario.policy, seed: seed, suffix: "", nextID: 1)
    var withoutReservation = scenario.policy
    withoutReservation.reserveCapacityAfter = PerChannel(voice: .hours(100_000), chat: .hours(100_000), email: .hours(100_000), social: .hours(100_000))
    (now, nextID, rng) = measureBusyDecisions(scenario: scenario, policy: withoutReservation, seed: seed, suffix: "_without_reservation", nextID: nextID)
    var events: [RoutingEvent] = []
    events.reserveCapacity(64)
    let rounds = 200_000

    // Arrivals with mostly idle agents: each offer is completed at once (untimed) so agents stay idle.
    do {
        var idle = try Router(policy: scenario.policy)
        idle.reserveCapacity(contacts: 100_000, agents: scenario.agents.count)
        var t = Instant.seconds(1_000)
        for profile in scenario.agents { try idle.login(profile, at: t, events: &events) }
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var total: UInt64 = 0
        var offered = 0
        var scratch: [RoutingEvent] = []
        for _ in 0..<rounds {
            t += Span(microseconds: 500)
            events.removeAll(keepingCapacity: true)
            let request = scenario.request(ContactID(nextID), arrivedAt: t, rng: &rng)
            nextID += 1
            let t0 = monotonicNanos()
            try idle.enqueue(request, at: t, events: &events)
            let t1 = monotonicNanos()
            _ = h.record(t1 - t0)
            total += t1 - t0
            for e in events {
                guard case .offered(let o) = e else { continue }
                offered += 1
                scratch.removeAll(keepingCapacity: true)
                try idle.accept(o.contact, by: o.agent, at: t, events: &scratch)
                try idle.complete(o.contact, by: o.agent, wrapUp: .zero, at: t, events: &scratch)
            }
        }
        emit([
            "suite": .string("engine"), "name": .string("engine.arrival_idle_agents"), "decisions": .int(rounds),
            "offers": .int(offered), "waiting_at_end": .int(idle.waitingContacts),
            "p50_us": .double(Double(h.valueAtPercentile(50)) / 1000), "p99_us": .double(Double(h.valueAtPercentile(99)) / 1000),
            "max_us": .double(Double(h.max) / 1000), "mean_us": .double(Double(total) / Double(rounds) / 1000),
        ])
    } catch {
        FileHandleOutput.error("engine.arrival_idle_agents failed: \(error)")
    }

    // The whole Engine push (threading + routing) for anonymous contacts, agents busy.
    do {
        var policy = Policy()
        policy.routing = scenario.policy
        var engine = try Engine(policy: policy, trackKPIs: false)
        var engineEvents: [EngineEvent] = []
        engineEvents.reserveCapacity(64)
        var t = Instant.seconds(1_000)
        for profile in scenario.agents.prefix(1_000) { try engine.login(profile, at: t, events: &engineEvents) }
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        let n = 100_000
        var total: UInt64 = 0
        for _ in 0..<n {
            t += Span(microseconds: 500)
            engineEvents.removeAll(keepingCapacity: true)
            let r = scenario.request(ContactID(0), arrivedAt: t, rng: &rng)
            let new = NewContact(channel: r.channel, language: r.language, priority: r.priority, required: r.required, preferred: r.preferred)
            let t0 = monotonicNanos()
            _ = try engine.pushContact(new, at: t, events: &engineEvents)
            let t1 = monotonicNanos()
            _ = h.record(t1 - t0)
            total += t1 - t0
        }
        emit([
            "suite": .string("engine"), "name": .string("engine.push"), "pushes": .int(n),
            "p50_us": .double(Double(h.valueAtPercentile(50)) / 1000), "p99_us": .double(Double(h.valueAtPercentile(99)) / 1000),
            "max_us": .double(Double(h.max) / 1000), "pushes_per_s": .double((Double(n) / (Double(total) / 1e9)).rounded()),
        ])
    } catch {
        FileHandleOutput.error("engine.push failed: \(error)")
    }
}

/// Fills the line to 100k waiting with every agent busy, then alternates one arrival and one
/// capacity-freed decision, printing memory, latency and throughput lines named with `suffix`.
/// Returns the engine's state for the later lines (clock, next id, random stream).
@MainActor func measureBusyDecisions(
    scenario: RoutingScenario, policy: RoutingPolicy, seed: UInt64, suffix: String, nextID startID: UInt64
) -> (now: Instant, nextID: UInt64, rng: SplitMix64) {
    // Build: agents log in idle; the first contacts get offered and accepted until every agent is
    // full; the rest queue until 100k wait.
    var router: Router
    do { router = try Router(policy: policy) } catch { fatalError("bench policy: \(error)") }
    var events: [RoutingEvent] = []
    events.reserveCapacity(64)
    var now = Instant.seconds(1_000)
    for profile in scenario.agents {
        do { try router.login(profile, at: now, events: &events) } catch { fatalError("bench login: \(error)") }
    }
    router.reserveCapacity(contacts: 400_000, agents: scenario.agents.count)
    var rng = SplitMix64(seed: seed ^ 0xABCD)
    var nextID = startID
    var assigned: [(ContactID, AgentID)] = []
    assigned.reserveCapacity(40_000)

    func acceptOffers(_ events: [RoutingEvent], _ router: inout Router, _ assigned: inout [(ContactID, AgentID)], at now: Instant) {
        var scratch: [RoutingEvent] = []
        for e in events {
            if case .offered(let o) = e {
                do { try router.accept(o.contact, by: o.agent, at: now, events: &scratch) } catch { fatalError("accept: \(error)") }
                assigned.append((o.contact, o.agent))
            }
        }
    }

    let rssBefore = residentBytes()
    let waitingTarget = 100_000
    while router.waitingContacts < waitingTarget {
        events.removeAll(keepingCapacity: true)
        let request = scenario.request(ContactID(nextID), arrivedAt: now, rng: &rng)
        nextID += 1
        do { try router.enqueue(request, at: now, events: &events) } catch { fatalError("enqueue: \(error)") }
        acceptOffers(events, &router, &assigned, at: now)
        now += Span(microseconds: 200)
    }
    let rssAfter = residentBytes()
    let bytesPerWaiting = Double(rssAfter - rssBefore) / Double(waitingTarget)
    // Memory only for the first router of the process: a later one reuses the earlier one's pages.
    if suffix.isEmpty { emit([
        "suite": .string("engine"), "name": .string("engine.memory" + suffix), "seed": .int(Int(seed)),
        "agents": .int(scenario.agents.count), "skills": .int(RoutingScenario.skillCount),
        "languages": .int(RoutingScenario.languageCount), "waiting": .int(router.waitingContacts),
        "assigned": .int(assigned.count), "bytes_per_waiting_contact": .double(bytesPerWaiting.rounded()),
        "target_bytes_per_waiting_contact": .int(1024),
    ]) }

    // Measure: alternate one arrival and one capacity-freed decision.
    let rounds = 200_000
    var arrival = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var freed = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var arrivalNanos: UInt64 = 0
    var freedNanos: UInt64 = 0
    var offersOnArrival = 0
    var offersOnFreed = 0
    var consideredOnFreed = 0
    let loopStart = monotonicNanos()
    let cpuStart = threadCPUNanos()
    for _ in 0..<rounds {
        now += Span(microseconds: 500)
        events.removeAll(keepingCapacity: true)
        let request = scenario.request(ContactID(nextID), arrivedAt: now, rng: &rng)
        nextID += 1
        let t0 = monotonicNanos()
        do { try router.enqueue(request, at: now, events: &events) } catch { fatalError("enqueue: \(error)") }
        let t1 = monotonicNanos()
        _ = arrival.record(t1 - t0)
        arrivalNanos += t1 - t0
        for e in events { if case .offered = e { offersOnArrival += 1 } }
        acceptOffers(events, &router, &assigned, at: now)

        guard !assigned.isEmpty else { continue }
        let pick = Int(rng.next() % UInt64(assigned.count))
        let (contact, agent) = assigned[pick]
        assigned.swapAt(pick, assigned.count - 1)
        assigned.removeLast()
        events.removeAll(keepingCapacity: true)
        let t2 = monotonicNanos()
        do { try router.complete(contact, by: agent, wrapUp: .zero, at: now, events: &events) } catch { fatalError("complete: \(error)") }
        let t3 = monotonicNanos()
        _ = freed.record(t3 - t2)
        freedNanos += t3 - t2
        for e in events {
            if case .offered(let o) = e {
                offersOnFreed += 1
                consideredOnFreed += o.explanation.considered
            }
        }
        acceptOffers(events, &router, &assigned, at: now)
    }
    let loopNanos = monotonicNanos() - loopStart
    let cpuNanos = threadCPUNanos() - cpuStart
    emit([
        "suite": .string("engine"), "name": .string("engine.capacity_freed_buckets_looked_at" + suffix),
        "mean": .double(Double(consideredOnFreed) / Double(max(1, offersOnFreed))),
    ])
    let decisions = Double(2 * rounds)
    for (name, h, total, offers) in [("engine.arrival" + suffix, arrival, arrivalNanos, offersOnArrival), ("engine.capacity_freed" + suffix, freed, freedNanos, offersOnFreed)] {
        emit([
            "suite": .string("engine"), "name": .string(name), "decisions": .int(rounds), "offers": .int(offers),
            "waiting_at_end": .int(router.waitingContacts),
            "p50_us": .double(Double(h.valueAtPercentile(50)) / 1000), "p99_us": .double(Double(h.valueAtPercentile(99)) / 1000),
            "max_us": .double(Double(h.max) / 1000), "mean_us": .double(Double(total) / Double(rounds) / 1000),
            "decisions_per_s": .double((Double(rounds) / (Double(total) / 1e9)).rounded()),
            "target_p50_us": .int(2), "target_p99_us": .int(20),
        ])
    }
    emit([
        "suite": .string("engine"), "name": .string("engine.decisions_per_second" + suffix),
        "decisions_per_s_timed": .double((decisions / (Double(arrivalNanos + freedNanos) / 1e9)).rounded()),
        "decisions_per_s_wall_incl_accepts": .double((decisions / (Double(loopNanos) / 1e9)).rounded()),
        "decisions_per_cpu_s_incl_accepts": .double((decisions / (Double(cpuNanos) / 1e9)).rounded()),
        "load_average_1m": .double(loadAverage()),
        "target_decisions_per_s": .int(300_000),
    ])
    if CommandLine.arguments.contains("--check"), let problem = router.invariantViolations(at: now).first {
        FileHandleOutput.error("invariant violated: \(problem)")
    }
    if suffix.isEmpty {
        // On copies of the clock, ids and random stream, so the lines after these see the same
        // workload as before they existed.
        var (t, id, r) = (now, nextID, rng)
        measurePositions(&router, scenario: scenario, now: &t, nextID: &id, rng: &r)
        measurePositionsInOneLine()
    }
    return (now, nextID, rng)
}

/// `engine.position_new_arrival`: the queue position of a contact just queued behind the 100k (what
/// every PushContact answer carries); `engine.position_random_waiting`: the position of a waiting
/// contact picked at random (what a GetContact or UpdateContact answer carries).
@MainActor func measurePositions(_ router: inout Router, scenario: RoutingScenario, now: inout Instant, nextID: inout UInt64, rng: inout SplitMix64) {
    let rounds = 2_000
    var events: [RoutingEvent] = []
    var newest = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var lineLengths = 0
    for _ in 0..<rounds {
        now += Span(microseconds: 500)
        events.removeAll(keepingCapacity: true)
        let request = scenario.request(ContactID(nextID), arrivedAt: now, rng: &rng)
        nextID += 1
        do { try router.enqueue(request, at: now, events: &events) } catch { fatalError("enqueue: \(error)") }
        let t0 = monotonicNanos()
        let p = router.position(of: request.contact)
        let t1 = monotonicNanos()
        guard let p else { continue }  // offered at once: no position to ask for
        _ = newest.record(t1 - t0)
        lineLengths += p.queueLength
    }
    var random = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var positions = 0
    var tries = 0
    while random.totalCount < UInt64(rounds) && tries < 100 * rounds {
        tries += 1
        let id = ContactID(1 + rng.next() % (nextID - 1))
        let t0 = monotonicNanos()
        let p = router.position(of: id)
        let t1 = monotonicNanos()
        guard let p else { continue }
        _ = random.record(t1 - t0)
        positions += p.position
    }
    for (name, h, extra) in [("engine.position_new_arrival", newest, ("mean_line_length", Double(lineLengths) / Double(max(1, newest.totalCount)))),
                             ("engine.position_random_waiting", random, ("mean_position", Double(positions) / Double(max(1, random.totalCount))))] {
        emit([
            "suite": .string("engine"), "name": .string(name), "samples": .int(Int(h.totalCount)),
            "p50_us": .double(Double(h.valueAtPercentile(50)) / 1000), "p99_us": .double(Double(h.valueAtPercentile(99)) / 1000),
            "max_us": .double(Double(h.max) / 1000), extra.0: .double(extra.1.rounded()),
        ])
    }
}

/// `engine.position_one_line_*`: the same two questions when all 100k wait in one line (one skill,
/// one language, one priority, no agent logged in: a Black Friday queue). A new arrival is at the
/// back of the line and answered without a scan; a random contact costs a scan of the line.
@MainActor func measurePositionsInOneLine() {
    do {
        var router = try Router(policy: RoutingPolicy())
        router.reserveCapacity(contacts: 110_000, agents: 1)
        var events: [RoutingEvent] = []
        var now = Instant.seconds(1_000)
        let required = [SkillRequirement("orders", minimumLevel: 1)]
        func push(_ id: UInt64) throws {
            events.removeAll(keepingCapacity: true)
            try router.enqueue(RoutingRequest(contact: ContactID(id), channel: .voice, required: required, language: "en", priority: 5, arrivedAt: now), at: now, events: &events)
            now += Span(microseconds: 100)
        }
        var next: UInt64 = 1
        while next <= 100_000 { try push(next); next += 1 }
        var newest = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var random = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var rng = SplitMix64(seed: 0x11E)
        var positions = 0
        for _ in 0..<2_000 {
            try push(next)
            let t0 = monotonicNanos()
            let p = router.position(of: ContactID(next))
            let t1 = monotonicNanos()
            next += 1
            if p != nil { _ = newest.record(t1 - t0) }
            let id = ContactID(1 + rng.next() % (next - 1))
            let t2 = monotonicNanos()
            let q = router.position(of: id)
            let t3 = monotonicNanos()
            if let q { _ = random.record(t3 - t2); positions += q.position }
        }
        for (name, h) in [("engine.position_one_line_new_arrival", newest), ("engine.position_one_line_random_waiting", random)] {
            emit([
                "suite": .string("engine"), "name": .string(name), "samples": .int(Int(h.totalCount)),
                "line_length": .int(router.waitingContacts),
                "p50_us": .double(Double(h.valueAtPercentile(50)) / 1000), "p99_us": .double(Double(h.valueAtPercentile(99)) / 1000),
                "max_us": .double(Double(h.max) / 1000),
            ])
        }
        emit(["suite": .string("engine"), "name": .string("engine.position_one_line_random_waiting_mean_position"),
              "mean_position": .double((Double(positions) / Double(max(1, random.totalCount))).rounded())])
    } catch {
        FileHandleOutput.error("engine.position_one_line failed: \(error)")
    }
}

/// CPU time of this thread: unlike wall time it does not count time the scheduler gave to other
/// processes, which matters on a shared build machine.
func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// The benchmark population, drawn from a seeded generator.
struct RoutingScenario {
    static let skillCount = 50
    static let languageCount = 12
    static let agentCount = 10_000

    let policy: RoutingPolicy
    let agents: [AgentProfile]
    let skills: [String]
    let languages: [String]
    /// Requirement lists prebuilt and shared, as an adapter's routing rules would produce them (so
    /// the measured loop does not time the benchmark's own array building).
    let requirementSets: [[SkillRequirement]]
    let preferredSets: [[SkillRequirement]]

    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        skills = (0..<Self.skillCount).map { "skill-\($0)" }
        languages = ["en", "es", "fr", "de", "it", "pt", "nl", "pl", "sv", "ja", "zh", "ar"]
        var policy = RoutingPolicy()
        policy.languageFallbacks = ["es": ["en"], "fr": ["en"], "de": ["en"], "it": ["en"], "pt": ["es", "en"], "nl": ["de", "en"]]
        self.policy = policy
        var agents: [AgentProfile] = []
        for i in 0..<Self.agentCount {
            var s: [String: Int] = [:]
            let n = 4 + Int(rng.next() % 3)
            while s.count < n { s[skills[Self.skewed(&rng, Self.skillCount)]] = 1 + Int(rng.next() % 10) }
            var langs = [languages[Self.skewed(&rng, Self.languageCount)]]
            if rng.next() % 2 == 0 { langs.append("en") }
            agents.append(AgentProfile(id: AgentID("agent-\(i)"), skills: s, languages: Array(Set(langs)).sorted(), capacity: 100))
        }
        self.agents = agents
        var sets: [[SkillRequirement]] = []
        for s in skills {
            for level in [1, 3, 5] { sets.append([SkillRequirement(s, minimumLevel: level)]) }
        }
        for _ in 0..<200 {
            let a = skills[Self.skewed(&rng, Self.skillCount)]
            let b = skills[Self.skewed(&rng, Self.skillCount)]
            if a != b { sets.append([SkillRequirement(a, minimumLevel: 1 + Int(rng.next() % 4)), SkillRequirement(b, minimumLevel: 1)]) }
        }
        requirementSets = sets
        preferredSets = skills.prefix(10).map { [SkillRequirement($0, minimumLevel: 1)] }
    }

    /// Roughly Zipf-like: low indexes are common, high ones rare.
    static func skewed(_ rng: inout SplitMix64, _ n: Int) -> Int {
        let u = rng.nextUnitInterval()
        return min(n - 1, Int(Double(n) * u * u))
    }

    func request(_ id: ContactID, arrivedAt: Instant, rng: inout SplitMix64) -> RoutingRequest {
        let r = rng.next()
        let channel: Channel = switch r % 10 { case 0..<4: .voice; case 4..<7: .chat; case 7..<9: .email; default: .social }
        let singles = Self.skillCount * 3
        let required: [SkillRequirement]
        if (r >> 8) % 5 == 0 {
            required = requirementSets[singles + Int((r >> 12) % UInt64(requirementSets.count - singles))]
        } else {
            required = requirementSets[Self.skewed(&rng, Self.skillCount) * 3 + Int((r >> 20) % 3)]
        }
        let preferred: [SkillRequirement] = (r >> 24) % 5 == 0 ? preferredSets[Int((r >> 28) % 10)] : []
        return RoutingRequest(
            contact: id, channel: channel, required: required, preferred: preferred,
            language: languages[Self.skewed(&rng, Self.languageCount)], priority: 1 + Int((r >> 32) % 10), arrivedAt: arrivedAt)
    }
}
