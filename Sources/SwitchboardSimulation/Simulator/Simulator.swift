import CPrefetch
import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

/// Drives the real `Engine` through a scenario in virtual time. There is no routing in here: every
/// offer, queue position, relaxation and wrap-up is the engine's decision; the simulator only plays
/// the customers (arrivals, patience, coming back) and the agents (log in and out with the roster,
/// accept every offer at once, handle for a drawn time, complete).
///
/// One replication is a plain discrete-event loop over a queue of `SimEvent`s (`EventQueue`). The engine's own
/// timers join the loop through `nextDeadline` / `advance(to:)`.
public struct Simulator: Sendable {
    public let scenario: Scenario
    public let policy: Policy
    /// The engine accepts each offer for the agent (`Engine.acceptsOffersAtOnce`). Off, the
    /// replication accepts on reading `contactOffered`, as a live agent would; the tests check
    /// both give the same run.
    var engineAcceptsOffers = true
    /// Off, the engine routes the scenario's one-off (anonymous) customers without opening a
    /// customer and a case for each (`Engine.recordsUnthreadableContacts`): nothing reads them, and
    /// the tests check the run is the same either way. Customers who may come back carry an
    /// identifier and are threaded as always.
    var engineRecordsEveryContact = false
    /// A first contact whose customer comes back only after some outcomes (its repeat draw below
    /// the larger of the two shares, not the smaller) is routed anonymously and names its customer
    /// when it ends, only if its outcome sends the customer back (`Engine.identify`). The case
    /// history and every decision are those of identifying it on arrival; the tests check both
    /// give the same run. (With `engineRecordsEveryContact` every contact has a case on arrival,
    /// so it is identified there.)
    var identifiesLate = true
    /// How many replications run at once, each on its own thread with its own engine: by default
    /// one per core, so a planner's ten replications (or a staffing search's candidates) take half
    /// the time on two cores. The figures do not depend on it: replication `r` always draws from
    /// stream `r` and reports in place `r`.
    public var parallelism = ProcessInfo.processInfo.activeProcessorCount

    /// - Parameter policy: the engine policy (the scenario's `policy:` keys decoded by the caller,
    ///   e.g. with SwitchboardConfig's strict decoder), or the defaults.
    public init(scenario: Scenario, policy: Policy = Policy()) throws(SwitchboardError) {
        try policy.validate()
        // Fail early on a roster the engine would refuse, rather than mid-run.
        for g in scenario.groups {
            _ = AgentProfile(id: AgentID(g.agentName(0)), skills: Dictionary(g.skills, uniquingKeysWith: max),
                             languages: g.languages, capacity: g.capacity)
            for (skill, level) in g.skills where !(1...10).contains(level) {
                throw .invalidArgument("skill \(skill) has level \(level); levels are 1–10", field: "agents.\(g.name).skills")
            }
        }
        self.scenario = scenario
        self.policy = policy
    }

    /// Runs every replication and summarises them.
    /// - Parameters:
    ///   - staffing: agents per group and interval, replacing the scenario's roster (for `staffing`).
    ///   - throughInterval: stop arrivals after this interval (the staffing search looks at a prefix).
    public func run(staffing: [[Int]]? = nil, throughInterval: Int? = nil, replications: Int? = nil) throws(SwitchboardError) -> SimulationReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let results = try runReplications(replications ?? scenario.replications, staffing: staffing, throughInterval: throughInterval)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return SimulationReport(scenario: scenario, staffing: staffing ?? scenario.staffing, results: results,
                                wallSeconds: wall)
    }

    /// Replications `0..<count`, in order, up to `parallelism` at a time. A failure reports the
    /// lowest failing replication, as a run one at a time would: after a failure only lower
    /// replications (already started, since they are handed out in order) finish.
    func runReplications(_ count: Int, staffing: [[Int]]?, throughInterval: Int?) throws(SwitchboardError) -> [ReplicationResult] {
        let workers = min(max(1, parallelism), count)
        guard workers > 1 else {
            var results: [ReplicationResult] = []
            for r in 0..<count { results.append(try runReplication(r, staffing: staffing, throughInterval: throughInterval)) }
            return results
        }
        let pool = ReplicationPool(count: count)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let r = pool.take() {
                do throws(SwitchboardError) {
                    pool.finish(r, with: .success(try runReplication(r, staffing: staffing, throughInterval: throughInterval)))
                } catch {
                    pool.finish(r, with: .failure(error))
                }
            }
        }
        return try pool.results()
    }

    /// One replication with its own random stream (`SplitMix64.stream(seed:index:)`).
    public func runReplication(_ index: Int, staffing: [[Int]]? = nil, throughInterval: Int? = nil) throws(SwitchboardError) -> ReplicationResult {
        var run = try Replication(simulator: self, index: index, staffing: staffing ?? scenario.staffing,
                                  intervals: min(scenario.intervalCount, (throughInterval ?? Int.max - 1) + 1))
        return try run.execute()
    }
}

