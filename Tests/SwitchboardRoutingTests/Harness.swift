import SwitchboardDomain
import SwitchboardRouting
import SwitchboardTestSupport

/// A router, a manual clock and the events of the last call, so tests read like the rule they pin.
struct Harness {
    var router: Router
    var clock = ManualClock()
    var events: [RoutingEvent] = []
    var nextID: UInt64 = 1

    init(_ configure: (inout RoutingPolicy) -> Void = { _ in }) throws {
        var policy = RoutingPolicy()
        configure(&policy)
        router = try Router(policy: policy)
    }

    var now: Instant { clock.now }

    mutating func login(_ id: AgentID, _ skills: [String: Int] = ["general": 5], languages: [String] = ["en"], capacity: Int = 100) throws {
        events.removeAll()
        try router.login(AgentProfile(id: id, skills: skills, languages: languages, capacity: capacity), at: now, events: &events)
    }

    @discardableResult
    mutating func push(
        _ channel: Channel = .voice, required: [SkillRequirement] = [SkillRequirement("general", minimumLevel: 1)],
        preferred: [SkillRequirement] = [], language: String? = "en", priority: Int = 5, preferredAgent: AgentID? = nil,
        lastHandler: AgentID? = nil, lastHandledAt: Instant? = nil
    ) throws -> ContactID {
        let id = ContactID(nextID)
        nextID += 1
        events.removeAll()
        try router.enqueue(
            RoutingRequest(
                contact: id, channel: channel, required: required, preferred: preferred, language: language, priority: priority,
                preferredAgent: preferredAgent, lastHandler: lastHandler, lastHandledAt: lastHandledAt, arrivedAt: now),
            at: now, events: &events)
        return id
    }

    mutating func advance(seconds: Double) {
        clock.advance(seconds: seconds)
        events.removeAll()
        router.advance(to: now, events: &events)
    }

    mutating func accept(_ c: ContactID, _ a: AgentID) throws {
        events.removeAll()
        try router.accept(c, by: a, at: now, events: &events)
    }

    mutating func decline(_ c: ContactID, _ a: AgentID) throws {
        events.removeAll()
        try router.decline(c, by: a, at: now, events: &events)
    }

    mutating func complete(_ c: ContactID, _ a: AgentID, wrapUp: Span? = .zero) throws {
        events.removeAll()
        try router.complete(c, by: a, wrapUp: wrapUp, at: now, events: &events)
    }

    /// The offers in the last call's events, as (contact, agent).
    var offers: [(ContactID, AgentID)] {
        events.compactMap { if case .offered(let o) = $0 { (o.contact, o.agent) } else { nil } }
    }

    var lastOffer: Offer? {
        events.reversed().lazy.compactMap { if case .offered(let o) = $0 { o } else { nil } }.first
    }

    func offeredTo(_ c: ContactID) -> AgentID? {
        if case .offered(let a, _) = router.phase(of: c) { return a }
        return nil
    }

    func isWaiting(_ c: ContactID) -> Bool {
        if case .waiting = router.phase(of: c) { return true }
        return false
    }
}
