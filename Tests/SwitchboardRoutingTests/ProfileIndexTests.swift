import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardRouting

/// Agents with equal languages and skills share one profile in the idle index (`Router.profiles`):
/// one set of cell lists, one heap of idle agents per capacity class, filed in the cells under the
/// best agent's key. These pin down that sharing changes who gets what in no way.
@Suite struct ProfileIndexTests {
    static func billing(_ level: Int = 1) -> [SkillRequirement] { [SkillRequirement("billing", minimumLevel: level)] }

    @Test func agentsWithEqualSkillsAndLanguagesShareAProfileAndAChangedOneMovesAlone() throws {
        var h = try Harness()
        try h.login("ann", ["billing": 5, "returns": 3], languages: ["en", "de"])
        try h.login("bob", ["billing": 5, "returns": 3], languages: ["de", "en"])
        try h.login("cyd", ["billing": 7], languages: ["en"])
        #expect(h.router.agentProfile[0] == h.router.agentProfile[1])
        #expect(h.router.agentProfile[0] != h.router.agentProfile[2])
        #expect(h.router.profiles.count == 2)

        // Bob's skills change: he moves to a profile of his own; Ann's stays as it was.
        let annProfile = h.router.agentProfile[0]
        let annCells = h.router.profileFiledCells[Int(annProfile)]
        try h.login("bob", ["billing": 2], languages: ["fr"])
        #expect(h.router.agentProfile[0] == annProfile && h.router.profileFiledCells[Int(annProfile)] == annCells)
        #expect(h.router.agentProfile[1] != annProfile && h.router.agentProfile[1] != h.router.agentProfile[2])
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")

        // And routing follows the new profile: French billing goes to Bob, German to Ann.
        let fr = try h.push(.chat, required: Self.billing(), language: "fr")
        #expect(h.offeredTo(fr) == "bob")
        let de = try h.push(.chat, required: Self.billing(), language: "de")
        #expect(h.offeredTo(de) == "ann")
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }

    /// A cell of two skills is made when a contact asks for both, never for an agent who has both:
    /// an agent with ten skills would otherwise make 45 such cells per language, which the arrays
    /// the freed-capacity search reads on every call would carry between the cells in use. The
    /// agent still takes from a pair cell made after it logged in.
    @Test func aCellOfTwoSkillsIsMadeForAContactThatAsksForBothNotForAnAgent() throws {
        var h = try Harness()
        let skills = Dictionary(uniqueKeysWithValues: (0..<10).map { ("s\($0)", 5) })
        try h.login("ann", skills, languages: ["en", "de"])
        // Per language (English, German and "any language"), "any skill" and one cell per skill.
        #expect(h.router.cells.count == 3 * (1 + 10))
        try h.router.setStatus("ann", to: .away, at: h.now, events: &h.events)
        let both = try h.push(.chat, required: [SkillRequirement("s3", minimumLevel: 2), SkillRequirement("s7", minimumLevel: 1)], language: "de")
        #expect(h.router.cells.count == 3 * (1 + 10) + 1)
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
        h.events.removeAll()
        try h.router.setStatus("ann", to: .available, at: h.now, events: &h.events)
        #expect(h.offeredTo(both) == "ann")
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }

    @Test func withinAProfileTheAgentWithMoreRoomGetsTheNextContactInEveryCell() throws {
        var h = try Harness()
        for id in ["ann", "bob", "cyd"] as [AgentID] {
            try h.login(id, ["billing": 5, "returns": 5], languages: ["en", "de"])
            h.clock.advance(seconds: 1)
        }
        // Ann logged in first, so she has been idle longest: she takes the first chat. Then Bob,
        // then Cyd (more spare capacity beats a second more of idle time), in whichever cell asks.
        var order: [AgentID] = []
        for (skill, language) in [("billing", "en"), ("returns", "de"), ("billing", "de")] {
            let c = try h.push(.chat, required: [SkillRequirement(skill, minimumLevel: 1)], language: language)
            order.append(h.offeredTo(c) ?? "nobody")
            try h.accept(c, order.last!)
            #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
        }
        #expect(order == ["ann", "bob", "cyd"])
        // All three hold one chat now; the next goes to Ann again (longest since her offer).
        let next = try h.push(.chat, required: Self.billing(), language: "de")
        #expect(h.offeredTo(next) == "ann")
    }

    @Test func theBestAgentAcrossProfilesWinsByLevelWhereProfilesMeet() throws {
        var h = try Harness()
        try h.login("low", ["billing": 2, "returns": 9], languages: ["en"])
        try h.login("high", ["billing": 9, "returns": 2], languages: ["en"])
        let billing = try h.push(.chat, required: Self.billing(), language: "en")
        #expect(h.offeredTo(billing) == "high")
        // The returns cell ranks the other profile first.
        let returns = try h.push(.chat, required: [SkillRequirement("returns", minimumLevel: 1)], language: "en")
        #expect(h.offeredTo(returns) == "low")
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
    }