/// The mutable state of one replication. A struct with one owner, run to completion by `execute()`.
struct Replication {
    struct ContactRecord {
        var arrival: Int64
        /// Reporting interval by arrival; -1 in the warm-up or after the horizon.
        var interval: Int32
        var customer: Int32
        var channel: UInt8
        var state: State
        var delayed: Bool
        var repeatDraw: Float
        /// The language and topic drawn on arrival, as 1 + their index in the channel's mix (0:
        /// none), for naming the customer late (`identifyIfReturning`).
        var languageChoice: UInt16 = 0
        var topicChoice: UInt16 = 0

        enum State: UInt8 { case waiting, answered, abandoned, completed }
    }

    /// An agent of the roster. What it holds and how long its wrap-up lasts are the engine's to
    /// know (`Engine.agent(_:)`); the simulator asks only about agents leaving, which keeps
    /// assignments and completions free of any lookup by name.
    struct AgentRecord {
        let id: AgentID
        var loggedIn = false
        /// Rostered off while busy: away, logs out when its last contact and wrap-up end.
        var leaving = false
        let group: Int32
        let profile: AgentProfile
    }

    struct CustomerRecord {
        let identifier: [RawIdentifier]
        let language: String?
        let topic: String?
    }

    /// Per-channel data prepared once so the hot path only indexes arrays. A class so taking one
    /// out of the array is a single retain, not a copy of every field.
    final class ChannelPlan {
        let load: ChannelLoad
        let channel: Channel
        let skills: WeightedChoice<[SkillRequirement]>?
        let languages: WeightedChoice<String>?
        let priorities: WeightedChoice<Int>?
        let topics: WeightedChoice<String>?
        let handle: DurationSampler
        let patience: DurationSampler?
        let thresholdMicros: Int64
        let cost: Int
        let wrapUpMicros: Int64
        let hasSurges: Bool
        /// `load.ratePerHour`, kept apart so the arrival process reads it without copying `load`.
        let rates: [Double]

        init(load: ChannelLoad, channel: Channel, skills: WeightedChoice<[SkillRequirement]>?,
             languages: WeightedChoice<String>?, priorities: WeightedChoice<Int>?, topics: WeightedChoice<String>?,
             handle: DurationSampler, patience: DurationSampler?, thresholdMicros: Int64, cost: Int,
             wrapUpMicros: Int64, hasSurges: Bool) {
            self.load = load
            self.channel = channel
            self.skills = skills
            self.languages = languages
            self.priorities = priorities
            self.topics = topics
            self.handle = handle
            self.patience = patience
            self.thresholdMicros = thresholdMicros
            self.cost = cost
            self.wrapUpMicros = wrapUpMicros
            self.hasSurges = hasSurges
            self.rates = load.ratePerHour
        }
    }

    let scenario: Scenario
    let policy: Policy
    var engine: Engine
    var rng: SplitMix64
    var queue = EventQueue(reserve: 4096)
    /// Patience timers in `queue` whose contact was answered since (see `dropStalePatience`).
    var stalePatience = 0
    /// Events stamped by `queue` but kept out of it, because only one of each kind is ever
    /// pending and a compare against a handful is cheaper than a push and a pop: each channel's
    /// next Poisson arrival (one is taken and the next drawn for every contact), and at
    /// `engineTimerSlot` the engine's next deadline (one per wrap-up end), which an earlier
    /// deadline simply replaces. An empty place holds `noEvent`, which every event precedes, so
    /// finding the earliest is a compare per place without unwrapping. A `Table`, like the queue's
    /// storage: written on every event, where an array asked the runtime each time whether its
    /// storage was shared.
    var ahead = Table<SimEvent>()
    var engineTimerSlot: Int { plans.count }
    var events: [EngineEvent] = []
    /// The contact being pushed, reused so only the fields a scenario draws are set per arrival
    /// (building and destroying a whole `NewContact` each time costs a dozen reference counts).
    var pending = NewContact(channel: .voice)
    var records = Table<ContactRecord>()
    var agents: [AgentRecord] = []
    /// Agents with `leaving` set: while none is, a completion needs no word about its agent.
    var leavers = 0
    var agentIndex = AgentLookup()
    var groupAgents: [[Int32]]
    var customers: [CustomerRecord] = []
    let plans: [ChannelPlan]
    let repeatChoice: [WeightedChoice<Int>]
    /// A first contact with its repeat draw below this names its customer on arrival; from there
    /// up to the larger share only at its end, if its outcome sends the customer back.
    let identifyOnArrivalBelow: Double
    let repeatDelay: DurationSampler?
    let staffing: [[Int]]
    let intervals: Int

    let warmUpMicros: Int64
    let intervalMicros: Int64
    let horizonEnd: Int64
    let drainEnd: Int64

    var currentInterval: Int32 = -1
    var lastAccrual: Int64 = 0
    var busyUnits = 0
    var capacityUnits = 0
    var waiting: Table<Int>
    var inSystem = 0
    var eventCount = 0

    /// Figures per channel and interval, flat: channel `c`, interval `i` at `c * intervals + i`.
    var cells: Table<CellCounts>
    var busyUnitSeconds: [Double]
    var capacityUnitSeconds: [Double]
    /// The current interval's unit-microseconds so far, added to the arrays (as unit-seconds) when
    /// it closes (`closeAccrual`): per event, two products of integers and two plain additions,
    /// with no division and no array write.
    var busyAccrued = 0.0
    var capacityAccrued = 0.0

