import PropertyBased
import SwitchboardDomain
import SwitchboardRouting
import Testing

/// Random event sequences against a small centre (4 agents, 3 skills, 2 languages), checking the
/// routing invariants after every event.
struct RandomRun {
    static let skills = ["a", "b", "c"]
    static let languages = ["en", "es"]

    var router: Router
    var now = Instant.seconds(100)
    var nextID: UInt64 = 1
    var log: [RoutingEvent] = []
    /// Contacts pushed and not yet completed or removed.
    var open: Set<ContactID> = []
    var offered: [ContactID: AgentID] = [:]
    var assigned: [ContactID: AgentID] = [:]
    var problems: [String] = []
    let agentIDs: [AgentID] = ["ag0", "ag1", "ag2", "ag3"]
    var loggedIn: Set<AgentID> = []
    let seed: Int
    /// The run accepts every offer as soon as the step that made it is over, as an engine whose
    /// agents always accept used to (compare `Router.offersAcceptedAtOnce`). Offers then stay open
    /// for a day, so none made by a timer expires before the end of its `advance`.
    let acceptsEveryOffer: Bool

    init(
        seed: Int, explainsOffers: Bool = true, offersAcceptedAtOnce: Bool = false, acceptsEveryOffer: Bool = false,
        reportsAgentStates: Bool = true
    ) throws {
        var policy = RoutingPolicy()
        policy.languageFallbacks = ["es": ["en"]]
        policy.reofferCooldown = .seconds(10)
        policy.missedOffersToAway = 3
        if acceptsEveryOffer {
            let day = Span.seconds(86_400)
            policy.offerTimeout = PerChannel(voice: day, chat: day, email: day, social: day)
        }
        policy.relaxation = [
            RelaxationStep(after: .seconds(5), dropPreferredSkills: true),
            RelaxationStep(after: .seconds(20), lowerMinimumLevelsBy: 3),
            RelaxationStep(after: .seconds(40), widenLanguage: true),
        ]
        router = try Router(policy: policy)
        router.explainsOffers = explainsOffers
        router.offersAcceptedAtOnce = offersAcceptedAtOnce
        router.reportsAgentStates = reportsAgentStates
        self.acceptsEveryOffer = acceptsEveryOffer
        self.seed = seed
    }

    func profile(_ i: Int) -> AgentProfile {
        var g = SplitMix64(seed: UInt64(seed) &+ UInt64(i) &* 7919)
        var skills: [String: Int] = [:]
        for s in Self.skills where g.next() % 3 != 0 { skills[s] = 1 + Int(g.next() % 10) }
        var langs = [Self.languages[Int(g.next() % 2)]]
        if g.next() % 3 == 0 { langs.append("en") }
        let capacity = [100, 100, 68, 50][Int(g.next() % 4)]
        return AgentProfile(id: agentIDs[i], skills: skills, languages: langs, capacity: capacity)
    }