    @Test func aProfilesSecondBestIsFoundWhenItsBestMayNotTakeTheContact() throws {
        var h = try Harness { $0.reofferCooldown = .seconds(60) }
        // Room for two voice calls each: one chat leaves Amy in the same capacity class as Ann.
        try h.login("amy", ["billing": 9], languages: ["en"], capacity: 200)
        try h.login("ann", ["billing": 9], languages: ["en"], capacity: 200)
        try h.login("bob", ["billing": 2], languages: ["en"])
        let first = try h.push(.chat, required: Self.billing(), language: "en")
        #expect(h.offeredTo(first) == "amy")
        try h.accept(first, "amy")
        let c = try h.push(.chat, required: Self.billing(), language: "en")
        #expect(h.offeredTo(c) == "ann")
        // Ann declines: she may not have it again for a minute, yet with all her room free she is
        // still the best of her profile. Amy, behind her in the profile's heap, beats Bob, the
        // best of the other profile.
        try h.decline(c, "ann")
        #expect(h.offeredTo(c) == "amy")
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
    }

    /// Entries of `profile` in the cells' idle heaps, unfiled (nobody idle) and filed.
    static func entries(of profile: Int32, _ r: Router) -> (unfiled: Int, filed: Int) {
        var unfiled = 0, filed = 0
        for heap in r.idleHeaps {
            for e in heap.entries where e.owner == profile {
                if e.key == .unfiled { unfiled += 1 } else { filed += 1 }
            }
        }
        return (unfiled, filed)
    }

    @Test func aProfileOfManyCellsWithNobodyIdleStaysFiledUntilAWalkFindsItEmpty() throws {
        var h = try Harness()
        try h.login("ann", ["billing": 5, "returns": 5], languages: ["en", "de"])
        try h.login("bob", ["billing": 5, "returns": 5], languages: ["en", "de"])
        // Cyd's profile shares the cells, so Ann and Bob's is not alone in them.
        try h.login("cyd", ["billing": 3, "returns": 3], languages: ["en", "de"])
        // Three cells searched: the profiles are filed in each.
        for (skill, language) in [("returns", "en"), ("billing", "de"), ("billing", "en")] {
            let c = try h.push(.chat, required: [SkillRequirement(skill, minimumLevel: 1)], language: language)
            let agent = try #require(h.offeredTo(c))
            try h.accept(c, agent)
            try h.complete(c, agent)
        }
        h.events.removeAll()
        try h.router.setStatus("cyd", to: .away, at: h.now, events: &h.events)
        let profile = h.router.agentProfile[0]
        #expect(h.router.profileFiledCells[Int(profile)].count == 3)
        let first = try h.push(.voice, required: Self.billing(), language: "en")
        let firstAgent = try #require(h.offeredTo(first))
        try h.accept(first, firstAgent)
        let second = try h.push(.voice, required: Self.billing(), language: "en")
        #expect(h.offeredTo(second) != nil && h.offeredTo(second) != firstAgent)
        try h.accept(second, h.offeredTo(second)!)
        // Both full: nobody idle, but the cells still file the profile under old keys.
        #expect(Self.entries(of: profile, h.router).unfiled == 0)
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
        // A third call finds nobody and waits; the cell its walk looked in now has the profile unfiled.
        let third = try h.push(.voice, required: Self.billing(), language: "en")
        #expect(h.isWaiting(third))
        #expect(Self.entries(of: profile, h.router).unfiled >= 1)
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
        // The first call ends: its agent takes the third, and when that ends is filed again everywhere.
        try h.complete(first, firstAgent)
        #expect(h.router.contacts(of: firstAgent).contains(third))
        try h.accept(third, firstAgent)
        try h.complete(third, firstAgent)
        #expect(Self.entries(of: profile, h.router).unfiled == 0)
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
    }

    @Test func aProfileOfOneCellKeepsItsCellExact() throws {
        var h = try Harness()
        try h.login("ann", ["billing": 5], languages: ["en"])
        try h.login("bob", ["billing": 3], languages: ["en"])
        let c = try h.push(.voice, required: Self.billing(), language: "en")
        #expect(h.offeredTo(c) == "ann")
        let ann = h.router.agentProfile[0]
        #expect(Self.entries(of: ann, h.router) == (unfiled: 1, filed: 0))
        try h.accept(c, "ann")
        try h.complete(c, "ann")
        #expect(Self.entries(of: ann, h.router) == (unfiled: 0, filed: 1))
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
    }

    @Test func aProfileAloneInACellIsFoundThroughItsOwnHeapAndGetsAKeyWhenCompanyComes() throws {
        var h = try Harness()
        try h.login("ann", ["billing": 5], languages: ["en"])
        h.clock.advance(seconds: 30)
        let c = try h.push(.voice, required: Self.billing(), language: "en")
        #expect(h.offeredTo(c) == "ann")
        try h.accept(c, "ann")
        try h.complete(c, "ann")
        // Bob's profile joins the cell: Ann's gets its real key there, and the best agent wins.
        try h.login("bob", ["billing": 3], languages: ["en"])
        #expect(h.router.invariantViolations(at: h.now).isEmpty, "\(h.router.invariantViolations(at: h.now).prefix(3))")
        let d = try h.push(.voice, required: Self.billing(), language: "en")
        #expect(h.offeredTo(d) == "ann")
    }
}