    init(simulator: Simulator, index: Int, staffing: [[Int]], intervals: Int) throws(SwitchboardError) {
        scenario = simulator.scenario
        policy = simulator.policy
        // The simulator measures for itself and reads only these events (see `processEngineEvents`);
        // its agents accept every offer at once, which the engine does for them in the same pass.
        engine = try Engine(policy: simulator.policy, trackKPIs: false,
                            publishing: simulator.engineAcceptsOffers ? [.queued, .assigned, .ended] : [.queued, .offers, .assigned, .ended],
                            acceptsOffersAtOnce: simulator.engineAcceptsOffers,
                            recordsUnthreadableContacts: simulator.engineRecordsEveryContact)
        rng = SplitMix64.stream(seed: scenario.seed, index: UInt64(index))
        guard staffing.count == scenario.groups.count, staffing.allSatisfy({ $0.count >= intervals }) else {
            throw .invalidArgument("the roster needs one count per group and interval", field: "staffing")
        }
        self.staffing = staffing
        self.intervals = intervals
        warmUpMicros = scenario.warmUp.microseconds
        intervalMicros = scenario.interval.microseconds
        horizonEnd = warmUpMicros + intervalMicros * Int64(intervals)
        drainEnd = horizonEnd + scenario.drainLimit.microseconds

        var plans: [ChannelPlan] = []
        for load in scenario.channels {
            let mix = load.mix
            plans.append(ChannelPlan(
                load: load, channel: load.channel,
                skills: mix.skills.isEmpty ? nil : WeightedChoice(mix.skills.map { ([SkillRequirement($0.skill, minimumLevel: $0.minimumLevel)], $0.weight) }),
                languages: mix.languages.isEmpty ? nil : WeightedChoice(mix.languages),
                priorities: mix.priorities.isEmpty ? nil : WeightedChoice(mix.priorities),
                topics: mix.topics.isEmpty ? nil : WeightedChoice(mix.topics),
                handle: load.handleTime.sampler, patience: load.patience?.sampler,
                thresholdMicros: Int64((load.target.withinSeconds * 1_000_000).rounded()),
                cost: simulator.policy.routing.capacityCost[load.channel],
                wrapUpMicros: simulator.policy.routing.wrapUp[load.channel].microseconds,
                hasSurges: !load.surges.isEmpty))
        }
        self.plans = plans
        if let r = scenario.repeats {
            let indices = scenario.channels.map(\.channel)
            var choices: [WeightedChoice<Int>] = []
            for (i, ch) in indices.enumerated() {
                var pairs: [(Int, Double)] = []
                if r.channels.isEmpty {
                    pairs = indices.indices.filter { $0 != i }.map { ($0, 1.0) }
                    if pairs.isEmpty { pairs = [(i, 1)] }
                } else {
                    pairs = r.channels.compactMap { c, w in indices.firstIndex(of: c).map { ($0, w) } }
                }
                _ = ch
                choices.append(WeightedChoice(pairs))
            }
            repeatChoice = choices
            repeatDelay = r.delay.sampler
            let late = simulator.identifiesLate && !simulator.engineRecordsEveryContact
            identifyOnArrivalBelow = late ? min(r.shareAfterAbandoned, r.shareAfterAnswered) : max(r.shareAfterAbandoned, r.shareAfterAnswered)
        } else {
            repeatChoice = []
            repeatDelay = nil
            identifyOnArrivalBelow = 0
        }
        groupAgents = Array(repeating: [], count: scenario.groups.count)
        waiting = Table(repeating: 0, count: scenario.channels.count)
        cells = Table(repeating: CellCounts(), count: intervals * scenario.channels.count)
        busyUnitSeconds = Array(repeating: 0, count: intervals)
        capacityUnitSeconds = Array(repeating: 0, count: intervals)
        events.reserveCapacity(64)
        // Reserve the tables that grow with the run for the expected arrivals (+10%), here and in
        // the engine, so a million-contact run does not copy them on every doubling (and fault in
        // twice the memory it keeps).
        var expected = 0.0
        for load in scenario.channels {
            let rates = load.ratePerHour.prefix(intervals)
            let perHour = rates.reduce(0, +) / Double(max(1, rates.count))
            expected += perHour * (Double(horizonEnd) / 3_600_000_000)
        }
        let expectedContacts = min(50_000_000, Int(expected * 1.1) + 1024)
        records.reserveCapacity(expectedContacts)
        let repeatShare = scenario.repeats.map { max($0.shareAfterAbandoned, $0.shareAfterAnswered) } ?? 0
        let knownCustomers = Int(Double(expectedContacts) * repeatShare)
        customers.reserveCapacity(knownCustomers)
        // Contacts in flight: as many as the roster can hold at once at the cheapest channel's cost,
        // twice over for those waiting. Only a first size: the engine's live tables grow when it is
        // short, and a table much larger than the work spreads it over cold cache lines.
        let cheapest = max(1, plans.map(\.cost).min() ?? 100)
        var rosterPeak = 0
        var inService = 0
        for g in staffing.indices {
            let most = staffing[g].prefix(intervals).max() ?? 0
            rosterPeak += most
            inService += most * (scenario.groups[g].capacity / cheapest + 1)
        }
        agents.reserveCapacity(rosterPeak)
        // The case directory holds every contact, or (as runs go) only the customers who may
        // come back: a first contact and a few returns each.
        let recorded = simulator.engineRecordsEveryContact ? expectedContacts : min(expectedContacts, 4 * knownCustomers + 1024)
        engine.reserveCapacity(
            contacts: min(expectedContacts, 2 * inService + 256), agents: rosterPeak,
            customers: simulator.engineRecordsEveryContact ? expectedContacts : knownCustomers + 1024, identifiers: knownCustomers,
            totalContacts: recorded, emailShare: 0)
    }

