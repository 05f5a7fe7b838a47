import PropertyBased
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading
import Testing

/// Random event sequences through the whole engine (threading and routing), with a few repeat
/// customers so cases, affinity and reopening come into play.
struct EngineRun {
    var engine: Engine
    var now = Instant.seconds(10_000)
    var log: [EngineEvent] = []
    var pushed: Set<ContactID> = []
    var ended: Set<ContactID> = []
    var offered: [ContactID: AgentID] = [:]
    var assigned: [ContactID: AgentID] = [:]
    var problems: [String] = []
    let agents: [AgentProfile] = [
        AgentProfile(id: "a", skills: ["billing": 7, "tech": 3], languages: ["en"]),
        AgentProfile(id: "b", skills: ["tech": 9], languages: ["en", "es"], capacity: 68),
        AgentProfile(id: "c", skills: ["billing": 2], languages: ["es"]),
    ]

    init(publishing: EngineEventKinds = .all) throws {
        var policy = Policy()
        policy.routing.languageFallbacks = ["es": ["en"]]
        policy.routing.reofferCooldown = .seconds(10)
        engine = try Engine(policy: policy, publishing: publishing)
    }

    mutating func step(_ v: Int) {
        var events: [EngineEvent] = []
        var bits = UInt64(truncatingIfNeeded: v) >> 4
        func take(_ n: Int) -> Int {
            let r = Int(bits % UInt64(n))
            bits /= UInt64(n)
            return r
        }
        let op = v & 15
        do {
            switch op {
            case 0, 1, 2, 3:
                let customer = take(5)
                let ids: [RawIdentifier] = customer == 0 ? [] : [.email("customer\(customer)@example.com")]
                let skill = ["billing", "tech"][take(2)]
                let r = try engine.pushContact(
                    NewContact(channel: Channel.allCases[take(4)], identifiers: ids, language: ["en", "es", nil][take(3)],
                               priority: 1 + take(10), required: [SkillRequirement(skill, minimumLevel: 1 + take(6))]),
                    at: now, events: &events)
                if r.routing != .duplicate { pushed.insert(r.contact) }
            case 4, 5:
                if let (c, a) = offered.sorted(by: { $0.key < $1.key }).dropFirst(take(3)).first {
                    if op == 4 { try engine.accept(c, by: a, at: now, events: &events) } else { try engine.decline(c, by: a, at: now, events: &events) }
                }
            case 6:
                if let (c, a) = assigned.sorted(by: { $0.key < $1.key }).dropFirst(take(3)).first {
                    try engine.complete(c, by: a, Completion(resolved: take(2) == 0, wrapUp: take(2) == 0 ? .zero : .seconds(5)), at: now, events: &events)
                    ended.insert(c)
                    assigned[c] = nil
                }
            case 7, 8:
                now += .seconds(Double(1 + take(40)))
                engine.advance(to: now, events: &events)
            case 9:
                let a = agents[take(3)]
                switch take(4) {
                case 0: try engine.login(a, at: now, events: &events)
                case 1: if engine.agent(a.id) != nil { try engine.setStatus(a.id, to: .away, at: now, events: &events) }
                case 2: if engine.agent(a.id) != nil { try engine.setStatus(a.id, to: .available, at: now, events: &events) }
                default: if engine.agent(a.id) != nil { try engine.logout(a.id, at: now, events: &events) }
                }
            case 10:
                let waiting = pushed.subtracting(ended).sorted().filter { assigned[$0] == nil }
                if let c = waiting.dropFirst(take(4)).first {
                    try engine.endContact(c, reason: take(3) == 0 ? .selfServed : .abandoned, at: now, events: &events)
                    ended.insert(c)
                    offered[c] = nil
                }
            case 11:
                if let (c, a) = assigned.sorted(by: { $0.key < $1.key }).dropFirst(take(3)).first {
                    try engine.transfer(c, from: a, to: .skills([SkillRequirement(["billing", "tech"][take(2)])], language: nil), at: now, events: &events)
                    assigned[c] = nil
                }
            default:
                try engine.login(agents[take(3)], at: now, events: &events)
            }
        } catch {
            problems.append("op \(op) threw \(error)")
        }
        for e in events {
            switch e {
            case .contactOffered(let o, _, _):
                if assigned[o.contact] != nil { problems.append("\(o.contact) offered while assigned") }
                offered[o.contact] = o.agent
            case .offerDeclined(let c, _, _), .offerExpired(let c, _, _):
                offered[c] = nil
            case .contactAssigned(let c, let a, _, _, _, _):
                if assigned[c] != nil { problems.append("\(c) assigned twice") }
                offered[c] = nil
                assigned[c] = a
            default: break
            }
        }
        log.append(contentsOf: events)
        problems.append(contentsOf: engine.router.invariantViolations(at: now))
        for c in pushed where !ended.contains(c) && engine.phase(of: c) == nil {
            problems.append("\(c) is neither waiting, offered, assigned nor ended")
        }
    }
}

@Suite struct EnginePropertyTests {
    /// Through the whole engine: never assigned twice, capacity never exceeded, no idle eligible
    /// agent beside a waiting contact, and every contact waiting, offered, assigned or ended.
    @Test func invariantsHoldThroughTheEngine() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...Int.max).array(of: 1...120)) { ops in
            do {
                var run = try EngineRun()
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

    /// The same events give the same decisions, threading and routing alike.
    @Test func sameEventsGiveSameDecisions() async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...Int.max).array(of: 1...120)) { ops in
            do {
                var first = try EngineRun()
                var second = try EngineRun()
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

    /// Publishing fewer kinds of event changes nothing but the events: the kept events, the
    /// decisions, the case history and the KPIs are the same as with every kind published.
    @Test func publishingFewerEventsChangesNoDecision() async {
        let kinds: EngineEventKinds = [.queued, .offers, .assigned, .ended]
        await propertyCheck(count: 40, input: Gen.int(in: 0...Int.max).array(of: 1...120)) { ops in
            do {
                var everything = try EngineRun()
                var some = try EngineRun(publishing: kinds)
                for v in ops {
                    everything.step(v)
                    some.step(v)
                }
                #expect(everything.log.filter { kinds.contains($0.kind) } == some.log)
                #expect(everything.engine.stats(at: everything.now) == some.engine.stats(at: some.now))
                for c in everything.pushed {
                    #expect(everything.engine.phase(of: c) == some.engine.phase(of: c))
                    if let k = everything.engine.caseOf(c) {
                        #expect(everything.engine.caseHistory(k) == some.engine.caseHistory(k))
                    }
                }
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }
}