    mutating func step(_ v: Int) {
        var events: [RoutingEvent] = []
        var bits = UInt64(truncatingIfNeeded: v) >> 4
        func take(_ n: UInt64) -> Int {
            let r = Int(bits % n)
            bits /= n
            return r
        }
        let op = v & 15
        var timeMoved = false
        do {
            switch op {
            case 0, 1, 2, 3:
                var required: [SkillRequirement] = []
                for s in Self.skills where take(3) == 0 { required.append(SkillRequirement(s, minimumLevel: 1 + take(8))) }
                let preferred = take(4) == 0 ? [SkillRequirement(Self.skills[take(3)], minimumLevel: 1)] : []
                let id = ContactID(nextID)
                nextID += 1
                let channel = Channel.allCases[take(4)]
                let language: String? = take(5) == 0 ? nil : Self.languages[take(2)]
                try router.enqueue(
                    RoutingRequest(contact: id, channel: channel, required: required, preferred: preferred, language: language,
                                   priority: 1 + take(10), arrivedAt: now),
                    at: now, events: &events)
                open.insert(id)
            case 4, 5:
                if let (c, a) = offered.sorted(by: { $0.key < $1.key }).dropFirst(take(4)).first {
                    if op == 4 { try router.accept(c, by: a, at: now, events: &events) } else { try router.decline(c, by: a, at: now, events: &events) }
                }
            case 6:
                if let (c, a) = assigned.sorted(by: { $0.key < $1.key }).dropFirst(take(4)).first {
                    try router.complete(c, by: a, wrapUp: take(2) == 0 ? .zero : .seconds(5), at: now, events: &events)
                    open.remove(c)
                    assigned[c] = nil
                }
            case 7, 8:
                now += .seconds(Double(1 + take(30)))
                timeMoved = true
                router.advance(to: now, events: &events)
            case 9:
                let i = take(4)
                let id = agentIDs[i]
                if !loggedIn.contains(id) {
                    try router.login(profile(i), at: now, events: &events)
                    loggedIn.insert(id)
                } else {
                    let status: AgentStatus = [.available, .away, .offline][take(3)]
                    try router.setStatus(id, to: status, at: now, events: &events)
                    if status == .offline { loggedIn.remove(id) }
                }
            case 10:
                let waiting = open.sorted().filter { offered[$0] == nil && assigned[$0] == nil }
                if let c = waiting.dropFirst(take(4)).first {
                    try router.remove(c, at: now, events: &events)
                    open.remove(c)
                }
            case 11:
                let known = agentIDs.filter { router.agent($0) != nil }
                if let (c, a) = assigned.sorted(by: { $0.key < $1.key }).dropFirst(take(4)).first {
                    let others = known.filter { $0 != a }
                    let target: TransferTarget = take(2) == 0 && !others.isEmpty
                        ? .agent(others[take(UInt64(others.count))])
                        : .skills([SkillRequirement(Self.skills[take(3)], minimumLevel: 1 + take(5))], language: nil)
                    try router.transfer(c, from: a, to: target, at: now, events: &events)
                    assigned[c] = nil
                }
            case 12:
                let waiting = open.sorted().filter { offered[$0] == nil && assigned[$0] == nil }
                if let c = waiting.dropFirst(take(4)).first {
                    try router.update(c, ContactUpdate(priority: 1 + take(10)), at: now, events: &events)
                }
            default:
                if let i = Optional(take(4)), loggedIn.contains(agentIDs[i]) {
                    try router.login(profile(i), at: now, events: &events)  // reconnect with the same profile
                }
            }
        } catch {
            problems.append("op \(op) threw \(error)")
        }
        if acceptsEveryOffer {
            var i = 0
            while i < events.count {
                if case .offered(let o) = events[i] {
                    do { try router.accept(o.contact, by: o.agent, at: now, events: &events) } catch { problems.append("accept threw \(error)") }
                }
                i += 1
            }
        }
        for e in events {
            switch e {
            case .offered(let o):
                if offered[o.contact] != nil || assigned[o.contact] != nil { problems.append("\(o.contact) offered while held") }
                offered[o.contact] = o.agent
                if !timeMoved && o.explanation.rule == .bestWaitingContact { checkOrder(o) }
            case .offerDeclined(let c, _), .offerExpired(let c, _):
                offered[c] = nil
            case .assigned(let c, let a, _, _):
                if assigned[c] != nil { problems.append("\(c) assigned twice") }
                // A router that accepts for its agents announces the offer only when explaining it.
                let announced = !router.offersAcceptedAtOnce || router.explainsOffers
                if offered[c] != a && announced { problems.append("\(c) assigned to \(a) without an offer") }
                offered[c] = nil
                assigned[c] = a
            default: break
            }
        }
        // Removed contacts drop their offer.
        for c in offered.keys where !open.contains(c) { offered[c] = nil }
        log.append(contentsOf: events)
        problems.append(contentsOf: router.invariantViolations(at: now))
        for c in open where router.phase(of: c) == nil { problems.append("\(c) vanished: neither waiting, offered nor assigned") }
    }

    /// A contact taken by freed capacity was first in line among those the agent could take.
    mutating func checkOrder(_ o: Offer) {
        let cost = router.policy.capacityCost[o.channel]
        for c in open {
            guard case .waiting = router.phase(of: c), let key = router.orderKey(of: c), let cCost = router.cost(of: c) else { continue }
            if cCost <= cost && router.couldServe(o.agent, c, at: now) && key < o.explanation.orderKey {
                problems.append("\(o.agent) took key \(o.explanation.orderKey) but \(c) with key \(key) was waiting")
            }
        }
    }
}