    // MARK: The loop

    mutating func execute() throws(SwitchboardError) -> ReplicationResult {
        // Roster for the warm-up is the first interval's; boundaries change it from there.
        try applyStaffing(interval: 0, at: 0)
        for i in 0..<intervals {
            queue.push(time: warmUpMicros + intervalMicros * Int64(i), kind: .boundary, a: Int32(i))
        }
        queue.push(time: horizonEnd, kind: .boundary, a: Int32(intervals))
        ahead = Table(repeating: SimEvent.noEvent, count: plans.count + 1)
        for c in plans.indices {
            if let t = nextArrival(channel: c, from: 0) { ahead[c] = queue.stamp(time: t, kind: .arrival, a: Int32(c)) }
        }
        try processEngineEvents(at: 0)
        scheduleEngineTimer(now: 0)

        while let e = nextEvent() {
            if e.time > drainEnd { break }
            if e.time >= horizonEnd && inSystem == 0 && e.kind != .boundary { break }
            eventCount += 1
            prefetchAfter()
            accrue(to: e.time)
            let now = Instant(microseconds: e.time)
            switch e.kind {
            case .arrival:
                let c = Int(e.a)
                try arrive(channel: c, customer: -1, at: e.time)
                if let t = nextArrival(channel: c, from: e.time) { ahead[c] = queue.stamp(time: t, kind: .arrival, a: Int32(c)) }
            case .repeatArrival:
                try arrive(channel: Int(e.b), customer: e.a, at: e.time)
            case .patience:
                let slot = Int(e.a)
                if records[slot].state == .waiting {
                    do {
                        try identifyIfReturning(slot: slot, answered: false, at: e.time)
                        try engine.endContact(ContactID(UInt64(slot + 1)), reason: .abandoned, at: now, events: &events)
                    } catch where error.code == .notFound {
                        // Answered in the same instant by an engine timer: nothing to abandon.
                    }
                }
            case .completion:
                try complete(slot: Int(e.a), at: e.time)
            case .leave:
                let a = Int(e.a)
                // It may have come back to work since (a later interval needed it) and left again.
                if agents[a].loggedIn && agents[a].leaving && isDone(a, at: e.time) {
                    try logout(a, at: e.time)
                }
            case .boundary:
                let i = Int(e.a)
                closeAccrual()
                if i < intervals {
                    currentInterval = Int32(i)
                    for c in 0..<waiting.count { cells[c * intervals + i].maxQueue = waiting[c] }
                    try applyStaffing(interval: i, at: e.time)
                } else {
                    currentInterval = -1
                }
            case .engineTimer:
                engine.advance(to: now, events: &events)
            }
            try processEngineEvents(at: e.time)
            scheduleEngineTimer(now: e.time)
            if stalePatience >= 1024 && stalePatience * 2 >= queue.count { dropStalePatience() }
            if e.time >= horizonEnd && inSystem == 0 { break }
        }
        closeAccrual()
        // Whatever still waits did not get an answer in time.
        for slot in 0..<records.count {
            let r = records[slot]
            if r.state == .waiting && r.interval >= 0 { cells[Int(r.channel) * intervals + Int(r.interval)].unfinished += 1 }
        }
        let perChannel = plans.indices.map { c in cells.array((c * intervals)..<((c + 1) * intervals)) }
        return ReplicationResult(cells: perChannel, busyUnitSeconds: busyUnitSeconds, capacityUnitSeconds: capacityUnitSeconds,
                                 staffing: staffing.map { Array($0.prefix(intervals)) }, contacts: records.count,
                                 events: eventCount)
    }

    /// The earliest of the queue's top and the events `ahead`, in (time, seq) order.
    @inline(__always)
    mutating func nextEvent() -> SimEvent? {
        var best = 0
        var earliest = ahead[0]
        for c in 1..<ahead.count where ahead[c] < earliest {
            earliest = ahead[c]
            best = c
        }
        if earliest.time == SimEvent.noEvent.time { return queue.pop() }
        if let top = queue.top, top < earliest { return queue.pop() }
        ahead[best] = .noEvent
        return earliest
    }

    /// Starts loading what the next event will read, while this one runs: a completion or a
    /// patience timer reads its contact's records (here, and for a completion the engine's), and
    /// the end of a wrap-up the engine's record of its agent, all written minutes ago and long
    /// out of cache; each such load stalled the event on memory.
    /// (A second step, for the event after next, was tried: it cost more than it hid.)
    @inline(__always)
    mutating func prefetchAfter() {
        let top = queue.top
        if ahead[engineTimerSlot] < top ?? .noEvent {
            // The engine's timer comes first (unless an arrival does): a wrap-up end, whose agent
            // takes work.
            engine.prefetchNextTimer()
            return
        }
        guard let next = top, next.kind == .completion || next.kind == .patience else { return }
        let slot = Int(next.a)
        if let record = records.address(of: slot) { sb_prefetch(record) }
        if next.kind == .completion { engine.prefetch(ContactID(UInt64(slot + 1)), slot: Int(next.b)) }
    }

