import SwitchboardCore
import SwitchboardDomain
import Testing

private let thresholds: [Channel: Span] = [.voice: .seconds(20), .chat: .seconds(60), .email: .hours(1), .social: .minutes(15)]
private func at(_ s: Double) -> Instant { .seconds(s) }

@Suite struct KPITrackerTests {
    /// Offered counts contacts that needed an agent; service level is answered-within-threshold over offered.
    @Test func serviceLevelIsAnsweredWithinThresholdOverOffered() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        for i in 1...4 { k.record(.arrived(contact: ContactID(UInt64(i)), case: CaseID(UInt64(i)), channel: .voice, at: at(0))) }
        k.record(.answered(contact: ContactID(1), channel: .voice, wait: .seconds(5), at: at(5)))
        k.record(.answered(contact: ContactID(2), channel: .voice, wait: .seconds(20), at: at(20)))
        k.record(.answered(contact: ContactID(3), channel: .voice, wait: .seconds(40), at: at(40)))
        k.record(.abandoned(contact: ContactID(4), channel: .voice, wait: .seconds(50), at: at(50)))
        let v = try #require(k.report(at: at(60)).channels[.voice])
        #expect(v.offered == 4 && v.answered == 3 && v.abandoned == 1)
        #expect(v.serviceLevel == 0.5)  // 5 s and 20 s (inclusive) of 4 offered
        #expect(v.abandonRate == 0.25)
        #expect(k.report(at: at(60)).channels[.chat]?.serviceLevel == nil)
    }

    /// ASA is total wait of answered contacts over answered.
    @Test func averageSpeedOfAnswer() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.answered(contact: ContactID(1), channel: .chat, wait: .seconds(10), at: at(10)))
        k.record(.answered(contact: ContactID(2), channel: .chat, wait: .seconds(30), at: at(30)))
        #expect(k.report(at: at(30)).channels[.chat]?.averageSpeedOfAnswer == .seconds(20))
    }

    /// AHT is handle plus wrap-up over completed contacts.
    @Test func averageHandleTimeIncludesWrapUp() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.completed(contact: ContactID(1), case: CaseID(1), channel: .voice, handleTime: .seconds(200), wrapUp: .seconds(30), capacityUnits: 100, resolved: true, csat: nil, at: at(230)))
        k.record(.completed(contact: ContactID(2), case: CaseID(2), channel: .voice, handleTime: .seconds(100), wrapUp: .seconds(10), capacityUnits: 100, resolved: true, csat: nil, at: at(240)))
        #expect(k.report(at: at(240)).channels[.voice]?.averageHandleTime == .seconds(170))
    }

    /// Occupancy is busy capacity-unit-seconds over staffed capacity-unit-seconds, per channel and in total.
    @Test func occupancyIsBusyOverStaffedCapacity() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.staffedCapacity(agent: "a", units: 100, at: at(0)))
        k.record(.staffedCapacity(agent: "b", units: 100, at: at(0)))
        k.record(.staffedCapacity(agent: "b", units: 0, at: at(50)))  // b goes away after 50 s
        // a: one voice call of 40 s + 10 s wrap-up (100 units), two chats of 50 s at 34 units.
        k.record(.completed(contact: ContactID(1), case: CaseID(1), channel: .voice, handleTime: .seconds(40), wrapUp: .seconds(10), capacityUnits: 100, resolved: true, csat: nil, at: at(50)))
        k.record(.completed(contact: ContactID(2), case: CaseID(2), channel: .chat, handleTime: .seconds(50), wrapUp: .zero, capacityUnits: 34, resolved: true, csat: nil, at: at(100)))
        let r = k.report(at: at(100))
        // staffed: 200 units × 50 s + 100 units × 50 s = 15,000 unit-s
        #expect(r.channels[.voice]?.staffedUnitSeconds == 15_000)
        #expect(r.channels[.voice]?.occupancy == 5_000.0 / 15_000)
        #expect(r.channels[.chat]?.occupancy == 1_700.0 / 15_000)
        #expect(r.occupancy == 6_700.0 / 15_000)
        #expect(r.staffedUnits == 100)
    }

    /// Wrap-up is busy time only as it elapses: a report in the middle of a wrap-up counts the part
    /// that has passed, so occupancy cannot exceed 100 % of staffed capacity.
    @Test func wrapUpCountsAsItElapses() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.staffedCapacity(agent: "a", units: 100, at: at(0)))
        // A 10 s call completed at 10 s with a 60 s wrap-up still to come.
        k.record(.completed(contact: ContactID(1), case: CaseID(1), channel: .voice, handleTime: .seconds(10), wrapUp: .seconds(60), capacityUnits: 100, resolved: true, csat: nil, at: at(10)))
        #expect(k.report(at: at(10)).occupancy == 1.0)
        #expect(k.report(at: at(40)).channels[.voice]?.busyUnitSeconds == 4_000)
        #expect(k.report(at: at(40)).occupancy == 1.0)
        // After the wrap-up ends, the agent idles: occupancy falls.
        k.record(.staffedCapacity(agent: "b", units: 0, at: at(100)))
        let later = k.report(at: at(140))
        #expect(later.channels[.voice]?.busyUnitSeconds == 7_000)
        #expect(later.occupancy == 7_000.0 / 14_000)
    }

    /// Repetition counts contacts per case within the repeat window; later contacts are not repeats.
    @Test func repetitionCountsContactsPerCaseWithinTheWindow() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.arrived(contact: ContactID(1), case: CaseID(1), channel: .email, at: at(0)))
        k.record(.arrived(contact: ContactID(2), case: CaseID(1), channel: .email, at: .seconds(86_400 * 2)))
        k.record(.arrived(contact: ContactID(3), case: CaseID(1), channel: .email, at: .seconds(86_400 * 8)))  // outside 7 days
        k.record(.arrived(contact: ContactID(4), case: CaseID(2), channel: .chat, at: .seconds(86_400 * 8)))
        let o = k.report(at: .seconds(86_400 * 9)).omnichannel
        #expect(o.cases == 2 && o.contacts == 4 && o.repeatContacts == 1)
        #expect(o.contactsPerCase == 1.5)  // (2 + 1) / 2
        #expect(o.repeatContactRate == 0.25)
    }

    /// Cross-channel rate is the share of cases that used two or more channels.
    @Test func crossChannelRate() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.arrived(contact: ContactID(1), case: CaseID(1), channel: .email, at: at(0)))
        k.record(.arrived(contact: ContactID(2), case: CaseID(1), channel: .voice, at: at(10)))
        k.record(.arrived(contact: ContactID(3), case: CaseID(1), channel: .chat, at: at(20)))  // still one cross-channel case
        k.record(.arrived(contact: ContactID(4), case: CaseID(2), channel: .chat, at: at(30)))
        k.record(.arrived(contact: ContactID(5), case: CaseID(2), channel: .chat, at: at(40)))
        #expect(k.report(at: at(50)).omnichannel.crossChannelRate == 0.5)
    }

    /// FCR counts cases resolved by their first contact, withdrawn when the customer returns within the window.
    @Test func firstContactResolutionIsWithdrawnByARepeat() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        for c in 1...3 { k.record(.arrived(contact: ContactID(UInt64(c)), case: CaseID(UInt64(c)), channel: .voice, at: at(0))) }
        k.record(.completed(contact: ContactID(1), case: CaseID(1), channel: .voice, handleTime: .seconds(60), wrapUp: .zero, capacityUnits: 100, resolved: true, csat: nil, at: at(60)))
        k.record(.completed(contact: ContactID(2), case: CaseID(2), channel: .voice, handleTime: .seconds(60), wrapUp: .zero, capacityUnits: 100, resolved: true, csat: nil, at: at(60)))
        k.record(.completed(contact: ContactID(3), case: CaseID(3), channel: .voice, handleTime: .seconds(60), wrapUp: .zero, capacityUnits: 100, resolved: false, csat: nil, at: at(60)))
        #expect(k.report(at: at(60)).omnichannel.firstContactResolution == 2.0 / 3)
        k.record(.arrived(contact: ContactID(4), case: CaseID(2), channel: .email, at: .seconds(86_400)))
        #expect(k.report(at: .seconds(86_400)).omnichannel.firstContactResolution == 1.0 / 3)
    }

    /// Containment is self-served over arrived; a self-served contact is not offered to agents.
    @Test func containmentIsSelfServedOverArrived() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        for c in 1...4 { k.record(.arrived(contact: ContactID(UInt64(c)), case: CaseID(UInt64(c)), channel: .voice, at: at(0))) }
        k.record(.selfServed(contact: ContactID(1), case: CaseID(1), channel: .voice, at: at(30)))
        let v = try #require(k.report(at: at(30)).channels[.voice])
        #expect(v.containment == 0.25 && v.offered == 3)
        #expect(k.report(at: at(30)).omnichannel.firstContactResolution == 1)  // self-service resolved the first contact
    }

    /// CSAT is the mean of the scores given, per channel; channels without scores report none.
    @Test func csatByChannel() throws {
        var k = KPITracker(serviceLevelThresholds: thresholds)
        k.record(.completed(contact: ContactID(1), case: CaseID(1), channel: .chat, handleTime: .seconds(1), wrapUp: .zero, capacityUnits: 34, resolved: true, csat: 5, at: at(1)))
        k.record(.completed(contact: ContactID(2), case: CaseID(2), channel: .chat, handleTime: .seconds(1), wrapUp: .zero, capacityUnits: 34, resolved: true, csat: 2, at: at(2)))
        k.record(.completed(contact: ContactID(3), case: CaseID(3), channel: .chat, handleTime: .seconds(1), wrapUp: .zero, capacityUnits: 34, resolved: true, csat: nil, at: at(3)))
        let r = k.report(at: at(3))
        #expect(r.channels[.chat]?.csat == 3.5 && r.channels[.chat]?.csatCount == 2)
        #expect(r.channels[.voice]?.csat == nil)
    }
}
