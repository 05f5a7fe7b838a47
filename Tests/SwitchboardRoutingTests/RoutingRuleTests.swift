import SwitchboardDomain
import SwitchboardRouting
import SwitchboardTestSupport
import Testing

@Suite struct ArrivalTests {
    /// Many different requirements on one channel, more than the cache of recent requirements
    /// holds, so they share its slots: each contact is still routed by its own requirements.
    @Test func requirementsThatShareACacheSlotKeepTheirOwnRouting() throws {
        var h = try Harness()
        let annSkills = Dictionary(uniqueKeysWithValues: (0..<20).map { ("s\($0)", 10) })
        let boSkills = Dictionary(uniqueKeysWithValues: (20..<40).map { ("s\($0)", 10) })
        try h.login("ann", annSkills, languages: ["en", "es"])
        try h.login("bo", boSkills, languages: ["en", "es"])
        for round in 0..<2 {
            for k in 0..<40 {
                for level in 1...10 {
                    for language in ["en", "es"] {
                        let c = try h.push(required: [SkillRequirement("s\(k)", minimumLevel: level)], language: language)
                        let expected: AgentID = k < 20 ? "ann" : "bo"
                        #expect(h.offeredTo(c) == expected, "s\(k) at \(level) in \(language), round \(round)")
                        var events: [RoutingEvent] = []
                        try h.router.remove(c, at: h.now, events: &events)
                    }
                }
            }
        }
    }

    /// An arriving contact is offered at once to the idle agent with the highest skill.
    @Test func offersGoToHighestSkillIdleAgent() throws {
        var h = try Harness()
        try h.login("low", ["billing": 3])
        try h.login("high", ["billing": 9])
        try h.login("mid", ["billing": 6])
        let c = try h.push(required: [SkillRequirement("billing", minimumLevel: 2)])
        #expect(h.offeredTo(c) == "high")
        let exp = try #require(h.lastOffer).explanation
        #expect(exp.rule == .bestIdleAgent)
        #expect(exp.candidates.map(\.agent) == ["high", "mid", "low"])
        #expect(exp.candidates[0].score > exp.candidates[1].score)
    }

    /// With no eligible idle agent the contact waits, and says so.
    @Test func contactWithoutEligibleAgentWaits() throws {
        var h = try Harness()
        try h.login("a", ["billing": 3])
        let c = try h.push(required: [SkillRequirement("billing", minimumLevel: 5)])
        #expect(h.isWaiting(c))
        #expect(h.events.contains(.queued(c, channel: .voice, step: 0)))
        #expect(h.router.waitingContacts == 1)
    }

    /// Spanish contacts reach only Spanish-speaking agents.
    @Test func languageMustMatch() throws {
        var h = try Harness()
        try h.login("en", ["general": 9], languages: ["en"])
        try h.login("es", ["general": 2], languages: ["es"])
        let c = try h.push(language: "es")
        #expect(h.offeredTo(c) == "es")
    }

    /// Among equally skilled agents, the one idle longest gets the contact (fairness).
    @Test func longestIdleAgentWinsTies() throws {
        var h = try Harness()
        try h.login("early")
        h.clock.advance(seconds: 60)
        try h.login("late")
        let c = try h.push()
        #expect(h.offeredTo(c) == "early")
    }

    /// The agent who last handled the case is preferred while logged in and within the window.
    @Test func affinityPrefersLastHandler() throws {
        var h = try Harness()
        try h.login("expert", ["general": 10])
        try h.login("previous", ["general": 4])
        h.clock.advance(seconds: 3600)
        let c = try h.push(lastHandler: "previous", lastHandledAt: h.now - .minutes(30))
        #expect(h.offeredTo(c) == "previous")
    }

    /// An agent that is both named (preferred or last handler) and found by the index walk is
    /// scored once: the explanation lists distinct agents, so a real third candidate is not pushed out.
    @Test func explanationListsEachCandidateOnce() throws {
        var h = try Harness()
        try h.login("preferred", ["general": 3])
        try h.login("previous", ["general": 4])
        try h.login("expert", ["general": 10])
        try h.login("other", ["general": 6])
        h.clock.advance(seconds: 3600)
        _ = try h.push(preferredAgent: "preferred", lastHandler: "previous", lastHandledAt: h.now - .minutes(30))
        let offer = try #require(h.lastOffer)
        let names = offer.explanation.candidates.map(\.agent)
        #expect(Set(names).count == names.count)
        #expect(names.count == TopCandidates.capacity)
    }

    /// Affinity lapses after the window: the best agent by skill wins again.
    @Test func affinityLapsesAfterWindow() throws {
        var h = try Harness { $0.affinityWindow = .hours(1) }
        try h.login("expert", ["general": 10])
        try h.login("previous", ["general": 4])
        h.clock.advance(seconds: 7200)
        let c = try h.push(lastHandler: "previous", lastHandledAt: h.now - .hours(2))
        #expect(h.offeredTo(c) == "expert")
    }

