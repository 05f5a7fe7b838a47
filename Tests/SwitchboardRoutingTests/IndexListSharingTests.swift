import SwitchboardDomain
import Testing

@testable import SwitchboardRouting

/// Agents of one profile read one copy of their index lists (`Router.share`), and sharing never lets
/// one agent's change reach another.
@Suite struct IndexListSharingTests {
    static func base<T>(_ list: [T]) -> UnsafeRawPointer? {
        list.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func agentsWithOneProfileShareTheirListsAndKeepThemApartWhenOneChanges() throws {
        var h = try Harness()
        try h.login("ann", ["billing": 5, "returns": 3], languages: ["en", "de"])
        try h.login("bob", ["billing": 5, "returns": 3], languages: ["en", "de"])
        try h.login("cyd", ["billing": 7], languages: ["en"])
        // Lines in new cells: the agents' used and searched lists grow after login.
        for (skill, language) in [("billing", "de"), ("returns", "en"), ("billing", "en")] {
            try h.push(.chat, required: [SkillRequirement(skill, minimumLevel: 1)], language: language)
            try h.push(.voice, required: [SkillRequirement(skill, minimumLevel: 1)], language: language)
        }
        var r = h.router
        let (ann, bob, cyd) = (0, 1, 2)
        #expect(!r.agentUsedQueues[ann].isEmpty && !r.agentFiledCells[ann].isEmpty)
        #expect(Self.base(r.agentUsedQueues[ann]) == Self.base(r.agentUsedQueues[bob]))
        #expect(Self.base(r.agentFiledCells[ann]) == Self.base(r.agentFiledCells[bob]))
        #expect(Self.base(r.agentFiledLevels[ann]) == Self.base(r.agentFiledLevels[bob]))
        #expect(Self.base(r.agentUsedQueues[ann]) != Self.base(r.agentUsedQueues[cyd]))
        #expect(r.invariantViolations(at: h.now).isEmpty)

        // Bob's profile changes: his lists change, Ann's stay as they were.
        let annBefore = (r.agentUsedQueues[ann], r.agentFiledCells[ann], r.agentFiledLevels[ann])
        var events: [RoutingEvent] = []
        try r.login(AgentProfile(id: "bob", skills: ["billing": 2], languages: ["fr"]), at: h.now, events: &events)
        #expect(r.agentUsedQueues[ann] == annBefore.0 && r.agentFiledCells[ann] == annBefore.1 && r.agentFiledLevels[ann] == annBefore.2)
        #expect(r.agentFiledCells[bob] != annBefore.1)
        #expect(r.invariantViolations(at: h.now).isEmpty, "\(r.invariantViolations(at: h.now).prefix(3))")
    }
}