@Suite struct RoutingPropertyTests {
    /// Over random sequences of arrivals, accepts, declines, completions, transfers, status changes
    /// and time: never held twice, capacity never exceeded, no idle eligible agent beside a waiting
    /// contact, freed capacity takes the first in line, and every contact stays accounted for.
    @Test func invariantsHoldOverRandomEventSequences() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000), Gen.int(in: 0...Int.max).array(of: 1...150)) { seed, ops in
            do {
                var run = try RandomRun(seed: seed)
                for v in ops {
                    run.step(v)
                    if !run.problems.isEmpty { break }
                }
                #expect(run.problems.isEmpty, "\(run.problems.prefix(5))")
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }

    /// The same events give the same decisions, event for event.
    @Test func sameEventsGiveSameDecisions() async {
        await propertyCheck(count: 50, input: Gen.int(in: 0...1_000_000), Gen.int(in: 0...Int.max).array(of: 1...120)) { seed, ops in
            do {
                var first = try RandomRun(seed: seed)
                var second = try RandomRun(seed: seed)
                for v in ops {
                    first.step(v)
                    second.step(v)
                }
                #expect(first.log == second.log)
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }

    /// Offers without explanations (as the simulator runs) go to the same agents at the same
    /// moments as offers with them; only the explanation is missing.
    @Test func explanationsChangeNoDecision() async {
        func decisions(_ log: [RoutingEvent]) -> [RoutingEvent] {
            log.map { e in
                guard case .offered(var o) = e else { return e }
                o.explanation = Explanation(rule: o.explanation.rule, step: o.explanation.step, orderKey: o.explanation.orderKey,
                                            waited: o.explanation.waited, considered: 0, candidates: TopCandidates())
                return .offered(o)
            }
        }
        await propertyCheck(count: 150, input: Gen.int(in: 0...1_000_000), Gen.int(in: 0...Int.max).array(of: 1...150)) { seed, ops in
            do {
                var explained = try RandomRun(seed: seed)
                var bare = try RandomRun(seed: seed, explainsOffers: false)
                for v in ops {
                    explained.step(v)
                    bare.step(v)
                }
                #expect(bare.problems.isEmpty, "\(bare.problems.prefix(5))")
                #expect(decisions(explained.log) == decisions(bare.log))
                #expect(bare.log.allSatisfy { e in
                    if case .offered(let o) = e { return o.explanation.candidates.isEmpty }
                    return true
                })
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }

    /// A router that reports no agent states (as the simulator runs it) makes the same decisions and
    /// keeps the same agent states; its events are the others' without `agentStateChanged`.
    @Test func silentAgentStatesChangeNoDecision() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...1_000_000), Gen.int(in: 0...Int.max).array(of: 1...150)) { seed, ops in
            do {
                var reported = try RandomRun(seed: seed)
                var silent = try RandomRun(seed: seed, reportsAgentStates: false)
                for v in ops {
                    reported.step(v)
                    silent.step(v)
                }
                #expect(silent.problems.isEmpty, "\(silent.problems.prefix(5))")
                let decisions = reported.log.filter { e in
                    if case .agentStateChanged = e { return false }
                    return true
                }
                #expect(silent.log == decisions)
                for id in reported.agentIDs {
                    #expect(silent.router.agent(id) == reported.router.agent(id))
                }
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }

    /// A router that accepts every offer as it makes it (`offersAcceptedAtOnce`, the simulator's
    /// agents) assigns the same contacts to the same agents at the same moments, and queues and
    /// relaxes the same, as a caller that accepts each offer right after the call that made it;
    /// explained or not, and without ever leaving a contact on offer.
    @Test func acceptingAtOnceChangesNoDecision() async {
        // Each assignment, with the wait to the moment of the offer (an offer made by a timer
        // inside `advance` is accepted by the caller only at the end of the call, which would
        // count the rest of the advance as waiting), among the contacts queued and relaxed.
        func decisions(_ log: [RoutingEvent], acceptedByCaller: Bool) -> [RoutingEvent] {
            log.compactMap { e in
                switch e {
                case .offered(let o):
                    acceptedByCaller ? .assigned(o.contact, agent: o.agent, channel: o.channel, waited: o.explanation.waited) : nil
                case .assigned: acceptedByCaller ? nil : e
                case .queued, .relaxed: e
                default: nil
                }
            }
        }
        await propertyCheck(count: 150, input: Gen.int(in: 0...1_000_000), Gen.int(in: 0...Int.max).array(of: 1...150)) { seed, ops in
            do {
                var caller = try RandomRun(seed: seed, acceptsEveryOffer: true)
                var explained = try RandomRun(seed: seed, offersAcceptedAtOnce: true)
                var bare = try RandomRun(seed: seed, explainsOffers: false, offersAcceptedAtOnce: true)
                for v in ops {
                    caller.step(v)
                    explained.step(v)
                    bare.step(v)
                }
                #expect(caller.problems.isEmpty, "\(caller.problems.prefix(5))")
                #expect(explained.problems.isEmpty, "\(explained.problems.prefix(5))")
                #expect(bare.problems.isEmpty, "\(bare.problems.prefix(5))")
                #expect(decisions(caller.log, acceptedByCaller: true) == decisions(explained.log, acceptedByCaller: false))
                #expect(decisions(explained.log, acceptedByCaller: false) == decisions(bare.log, acceptedByCaller: false))
                #expect(explained.offered.isEmpty && bare.offered.isEmpty)
                // Explained offers are still announced, each right before its assignment; bare ones are not.
                #expect(explained.log.filter { if case .offered = $0 { true } else { false } }.count
                        == caller.log.filter { if case .offered = $0 { true } else { false } }.count)
                #expect(!bare.log.contains { if case .offered = $0 { true } else { false } })
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }
}