    /// Adds capacity-in-use and capacity-logged-in time up to `t` to the current interval.
    @inline(__always)
    mutating func accrue(to t: Int64) {
        if currentInterval >= 0 && t > lastAccrual {
            let dt = t - lastAccrual
            busyAccrued += Double(Int64(busyUnits) * dt)
            capacityAccrued += Double(Int64(capacityUnits) * dt)
        }
        lastAccrual = t
    }

    /// Hands the current interval's accrued unit-seconds to its figures.
    mutating func closeAccrual() {
        if currentInterval >= 0 {
            busyUnitSeconds[Int(currentInterval)] += busyAccrued / 1_000_000
            capacityUnitSeconds[Int(currentInterval)] += capacityAccrued / 1_000_000
        }
        busyAccrued = 0
        capacityAccrued = 0
    }

    /// Takes the patience timers of contacts answered since they were set out of the queue, once
    /// they are half of it. Most waiting contacts are answered long before their patience runs out
    /// (a social contact's is half an hour on average): left in, they would make the queue bigger
    /// and each cost a pop for nothing. The events left run in the same order.
    mutating func dropStalePatience() {
        let table = records  // the same table (`Table` is a reference), only read during the filter
        queue.removeAll { $0.kind == .patience && table[Int($0.a)].state != .waiting }
        stalePatience = 0
    }

    mutating func scheduleEngineTimer(now: Int64) {
        guard let due = engine.nextDeadline?.microseconds else { return }
        let at = max(due, now)
        if ahead[engineTimerSlot].time <= at { return }
        ahead[engineTimerSlot] = queue.stamp(time: at, kind: .engineTimer)
    }

    // MARK: Customers

    /// The next arrival of a channel's non-homogeneous Poisson process after `t`, by thinning
    /// against the largest rate of each interval (exact for steps, ramps and spikes); nil after the horizon.
    mutating func nextArrival(channel c: Int, from start: Int64) -> Int64? {
        let plan = plans[c]
        var t = start
        while t < horizonEnd {
            let offset = t - warmUpMicros
            let segmentEnd: Int64
            if offset < 0 {
                segmentEnd = warmUpMicros
            } else {
                segmentEnd = min(horizonEnd, warmUpMicros + (offset / intervalMicros + 1) * intervalMicros)
            }
            let lambdaMax: Double
            if plan.hasSurges {
                lambdaMax = plan.load.maxRate(from: Span(microseconds: offset), to: Span(microseconds: segmentEnd - warmUpMicros),
                                              interval: scenario.interval)
            } else {
                // `ChannelLoad.maxRate` without surges: the interval's base rate (the first in the warm-up).
                let rates = plan.rates
                lambdaMax = rates.isEmpty ? 0 : offset < 0 ? rates[0] : rates[min(Int(offset / intervalMicros), rates.count - 1)]
            }
            if lambdaMax <= 0 {
                t = segmentEnd
                continue
            }
            // Rate per hour → mean gap in microseconds.
            let gap = ziggurat.exponential(&rng) * 3_600_000_000 / lambdaMax
            let candidate = t + max(1, Int64(gap))
            if candidate >= segmentEnd {
                t = segmentEnd
                continue
            }
            t = candidate
            if !plan.hasSurges { return t }
            let rate = plan.load.rate(at: Span(microseconds: t - warmUpMicros), interval: scenario.interval)
            if rng.nextUnitInterval() * lambdaMax <= rate { return t }
        }
        return nil
    }

    mutating func arrive(channel c: Int, customer existing: Int32, at t: Int64) throws(SwitchboardError) {
        let plan = plans[c]
        let now = Instant(microseconds: t)
        var customer = existing
        var draw: Float = 1
        let languageChoice = plan.languages?.drawIndex(&rng)
        let topicChoice = plan.topics?.drawIndex(&rng)
        var language = languageChoice.map { plan.languages.unsafelyUnwrapped.values[$0] }
        var topic = topicChoice.map { plan.topics.unsafelyUnwrapped.values[$0] }
        if scenario.repeats != nil {
            draw = Float(rng.nextUnitInterval())
            if customer < 0 && Double(draw) < identifyOnArrivalBelow {
                customer = newCustomer(language: language, topic: topic)
            }
        }
        var identifiers: [RawIdentifier] = []
        if customer >= 0 {
            let rec = customers[Int(customer)]
            identifiers = rec.identifier
            language = rec.language ?? language
            topic = rec.topic ?? topic
        }
        let interval: Int32 = t >= warmUpMicros && t < horizonEnd ? Int32((t - warmUpMicros) / intervalMicros) : -1
        let slot = records.count
        records.append(ContactRecord(arrival: t, interval: interval, customer: customer, channel: UInt8(c),
                                     state: .waiting, delayed: false, repeatDraw: draw,
                                     languageChoice: UInt16(truncatingIfNeeded: (languageChoice ?? -1) + 1),
                                     topicChoice: UInt16(truncatingIfNeeded: (topicChoice ?? -1) + 1)))
        if interval >= 0 {
            let cell = c * intervals + Int(interval)
            cells[cell].offered += 1
            if existing >= 0 { cells[cell].repeats += 1 }
        }
        inSystem += 1
        pending.channel = plan.channel
        pending.identifiers = identifiers
        pending.topic = topic
        pending.language = language
        pending.priority = plan.priorities?.draw(&rng) ?? 5
        pending.required = plan.skills?.draw(&rng) ?? []
        let contact = try engine.push(pending, at: now, events: &events)
        guard contact.rawValue == UInt64(slot + 1) else {
            throw SwitchboardError(.internal, "the engine numbered contact \(slot + 1) as \(contact); the simulator expects dense ids from 1")
        }
        try processEngineEvents(at: t)
        if records[slot].state == .waiting, let patience = plan.patience {
            queue.push(time: t + patience.draw(&rng), kind: .patience, a: Int32(slot))
        }
    }