    /// A preferred agent gets the contact over a better-skilled one.
    @Test func preferredAgentWins() throws {
        var h = try Harness()
        try h.login("expert", ["general": 10])
        try h.login("chosen", ["general": 2])
        let c = try h.push(preferredAgent: "chosen")
        #expect(h.offeredTo(c) == "chosen")
    }

    /// Preferred skills are required at first (inner ring): an agent without them waits out the step.
    @Test func preferredSkillsRequiredUntilDropped() throws {
        var h = try Harness()
        try h.login("plain", ["general": 5])
        let c = try h.push(preferred: [SkillRequirement("vip", minimumLevel: 1)])
        #expect(h.isWaiting(c))
        h.advance(seconds: 15)
        #expect(h.events.contains(.relaxed(c, step: 1)))
        #expect(h.offeredTo(c) == "plain")
        #expect(h.lastOffer?.explanation.rule == .relaxed)
        #expect(h.lastOffer?.explanation.step == 1)
    }

    /// Minimum levels drop by the configured amount at their step.
    @Test func relaxationLowersMinimumLevels() throws {
        var h = try Harness()
        try h.login("junior", ["billing": 4])
        let c = try h.push(required: [SkillRequirement("billing", minimumLevel: 6)])
        h.advance(seconds: 59)
        #expect(h.isWaiting(c))
        h.advance(seconds: 1)
        #expect(h.offeredTo(c) == "junior")
    }

    /// The language widens to its fallbacks at its step.
    @Test func relaxationWidensLanguageToFallbacks() throws {
        var h = try Harness { $0.languageFallbacks = ["ca": ["es"]] }
        try h.login("es", ["general": 5], languages: ["es"])
        let c = try h.push(language: "ca")
        h.advance(seconds: 119)
        #expect(h.isWaiting(c))
        h.advance(seconds: 1)
        #expect(h.offeredTo(c) == "es")
    }

    /// Bad input is refused with a code and the field, and changes nothing.
    @Test func invalidRequestNamesFieldAndChangesNothing() throws {
        var h = try Harness()
        #expect(throws: SwitchboardError.invalidArgument("priority must be 1 (lowest) to 10 (highest)", field: "priority")) {
            try h.push(priority: 11)
        }
        do {
            try h.push(required: [SkillRequirement("billing", minimumLevel: 12)])
            Issue.record("expected an error")
        } catch let e as SwitchboardError {
            #expect(e.code == .invalidArgument)
            #expect(e.field == "required_skills[0].minimum_level")
        }
        #expect(h.router.waitingContacts == 0)
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }
}

@Suite struct WaitingOrderTests {
    /// Freed capacity takes the first eligible waiting contact, and higher priority goes first.
    @Test func higherPriorityOvertakes() throws {
        var h = try Harness()
        let low = try h.push(priority: 1)
        h.clock.advance(seconds: 1)
        let high = try h.push(priority: 9)
        try h.login("a")
        #expect(h.offeredTo(high) == "a")
        #expect(h.isWaiting(low))
        #expect(h.lastOffer?.explanation.rule == .bestWaitingContact)
    }

    /// A contact near its channel's service-level breach overtakes one with hours to go.
    @Test func nearBreachOvertakes() throws {
        var h = try Harness()
        let email = try h.push(.email)
        h.clock.advance(seconds: 30)
        let chat = try h.push(.chat)
        try h.login("a", capacity: 34)
        #expect(h.offeredTo(chat) == "a")
        #expect(h.isWaiting(email))
    }

    /// Nothing starves: a low-priority contact that has waited long enough beats fresh high priority.
    @Test func agingBeatsPriorityEventually() throws {
        var h = try Harness { $0.priorityCredit = .seconds(10) }
        let old = try h.push(priority: 1)
        h.clock.advance(seconds: 91)
        let fresh = try h.push(priority: 10)
        try h.login("a")
        #expect(h.offeredTo(old) == "a")
        #expect(h.isWaiting(fresh))
    }

    /// An agent that frees up takes only what it is eligible for, even if an ineligible contact is older.
    @Test func freedAgentSkipsIneligibleContacts() throws {
        var h = try Harness()
        let spanish = try h.push(language: "es")
        let english = try h.push(language: "en")
        try h.login("a", languages: ["en"])
        #expect(h.offeredTo(english) == "a")
        #expect(h.isWaiting(spanish))
    }

