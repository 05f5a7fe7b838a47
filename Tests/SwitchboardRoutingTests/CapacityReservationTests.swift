import SwitchboardDomain
import SwitchboardRouting
import Testing

/// Capacity reservation: a voice call (100 units) must not starve behind a stream of chats that
/// keeps every agent partly busy.
@Suite struct CapacityReservationTests {
    /// Plays one agent holding two chats while chats keep arriving (one every 10 s, each finished
    /// 20 s after acceptance), with one voice call waiting. Returns when the call was offered, or nil.
    static func voiceOfferTime(reserveAfter: Span) throws -> (offeredAfter: Double, rule: Explanation.Rule)? {
        var h = try Harness { $0.reserveCapacityAfter = PerChannel(voice: reserveAfter, chat: .hours(1000), email: .hours(1000), social: .hours(1000)) }
        try h.login("a")
        var held: [(ContactID, Double)] = []
        for _ in 0..<2 {
            let chat = try h.push(.chat)
            try h.accept(chat, "a")
            held.append((chat, 20))
        }
        let call = try h.push(.voice)
        #expect(h.isWaiting(call))
        var t = 0.0
        while t < 600 {
            t += 5
            h.advance(seconds: 5)
            if Int(t) % 10 == 0 {
                let chat = try h.push(.chat)
                if h.offeredTo(chat) == "a" {
                    try h.accept(chat, "a")
                    held.append((chat, t + 20))
                }
            }
            for (c, due) in held where due <= t {
                held.removeAll { $0.0 == c }
                try h.complete(c, "a")
                if let offer = h.lastOffer, offer.contact == call { return (t, offer.explanation.rule) }
                for (offered, agent) in h.offers where agent == "a" && offered != call {
                    try h.accept(offered, "a")
                    held.append((offered, t + 20))
                }
            }
            #expect(h.router.invariantViolations(at: h.now).isEmpty)
        }
        return nil
    }

    /// Agent "a" (100 units) holds two accepted chats (68 units); a voice call has waited 10 s.
    static func agentWithTwoChatsAndACallWaiting(reserveAfter: Span) throws -> (Harness, ContactID, ContactID, ContactID) {
        var h = try Harness { $0.reserveCapacityAfter.voice = reserveAfter }
        try h.login("a")
        let chat1 = try h.push(.chat)
        try h.accept(chat1, "a")
        let chat2 = try h.push(.chat)
        try h.accept(chat2, "a")
        let call = try h.push(.voice)
        h.advance(seconds: 10)
        return (h, chat1, chat2, call)
    }

    /// Without reservation the call never fits: the agent always has a chat left when another
    /// arrives. This pins the problem the reservation solves.
    @Test func voiceStarvesBehindChatsWithoutReservation() throws {
        #expect(try Self.voiceOfferTime(reserveAfter: .hours(1000)) == nil)
    }

    /// With reservation the agent stops taking chats once the call has waited `reserveCapacityAfter`,
    /// drains, and is offered the call under the `reservedCapacity` rule.
    @Test func reservedAgentDrainsAndTakesTheCall() throws {
        let result = try #require(try Self.voiceOfferTime(reserveAfter: .seconds(5)))
        #expect(result.rule == .reservedCapacity)
        #expect(result.offeredAfter <= 60)
    }

    /// A reserved agent takes no other work, even work that would fit.
    @Test func reservedAgentTakesNoOtherWork() throws {
        var (h, chat1, chat2, call) = try Self.agentWithTwoChatsAndACallWaiting(reserveAfter: .seconds(5))
        try h.complete(chat1, "a")  // 66 units free: the call is first in line but does not fit: reserve
        let chat3 = try h.push(.chat)
        #expect(h.isWaiting(chat3))
        #expect(h.isWaiting(call))
        try h.complete(chat2, "a")
        #expect(h.offeredTo(call) == "a")
        #expect(h.isWaiting(chat3))
    }

    /// An agent with room that comes along first takes the reserved call, and the agent that held
    /// its units for it goes back to work at once.
    @Test func anotherAgentWithRoomTakesTheCallAndFreesTheReservation() throws {
        var (h, chat1, _, call) = try Self.agentWithTwoChatsAndACallWaiting(reserveAfter: .seconds(5))
        try h.complete(chat1, "a")
        let chat3 = try h.push(.chat)
        #expect(h.isWaiting(chat3))
        try h.login("b")
        #expect(h.offeredTo(call) == "b")
        #expect(h.offeredTo(chat3) == "a")
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }

    /// An agent that goes away drops its reservation; the call waits for the next agent.
    @Test func awayAgentDropsItsReservation() throws {
        var (h, chat1, chat2, call) = try Self.agentWithTwoChatsAndACallWaiting(reserveAfter: .seconds(5))
        try h.complete(chat1, "a")
        try h.router.setStatus("a", to: .away, at: h.now, events: &h.events)
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
        try h.complete(chat2, "a")
        #expect(h.isWaiting(call))
        try h.router.setStatus("a", to: .available, at: h.now, events: &h.events)
        #expect(h.offeredTo(call) == "a")
    }

    /// Before the call has waited `reserveCapacityAfter`, the agent keeps taking chats that fit.
    @Test func noReservationBeforeTheWaitThreshold() throws {
        var (h, chat1, _, call) = try Self.agentWithTwoChatsAndACallWaiting(reserveAfter: .seconds(30))
        let chat3 = try h.push(.chat)
        try h.complete(chat1, "a")
        #expect(h.offeredTo(chat3) == "a")
        #expect(h.isWaiting(call))
    }

    /// A reserved agent takes nothing else, not even a contact that names it as preferred agent:
    /// that contact goes to another eligible agent.
    @Test func reservedAgentIsNotOfferedContactsThatNameIt() throws {
        var (h, chat1, _, call) = try Self.agentWithTwoChatsAndACallWaiting(reserveAfter: .seconds(5))
        try h.complete(chat1, "a")  // reserves the call
        let named = try h.push(.chat, preferredAgent: "a")
        #expect(h.isWaiting(named))
        #expect(h.router.agent("a")?.load == 34)
        try h.login("b")
        #expect(h.offeredTo(call) == "b")
        #expect(h.offeredTo(named) == "a")
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }
}

@Suite struct LoginStatusTests {
    /// An agent that logs in away is offered nothing, even with work waiting; it takes the work when
    /// it becomes available.
    @Test func loginAwayGetsNoOffer() throws {
        var h = try Harness()
        let c = try h.push()
        try h.router.login(AgentProfile(id: "a", skills: ["general": 5], languages: ["en"]), as: .away, at: h.now, events: &h.events)
        #expect(h.isWaiting(c))
        #expect(h.router.agent("a")?.state == .away)
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
        try h.router.setStatus("a", to: .available, at: h.now, events: &h.events)
        #expect(h.offeredTo(c) == "a")
    }
}

@Suite struct RoutingPolicyValidationTests {
    /// Durations that cannot be negative are refused, naming the key, before a router is made.
    @Test func negativeDurationsAreRefusedWithTheirKey() throws {
        var policy = RoutingPolicy()
        policy.affinityWindow = .seconds(-1)
        #expect(throws: SwitchboardError.self) { try Router(policy: policy) }
        do {
            _ = try Router(policy: policy)
        } catch {
            #expect(error.field == "affinity_window")
        }
        policy = RoutingPolicy()
        policy.reserveCapacityAfter.voice = .seconds(-5)
        do {
            _ = try Router(policy: policy)
            Issue.record("a negative reserve_capacity_after was accepted")
        } catch {
            #expect(error.field == "reserve_capacity_after.voice")
        }
    }
}