    /// A customer who may come back, with the identifier the engine threads its contacts by.
    mutating func newCustomer(language: String?, topic: String?) -> Int32 {
        customers.append(CustomerRecord(identifier: [.externalID("sim-customer-\(customers.count + 1)")],
                                        language: language, topic: topic))
        return Int32(customers.count - 1)
    }

    /// Whether the contact's customer comes back after this outcome (see `maybeRepeat`): its
    /// repeat draw is below the outcome's share. (A contact whose draw is above both shares never
    /// had a customer to bring back, and this is false for it.)
    func returns(_ rec: ContactRecord, answered: Bool) -> Bool {
        guard let r = scenario.repeats else { return false }
        return Double(rec.repeatDraw) < (answered ? r.shareAfterAnswered : r.shareAfterAbandoned)
    }

    /// Before a first contact ends: when its outcome sends its customer back and it was routed
    /// anonymously (see `Simulator.identifiesLate`), its customer is named now, so the outcome
    /// goes to a case the customer's next contact will find.
    mutating func identifyIfReturning(slot: Int, answered: Bool, at t: Int64) throws(SwitchboardError) {
        let rec = records[slot]
        guard rec.customer < 0, returns(rec, answered: answered) else { return }
        let plan = plans[Int(rec.channel)]
        let language = rec.languageChoice == 0 ? nil : plan.languages?.values[Int(rec.languageChoice) - 1]
        let topic = rec.topicChoice == 0 ? nil : plan.topics?.values[Int(rec.topicChoice) - 1]
        let customer = newCustomer(language: language, topic: topic)
        records[slot].customer = customer
        try engine.identify(ContactID(UInt64(slot + 1)), as: customers[Int(customer)].identifier, topic: topic,
                            at: Instant(microseconds: t), events: &events)
    }

    /// After a contact ends, its customer may come back later on another channel (same case).
    mutating func maybeRepeat(slot: Int, answered: Bool, at t: Int64) {
        guard let delay = repeatDelay else { return }  // (set exactly when the scenario has repeats)
        let rec = records[slot]
        guard rec.customer >= 0, returns(rec, answered: answered) else { return }
        let when = t + delay.draw(&rng)
        guard when < horizonEnd else { return }
        let channel = repeatChoice[Int(rec.channel)].draw(&rng)
        queue.push(time: when, kind: .repeatArrival, a: rec.customer, b: Int32(channel))
    }

    // MARK: Agents

    mutating func complete(slot: Int, at t: Int64) throws(SwitchboardError) {
        try identifyIfReturning(slot: slot, answered: true, at: t)
        let rec = records[slot]
        let plan = plans[Int(rec.channel)]
        let willRepeat = rec.customer >= 0 && returns(rec, answered: true)
        records[slot].state = .completed
        inSystem -= 1
        let agent = try engine.complete(ContactID(UInt64(slot + 1)), Completion(resolved: !willRepeat),
                                        at: Instant(microseconds: t), events: &events)
        busyUnits -= plan.cost
        if plan.wrapUpMicros > 0 {
            // The units stay taken through the wrap-up, a known span: its unit-seconds go to the
            // figures now, and nothing needs to happen when it ends (the engine frees the units on
            // its own timer) unless the agent is leaving.
            accrueBusy(units: plan.cost, from: t, to: t + plan.wrapUpMicros)
        }
        if leavers > 0, let a = agentIndex.find(agent, agents: agents), agents[Int(a)].leaving {
            try leaveAfterWrapUp(Int(a), at: t)
        }
        maybeRepeat(slot: slot, answered: true, at: t)
    }

    /// Whether the agent holds no contact and its wrap-up is over by `t` (the engine's view).
    func isDone(_ a: Int, at t: Int64) -> Bool {
        guard let s = engine.agent(agents[a].id) else { return true }
        return s.assigned + s.offered == 0 && s.wrapUpUntil.microseconds <= t
    }