    /// Position and estimated wait are given per waiting contact.
    @Test func positionAndEstimatedWait() throws {
        var h = try Harness()
        let first = try h.push()
        let second = try h.push()
        let third = try h.push()
        #expect(h.router.position(of: first)?.position == 1)
        #expect(h.router.position(of: third)?.position == 3)
        #expect(h.router.position(of: third)?.estimatedWait == nil)
        try h.login("a")
        try h.accept(first, "a")
        h.clock.advance(seconds: 60)
        try h.complete(first, "a")
        #expect(h.offeredTo(second) == "a")
        try h.accept(second, "a")
        h.clock.advance(seconds: 60)
        try h.complete(second, "a")
        // `third` took the agent; the line moved once a minute, so a new contact first in line waits ~60 s.
        #expect(h.offeredTo(third) == "a")
        let fourth = try h.push()
        let p = try #require(h.router.position(of: fourth))
        #expect(p.position == 1)
        #expect(p.estimatedWait == .seconds(60))
    }
}

@Suite struct OfferTests {
    /// A declined contact goes back to its original place, ahead of later arrivals.
    @Test func declineReturnsContactToOriginalPlace() throws {
        var h = try Harness()
        try h.login("a")
        let first = try h.push()
        let second = try h.push()
        try h.decline(first, "a")
        #expect(h.offeredTo(second) == "a")
        try h.login("b")
        #expect(h.offeredTo(first) == "b")
    }

    /// A declined contact is not offered to the same agent again until the cooldown ends.
    @Test func declinedContactNotReofferedStraightAway() throws {
        var h = try Harness { $0.reofferCooldown = .seconds(30) }
        try h.login("a")
        let c = try h.push()
        try h.decline(c, "a")
        #expect(h.isWaiting(c))
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
        h.advance(seconds: 30)
        #expect(h.offeredTo(c) == "a")
        #expect(h.lastOffer?.explanation.rule == .cooldownEnded)
    }

    /// An unanswered offer expires after the channel's timeout and the contact goes back in line.
    @Test func offerExpiresAfterChannelTimeout() throws {
        var h = try Harness { $0.offerTimeout.voice = .seconds(20) }
        try h.login("a")
        let c = try h.push()
        #expect(h.router.nextDeadline == h.now + .seconds(20))
        h.advance(seconds: 20)
        #expect(h.events.contains(.offerExpired(c, agent: "a")))
        #expect(h.isWaiting(c))
    }

    /// N missed offers in a row set the agent away.
    @Test func missedOffersSetAgentAway() throws {
        var h = try Harness {
            $0.missedOffersToAway = 2
            $0.reofferCooldown = .zero
        }
        try h.login("a")
        _ = try h.push()
        h.advance(seconds: 20)
        #expect(h.router.agent("a")?.state == .available)
        h.advance(seconds: 20)
        #expect(h.router.agent("a")?.state == .away)
        #expect(h.events.contains(.agentStateChanged("a", from: .available, to: .away)))
    }

    /// Accepting resets the missed count; accepting someone else's offer is refused.
    @Test func acceptAssignsOnlyToTheOfferedAgent() throws {
        var h = try Harness()
        try h.login("a")
        try h.login("b", ["other": 1])
        let c = try h.push()
        #expect(throws: SwitchboardError.self) { try h.accept(c, "b") }
        try h.accept(c, "a")
        #expect(h.router.phase(of: c) == .assigned(to: "a"))
    }

    /// Logging out returns open offers to the line; accepted work stays with the agent.
    @Test func logoutReturnsOffersKeepsAcceptedWork() throws {
        var h = try Harness()
        try h.login("a", capacity: 68)
        let kept = try h.push(.chat)
        let open = try h.push(.chat)
        try h.accept(kept, "a")
        h.events.removeAll()
        try h.router.logout("a", at: h.now, events: &h.events)
        #expect(h.isWaiting(open))
        #expect(h.router.phase(of: kept) == .assigned(to: "a"))
        #expect(h.router.agent("a")?.state == .offline)
    }
}

@Suite struct CapacityTests {
    /// Capacity is in units: two chats and an email fit in 100, a call does not fit beside a chat.
    @Test func capacityUnitsAcrossChannels() throws {
        var h = try Harness()
        try h.login("a")
        let chat1 = try h.push(.chat)
        let chat2 = try h.push(.chat)
        let email = try h.push(.email)
        let call = try h.push(.voice)
        let chat3 = try h.push(.chat)
        #expect(h.offeredTo(chat1) == "a")
        #expect(h.offeredTo(chat2) == "a")
        #expect(h.offeredTo(email) == "a")
        #expect(h.isWaiting(call))
        #expect(h.isWaiting(chat3))
        #expect(h.router.agent("a")?.load == 93)
    }