    /// A leaving agent that holds no contact logs out now, or when its wrap-up ends; one still
    /// busy leaves at its last completion.
    mutating func leaveAfterWrapUp(_ a: Int, at t: Int64) throws(SwitchboardError) {
        guard let s = engine.agent(agents[a].id), s.assigned + s.offered == 0 else { return }
        if s.wrapUpUntil.microseconds <= t {
            try logout(a, at: t)
        } else {
            queue.push(time: s.wrapUpUntil.microseconds, kind: .leave, a: Int32(a))
        }
    }

    /// Marks an agent leaving or back, keeping `leavers` in step.
    mutating func setLeaving(_ a: Int, _ leaving: Bool) {
        if agents[a].leaving != leaving { leavers += leaving ? 1 : -1 }
        agents[a].leaving = leaving
    }

    /// Adds `units` taken from `start` to `end` to the unit-seconds of the intervals that span
    /// covers, within the horizon: what `accrue` would add event by event while they are taken.
    mutating func accrueBusy(units: Int, from start: Int64, to end: Int64) {
        var from = max(start, warmUpMicros)
        let to = min(end, horizonEnd)
        while from < to {
            let i = Int((from - warmUpMicros) / intervalMicros)
            let stop = min(to, warmUpMicros + Int64(i + 1) * intervalMicros)
            busyUnitSeconds[i] += Double(units) * Double(stop - from) / 1_000_000
            from = stop
        }
    }

    mutating func logout(_ a: Int, at t: Int64) throws(SwitchboardError) {
        try engine.logout(agents[a].id, at: Instant(microseconds: t), events: &events)
        agents[a].loggedIn = false
        setLeaving(a, false)
        capacityUnits -= agents[a].profile.capacity
    }

    /// Brings each group to its roster for `interval`: returning leavers first, then fresh logins;
    /// going down, idle agents log out at once and busy ones go away and leave when done.
    mutating func applyStaffing(interval i: Int, at t: Int64) throws(SwitchboardError) {
        let now = Instant(microseconds: t)
        for g in scenario.groups.indices {
            let target = staffing[g][i]
            var on = 0
            for a in groupAgents[g] where agents[Int(a)].loggedIn && !agents[Int(a)].leaving { on += 1 }
            if on < target {
                for a in groupAgents[g] where on < target && agents[Int(a)].leaving {
                    setLeaving(Int(a), false)
                    try engine.setStatus(agents[Int(a)].id, to: .available, at: now, events: &events)
                    on += 1
                }
                var k = 0
                while on < target {
                    if k == groupAgents[g].count { addAgent(group: g) }
                    let a = Int(groupAgents[g][k])
                    k += 1
                    guard !agents[a].loggedIn else { continue }
                    do {
                        try engine.login(agents[a].profile, at: now, events: &events)
                    } catch {
                        var e = error
                        e.message = "agents.\(scenario.groups[g].name): the engine refused agent \(agents[a].id): " + e.message
                        throw e
                    }
                    agents[a].loggedIn = true
                    capacityUnits += agents[a].profile.capacity
                    on += 1
                }
            } else if on > target {
                // Idle first (newest first), then busy ones go away.
                for a in groupAgents[g].reversed() where on > target {
                    let ai = Int(a)
                    if agents[ai].loggedIn && !agents[ai].leaving && isDone(ai, at: t) {
                        try logout(ai, at: t)
                        on -= 1
                    }
                }
                for a in groupAgents[g].reversed() where on > target {
                    let ai = Int(a)
                    if agents[ai].loggedIn && !agents[ai].leaving {
                        setLeaving(ai, true)
                        try engine.setStatus(agents[ai].id, to: .away, at: now, events: &events)
                        try leaveAfterWrapUp(ai, at: t)
                        on -= 1
                    }
                }
            }
        }
    }

    mutating func addAgent(group g: Int) {
        let spec = scenario.groups[g]
        let id = AgentID(spec.agentName(groupAgents[g].count))
        let profile = AgentProfile(id: id, skills: Dictionary(spec.skills, uniquingKeysWith: max),
                                   languages: spec.languages, capacity: spec.capacity)
        let index = Int32(agents.count)
        agents.append(AgentRecord(id: id, group: Int32(g), profile: profile))
        agentIndex.insert(id, index, agents: agents)
        groupAgents[g].append(index)
    }

    // MARK: Engine events