    /// Wrap-up keeps the contact's units until it ends, then the agent takes waiting work.
    @Test func wrapUpHoldsCapacityUntilItEnds() throws {
        var h = try Harness()
        try h.login("a")
        let c = try h.push()
        try h.accept(c, "a")
        let next = try h.push()
        try h.complete(c, "a", wrapUp: .seconds(30))
        #expect(h.router.agent("a")?.state == .wrapUp)
        #expect(h.isWaiting(next))
        h.advance(seconds: 30)
        #expect(h.offeredTo(next) == "a")
    }

    /// An away agent gets nothing; becoming available takes waiting work at once.
    @Test func awayAgentTakesWorkWhenAvailable() throws {
        var h = try Harness()
        try h.login("a")
        h.events.removeAll()
        try h.router.setStatus("a", to: .away, at: h.now, events: &h.events)
        let c = try h.push()
        #expect(h.isWaiting(c))
        h.events.removeAll()
        try h.router.setStatus("a", to: .available, at: h.now, events: &h.events)
        #expect(h.offeredTo(c) == "a")
    }

    /// An agent may hold more contacts than the eight its record keeps inline: every one is
    /// listed, and finishing them in any order (from the inline part, from past it, the last one)
    /// or logging out with offers open past it keeps the list whole.
    @Test func agentHoldingMoreThanEightContactsListsThemAll() throws {
        var h = try Harness { $0.capacityCost = PerChannel(voice: 100, chat: 5, email: 5, social: 5) }
        try h.login("a", capacity: 60)
        var accepted: [ContactID] = []
        for _ in 0..<10 {
            let chat = try h.push(.chat)
            try h.accept(chat, "a")
            accepted.append(chat)
        }
        var offered: [ContactID] = []
        for _ in 0..<2 { offered.append(try h.push(.chat)) }
        #expect(h.router.contacts(of: "a") == accepted + offered)
        for c in [accepted[2], accepted[9], accepted[0], accepted[8]] {
            try h.complete(c, "a")
            accepted.removeAll { $0 == c }
            #expect(Set(h.router.contacts(of: "a")) == Set(accepted + offered))
            #expect(h.router.invariantViolations(at: h.now).isEmpty)
        }
        for _ in 0..<4 { offered.append(try h.push(.chat)) }
        #expect(Set(h.router.contacts(of: "a")) == Set(accepted + offered))
        #expect(h.router.agent("a")?.load == 60)
        h.events.removeAll()
        try h.router.logout("a", at: h.now, events: &h.events)
        #expect(Set(h.router.contacts(of: "a")) == Set(accepted))
        #expect(offered.allSatisfy { h.isWaiting($0) })
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }
}

@Suite struct TransferTests {
    /// A transfer to a named agent waits for that agent, keeping its place.
    @Test func transferToAgentWaitsForThatAgent() throws {
        var h = try Harness()
        try h.login("a")
        try h.login("b")
        let c1 = try h.push()
        let c2 = try h.push()
        try h.accept(c1, "a")
        try h.accept(c2, "b")
        h.events.removeAll()
        try h.router.transfer(c1, from: "a", to: .agent("b"), at: h.now, events: &h.events)
        #expect(h.isWaiting(c1))
        #expect(!h.router.couldServe("a", c1, at: h.now))
        try h.complete(c2, "b")
        #expect(h.offeredTo(c1) == "b")
        #expect(h.lastOffer?.explanation.rule == .bestWaitingContact)
    }

    /// Contacts transferred to one agent on different channels all wait for that agent, first in line first.
    @Test func transfersToOneAgentOnSeveralChannelsAllWait() throws {
        var h = try Harness()
        try h.login("a")
        let social = try h.push(.social)
        try h.accept(social, "a")
        let email = try h.push(.email)
        try h.accept(email, "a")
        try h.login("b")
        let call = try h.push(.voice)
        try h.accept(call, "b")
        h.events.removeAll()
        try h.router.transfer(social, from: "a", to: .agent("b"), at: h.now, events: &h.events)
        try h.router.transfer(email, from: "a", to: .agent("b"), at: h.now, events: &h.events)
        try h.complete(call, "b")
        #expect(h.offeredTo(social) == "b")
        #expect(h.offeredTo(email) == "b")
        #expect(h.router.invariantViolations(at: h.now).isEmpty)
    }

    /// A transfer to skills goes to an agent with them, and not back to the transferring agent.
    @Test func transferToSkillsFindsSkilledAgent() throws {
        var h = try Harness()
        try h.login("a", ["general": 5, "refunds": 9])
        let c = try h.push()
        try h.accept(c, "a")
        try h.login("r", ["refunds": 4])
        h.events.removeAll()
        try h.router.transfer(c, from: "a", to: .skills([SkillRequirement("refunds")], language: nil), at: h.now, events: &h.events)
        #expect(h.offeredTo(c) == "r")
    }
}