    /// Plays the agents' and the statistics' side of everything the engine just did. Offers are
    /// accepted at once, by the engine (`acceptsOffersAtOnce`), so this sees the assignments.
    mutating func processEngineEvents(at t: Int64) throws(SwitchboardError) {
        var i = 0
        while i < events.count {
            // Switching on the element itself binds only the payload each case needs, rather
            // than copying the whole (large) enum first.
            let index = i
            i += 1
            switch events[index] {
            case .contactQueued(let id, _, _, _):
                let slot = Int(id.rawValue) - 1
                guard slot < records.count, !records[slot].delayed else { continue }
                records[slot].delayed = true
                let c = Int(records[slot].channel)
                waiting[c] += 1
                if records[slot].interval >= 0 { cells[c * intervals + Int(records[slot].interval)].delayed += 1 }
                if currentInterval >= 0 {
                    let ci = c * intervals + Int(currentInterval)
                    if waiting[c] > cells[ci].maxQueue { cells[ci].maxQueue = waiting[c] }
                }
            case .contactOffered(let offer, _, let at):
                // Only when the engine leaves accepting to us (`engineAcceptsOffers` off).
                try engine.accept(offer.contact, by: offer.agent, at: at, events: &events)
            case .contactAssigned(let id, _, _, _, _, let at):
                let slot = Int(id.rawValue) - 1
                guard slot < records.count else { continue }
                let rec = records[slot]
                let c = Int(rec.channel)
                if rec.delayed {
                    waiting[c] -= 1
                    // Its patience timer is still in the queue, and now means nothing.
                    if plans[c].patience != nil { stalePatience += 1 }
                }
                records[slot].state = .answered
                busyUnits += plans[c].cost
                let waitMicros = at.microseconds - rec.arrival
                if rec.interval >= 0 {
                    let w = Double(waitMicros) / 1_000_000
                    let ii = c * intervals + Int(rec.interval)
                    cells[ii].answered += 1
                    if waitMicros <= plans[c].thresholdMicros { cells[ii].answeredWithin += 1 }
                    cells[ii].answeredWait += w
                    cells[ii].totalWait += w
                    if w > cells[ii].maxWait { cells[ii].maxWait = w }
                }
                // The engine's slot for the contact rides along, for `prefetchAfter` (it holds
                // while the contact is assigned; finding it now costs nothing, the entry is hot).
                queue.push(time: at.microseconds + plans[c].handle.draw(&rng), kind: .completion, a: Int32(slot),
                           b: Int32(truncatingIfNeeded: engine.slot(of: id) ?? -1))
            case .contactAbandoned(let id, _, _, _, let at):
                let slot = Int(id.rawValue) - 1
                guard slot < records.count else { continue }
                let rec = records[slot]
                let c = Int(rec.channel)
                if rec.delayed { waiting[c] -= 1 }
                records[slot].state = .abandoned
                inSystem -= 1
                if rec.interval >= 0 {
                    let w = Double(at.microseconds - rec.arrival) / 1_000_000
                    let ii = c * intervals + Int(rec.interval)
                    cells[ii].abandoned += 1
                    cells[ii].totalWait += w
                    if w > cells[ii].maxWait { cells[ii].maxWait = w }
                }
                maybeRepeat(slot: slot, answered: false, at: at.microseconds)
            default:
                continue
            }
        }
        while !events.isEmpty { events.removeLast() }  // cheaper than `removeAll(keepingCapacity:)` for a handful
        _ = t
    }
}

/// The simulator's agent index for an `AgentID`, for the agent a completion names while some
/// agent is leaving. (It was read on every assignment once, when a `Dictionary`'s SipHash showed
/// in profiles.) It hashes the name's bytes eight at a time into a `UInt64Map` and confirms the
/// name on a hit (names that share a hash, which a roster is unlikely to have, go to a plain
/// dictionary).
struct AgentLookup {
    var byHash = UInt64Map<Int32>()
    var sharedHash: [AgentID: Int32] = [:]

    @inline(__always)
    static func hash(_ id: AgentID) -> UInt64 {
        var name = id.rawValue
        return name.withUTF8 { bytes -> UInt64 in
            let raw = UnsafeRawBufferPointer(bytes)
            var h = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
            return h ^ (h >> 29)
        }
    }

    /// `agents[index]` must already be the agent named `id`.
    mutating func insert(_ id: AgentID, _ index: Int32, agents: [Replication.AgentRecord]) {
        let h = Self.hash(id)
        if let other = byHash[h], agents[Int(other)].id != id {
            sharedHash[id] = index
        } else {
            byHash[h] = index
        }
    }

    @inline(__always)
    func find(_ id: AgentID, agents: [Replication.AgentRecord]) -> Int32? {
        if let i = byHash[Self.hash(id)], agents[Int(i)].id == id { return i }
        return sharedHash.isEmpty ? nil : sharedHash[id]
    }
}

/// The replications of one `Simulator.run` handed out in order to worker threads, and their results.
final class ReplicationPool: Sendable {
    struct State {
        var next = 0
        var results: [ReplicationResult?]
        var failure: (index: Int, error: SwitchboardError)?
    }

    let state: Mutex<State>
    let count: Int

    init(count: Int) {
        self.count = count
        state = Mutex(State(results: Array(repeating: nil, count: count)))
    }

    /// The next replication to run; nil when all are handed out, or one below it failed.
    func take() -> Int? {
        state.withLock { s in
            guard s.next < count, s.failure.map({ s.next < $0.index }) ?? true else { return nil }
            defer { s.next += 1 }
            return s.next
        }
    }

    func finish(_ index: Int, with result: Result<ReplicationResult, SwitchboardError>) {
        state.withLock { s in
            switch result {
            case .success(let r): s.results[index] = r
            case .failure(let e): if s.failure.map({ index < $0.index }) ?? true { s.failure = (index, e) }
            }
        }
    }

    func results() throws(SwitchboardError) -> [ReplicationResult] {
        let s = state.withLock { $0 }
        if let failure = s.failure { throw failure.error }
        var results: [ReplicationResult] = []
        for (i, r) in s.results.enumerated() {
            guard let r else { throw SwitchboardError(.internal, "replication \(i) ended without a result") }
            results.append(r)
        }
        return results
    }
}
