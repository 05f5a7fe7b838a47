import SwitchboardDomain

/// Settings for the KPIs. Every key has a default.
public struct KPIPolicy: Hashable, Sendable, Codable {
    /// The window for the omnichannel KPIs: a contact on a case within this span of the case's
    /// first contact is a repeat, and a first-contact resolution stands only if no contact follows
    /// within it. Default 7 days.
    public var repeatWindow: Span = .days(7)

    public init() {}

    enum CodingKeys: String, CodingKey {
        case repeatWindow = "repeat_window"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        repeatWindow = try c.decodeIfPresent(Span.self, forKey: .repeatWindow) ?? repeatWindow
        if repeatWindow <= .zero {
            throw DecodingError.dataCorruptedError(forKey: .repeatWindow, in: c, debugDescription: "must be a positive number of seconds")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(repeatWindow, forKey: .repeatWindow)
    }
}

/// One thing that happened, as the KPIs need to know it. The engine turns its events into these
/// (one per event, in time order); the tracker never sees agents' or customers' details.
public enum KPIObservation: Hashable, Sendable {
    /// A contact arrived and was threaded into `case`.
    case arrived(contact: ContactID, case: CaseID, channel: Channel, at: Instant)
    /// An agent accepted the contact after it waited `wait` in the queue. Send once per contact
    /// (the first acceptance; a transfer is not a second answer).
    case answered(contact: ContactID, channel: Channel, wait: Span, at: Instant)
    /// The customer left before an agent answered, after waiting `wait`.
    case abandoned(contact: ContactID, channel: Channel, wait: Span, at: Instant)
    /// The contact was resolved in self-service (IVR, bot) and left the queue without an agent.
    case selfServed(contact: ContactID, case: CaseID, channel: Channel, at: Instant)
    /// An agent completed the contact: `handleTime` from acceptance to completion, then `wrapUp`,
    /// during which the contact held `capacityUnits` of the agent's capacity.
    case completed(
        contact: ContactID, case: CaseID, channel: Channel, handleTime: Span, wrapUp: Span, capacityUnits: Int,
        resolved: Bool, csat: Double?, at: Instant)
    /// An agent's staffed capacity changed: its full capacity while logged in and not away
    /// (available, busy, wrap-up), 0 while away or logged out.
    case staffedCapacity(agent: AgentID, units: Int, at: Instant)

    public var at: Instant {
        switch self {
        case .arrived(_, _, _, let at), .answered(_, _, _, let at), .abandoned(_, _, _, let at), .selfServed(_, _, _, let at),
            .completed(_, _, _, _, _, _, _, _, let at), .staffedCapacity(_, _, let at):
            at
        }
    }
}

/// Contact-centre KPIs, per channel and across channels, computed incrementally from observations.
/// A value type: copy it to snapshot, feed it in time order, ask `report(at:)` at any time.
///
/// Per channel (formulas on `ChannelKPIs`): offered, answered, abandoned, self-served, service level,
/// abandon rate, ASA, AHT, occupancy, containment, CSAT. Omnichannel (on `OmnichannelKPIs`): contacts
/// per case and repeat-contact rate within the repeat window, cross-channel rate, first-contact
/// resolution. Memory: a few counters per channel, one small record per case and one integer per
/// staffed agent.
public struct KPITracker: Sendable {
    public let policy: KPIPolicy
    /// Service-level threshold per channel (`Channel.index`): answered within it counts as in service.
    let thresholds: [Span]

    var channels: [ChannelTally] = Array(repeating: ChannelTally(), count: Channel.allCases.count)
    var caseTallies: [CaseID: CaseTally] = [:]
    var staffed: [AgentID: Int] = [:]
    var staffedUnits = 0
    /// Capacity-unit-seconds staffed up to `clock` (microsecond units).
    var staffedUnitMicros: Double = 0
    var clock: Instant?
    var repeatContacts = 0
    var contactsWithinWindow = 0
    var crossChannelCases = 0
    var firstContactsEnded = 0
    var firstContactResolutions = 0
    /// Wrap-ups that started but had not ended at the last observation; bounded by the contacts in
    /// wrap-up at once. Counted as busy up to the report's `now`, and folded in when they end.
    var pendingWrapUps: [PendingWrapUp] = []
    var earliestWrapUpEnd: Instant?

    /// - Parameter serviceLevelThresholds: "answered within T" per channel (the routing policy's
    ///   service-level targets). Channels not given use 20 s.
    public init(policy: KPIPolicy = KPIPolicy(), serviceLevelThresholds: [Channel: Span]) {
        self.policy = policy
        self.thresholds = Channel.allCases.map { serviceLevelThresholds[$0] ?? .seconds(20) }
    }

    /// Feeds one observation. Observations should come in time order; one dated before the last
    /// seen does not move the staffing clock back.
    public mutating func record(_ observation: KPIObservation) {
        advanceClock(to: observation.at)
        switch observation {
        case .arrived(_, let caseID, let channel, let at):
            channels[channel.index].arrived += 1
            let bit = UInt8(1) << UInt8(channel.index)
            if var t = caseTallies[caseID] {
                t.contacts += 1
                if at - t.firstAt <= policy.repeatWindow {
                    repeatContacts += 1
                    contactsWithinWindow += 1
                    if t.firstContact == .resolvedFirstTime {
                        t.firstContact = .brokenByRepeat
                        firstContactResolutions -= 1
                    }
                }
                if t.channelMask & bit == 0 {
                    if t.channelMask.nonzeroBitCount == 1 { crossChannelCases += 1 }
                    t.channelMask |= bit
                }
                caseTallies[caseID] = t
            } else {
                caseTallies[caseID] = CaseTally(firstAt: at, channelMask: bit)
                contactsWithinWindow += 1
            }
        case .answered(_, let channel, let wait, _):
            channels[channel.index].answered += 1
            channels[channel.index].totalWait += wait.microseconds
            if wait <= thresholds[channel.index] { channels[channel.index].answeredInThreshold += 1 }
        case .abandoned(_, let channel, let wait, _):
            channels[channel.index].abandoned += 1
            channels[channel.index].abandonedWait += wait.microseconds
        case .selfServed(let contact, let caseID, let channel, _):
            channels[channel.index].selfServed += 1
            endFirstContact(contact, caseID, resolved: true)
        case .completed(let contact, let caseID, let channel, let handle, let wrapUp, let units, let resolved, let csat, _):
            var ch = channels[channel.index]
            ch.completed += 1
            ch.totalHandle += handle.microseconds &+ wrapUp.microseconds
            // Handle time is over by now; wrap-up starts now and is counted as it elapses, so
            // occupancy never runs ahead of the clock (it used to exceed 100 % in short windows).
            ch.busyUnitMicros += Double(max(units, 0)) * Double(max(handle.microseconds, 0))
            if wrapUp > .zero, units > 0 {
                let end = observation.at + wrapUp
                pendingWrapUps.append(PendingWrapUp(channel: channel.index, start: observation.at, end: end, units: units))
                earliestWrapUpEnd = min(earliestWrapUpEnd ?? end, end)
            }
            if let csat, csat.isFinite {
                ch.csatCount += 1
                ch.csatSum += csat
            }
            channels[channel.index] = ch
            endFirstContact(contact, caseID, resolved: resolved)
        case .staffedCapacity(let agent, let units, _):
            let units = max(units, 0)
            staffedUnits += units - (staffed[agent] ?? 0)
            if units == 0 { staffed.removeValue(forKey: agent) } else { staffed[agent] = units }
        }
    }

    /// Feeds several observations in order.
    public mutating func record<S: Sequence<KPIObservation>>(contentsOf observations: S) {
        for o in observations { record(o) }
    }

    private mutating func endFirstContact(_ contact: ContactID, _ caseID: CaseID, resolved: Bool) {
        guard var t = caseTallies[caseID], t.firstContact == .pending, t.contacts == 1 else { return }
        firstContactsEnded += 1
        if resolved {
            t.firstContact = .resolvedFirstTime
            firstContactResolutions += 1
        } else {
            t.firstContact = .notResolved
        }
        caseTallies[caseID] = t
    }

    private mutating func foldEndedWrapUps(upTo now: Instant) {
        guard let earliest = earliestWrapUpEnd, earliest <= now else { return }
        var next: Instant?
        pendingWrapUps.removeAll { w in
            if w.end <= now {
                channels[w.channel].busyUnitMicros += Double(w.units) * Double((w.end - w.start).microseconds)
                return true
            }
            next = min(next ?? w.end, w.end)
            return false
        }
        earliestWrapUpEnd = next
    }

    private mutating func advanceClock(to now: Instant) {
        foldEndedWrapUps(upTo: now)
        if let clock, now > clock {
            staffedUnitMicros += Double(staffedUnits) * Double((now - clock).microseconds)
        }
        if clock.map({ now > $0 }) ?? true { clock = now }
    }

    /// The KPIs as of `now` (staffed time is counted up to `now`).
    public func report(at now: Instant) -> KPIReport {
        var staffedMicros = staffedUnitMicros
        if let clock, now > clock { staffedMicros += Double(staffedUnits) * Double((now - clock).microseconds) }
        var busyInWrapUp = [Double](repeating: 0, count: Channel.allCases.count)
        for w in pendingWrapUps where now > w.start {
            busyInWrapUp[w.channel] += Double(w.units) * Double((min(now, w.end) - w.start).microseconds)
        }
        var perChannel: [Channel: ChannelKPIs] = [:]
        for channel in Channel.allCases {
            let t = channels[channel.index]
            perChannel[channel] = ChannelKPIs(
                channel: channel, serviceLevelThreshold: thresholds[channel.index], arrived: t.arrived, answered: t.answered,
                answeredWithinThreshold: t.answeredInThreshold, abandoned: t.abandoned, selfServed: t.selfServed,
                completed: t.completed, totalWait: Span(microseconds: t.totalWait), totalHandle: Span(microseconds: t.totalHandle),
                busyUnitSeconds: (t.busyUnitMicros + busyInWrapUp[channel.index]) / 1_000_000, staffedUnitSeconds: staffedMicros / 1_000_000, csatCount: t.csatCount,
                csatSum: t.csatSum)
        }
        let omni = OmnichannelKPIs(
            cases: caseTallies.count, contacts: channels.reduce(0) { $0 + $1.arrived }, contactsWithinWindow: contactsWithinWindow,
            repeatContacts: repeatContacts, crossChannelCases: crossChannelCases, firstContactsEnded: firstContactsEnded,
            firstContactResolutions: firstContactResolutions, repeatWindow: policy.repeatWindow)
        return KPIReport(at: now, channels: perChannel, omnichannel: omni, staffedUnits: staffedUnits)
    }
}

struct PendingWrapUp: Sendable {
    var channel: Int
    var start: Instant
    var end: Instant
    var units: Int
}

struct ChannelTally: Sendable {
    var arrived = 0
    var answered = 0
    var answeredInThreshold = 0
    var abandoned = 0
    var selfServed = 0
    var completed = 0
    var totalWait: Int64 = 0
    var abandonedWait: Int64 = 0
    var totalHandle: Int64 = 0
    var busyUnitMicros: Double = 0
    var csatCount = 0
    var csatSum: Double = 0
}

struct CaseTally: Sendable {
    enum FirstContact: UInt8, Sendable { case pending, resolvedFirstTime, notResolved, brokenByRepeat }
    var firstAt: Instant
    var contacts: Int32 = 1
    var channelMask: UInt8
    var firstContact: FirstContact = .pending

    init(firstAt: Instant, channelMask: UInt8) {
        self.firstAt = firstAt
        self.channelMask = channelMask
    }
}

/// The KPIs at one moment.
public struct KPIReport: Hashable, Sendable {
    public var at: Instant
    public var channels: [Channel: ChannelKPIs]
    public var omnichannel: OmnichannelKPIs
    /// Capacity units staffed right now.
    public var staffedUnits: Int

    /// Occupancy across all channels: the sum of the channels' occupancies (see `ChannelKPIs.occupancy`).
    public var occupancy: Double? {
        let staffed = channels.values.first?.staffedUnitSeconds ?? 0
        guard staffed > 0 else { return nil }
        return channels.values.reduce(0) { $0 + $1.busyUnitSeconds } / staffed
    }
}

/// One channel's KPIs. Ratios are nil when their denominator is zero (no data is not 0 %).
public struct ChannelKPIs: Hashable, Sendable {
    public var channel: Channel
    public var serviceLevelThreshold: Span
    /// Contacts that arrived on the channel (including those later self-served).
    public var arrived: Int
    public var answered: Int
    public var answeredWithinThreshold: Int
    public var abandoned: Int
    public var selfServed: Int
    public var completed: Int
    /// Sum of waits of answered contacts.
    public var totalWait: Span
    /// Sum of handle + wrap-up of completed contacts.
    public var totalHandle: Span
    /// Capacity-unit-seconds agents spent on this channel's contacts (handle + wrap-up, × units).
    public var busyUnitSeconds: Double
    /// Capacity-unit-seconds staffed across all agents (shared by every channel).
    public var staffedUnitSeconds: Double
    public var csatCount: Int
    public var csatSum: Double

    /// Offered = arrived − self-served: the contacts that needed an agent.
    public var offered: Int { arrived - selfServed }

    /// Service level = answered within the threshold ÷ offered. Contacts still waiting count in
    /// the denominator, so the figure never flatters a queue that has not been answered yet.
    public var serviceLevel: Double? { offered > 0 ? Double(answeredWithinThreshold) / Double(offered) : nil }

    /// Abandon rate = abandoned ÷ offered.
    public var abandonRate: Double? { offered > 0 ? Double(abandoned) / Double(offered) : nil }

    /// Average speed of answer = total wait of answered contacts ÷ answered.
    public var averageSpeedOfAnswer: Span? { answered > 0 ? Span(microseconds: totalWait.microseconds / Int64(answered)) : nil }

    /// Average handle time = (handle + wrap-up) summed over completed contacts ÷ completed.
    public var averageHandleTime: Span? { completed > 0 ? Span(microseconds: totalHandle.microseconds / Int64(completed)) : nil }

    /// Occupancy = capacity-unit-seconds busy on this channel ÷ capacity-unit-seconds staffed. With
    /// channel-agnostic agents this is the channel's share of the staffed capacity; the channels'
    /// occupancies add up to the total (`KPIReport.occupancy`). Handle time is counted when a contact
    /// completes (a long contact still in progress is not yet in it); wrap-up is counted as it
    /// elapses, so the figure never runs ahead of the clock.
    public var occupancy: Double? { staffedUnitSeconds > 0 ? busyUnitSeconds / staffedUnitSeconds : nil }

    /// Containment = self-served ÷ arrived: the share of the channel's contacts resolved without an agent.
    public var containment: Double? { arrived > 0 ? Double(selfServed) / Double(arrived) : nil }

    /// CSAT = mean of the scores given (on whatever scale the adapters use), nil when none was given.
    public var csat: Double? { csatCount > 0 ? csatSum / Double(csatCount) : nil }
}

/// KPIs across channels, per case.
public struct OmnichannelKPIs: Hashable, Sendable {
    /// Cases that received at least one contact.
    public var cases: Int
    /// All contacts that arrived.
    public var contacts: Int
    /// Contacts that arrived within the repeat window of their case's first contact (first included).
    public var contactsWithinWindow: Int
    /// Contacts after the first on a case, within the repeat window of its first contact.
    public var repeatContacts: Int
    /// Cases whose contacts used two or more channels.
    public var crossChannelCases: Int
    /// Cases whose first contact has ended (completed by an agent or self-served) while still the
    /// case's only contact.
    public var firstContactsEnded: Int
    /// Of those, cases resolved by the first contact with no further contact within the repeat window.
    public var firstContactResolutions: Int
    public var repeatWindow: Span

    /// Contact repetition = contacts within the repeat window of their case's first contact ÷ cases:
    /// 1.0 means nobody had to come back within the window.
    public var contactsPerCase: Double? { cases > 0 ? Double(contactsWithinWindow) / Double(cases) : nil }

    /// Repeat-contact rate = repeat contacts ÷ all contacts.
    public var repeatContactRate: Double? { contacts > 0 ? Double(repeatContacts) / Double(contacts) : nil }

    /// Cross-channel rate = cases that used two or more channels ÷ cases.
    public var crossChannelRate: Double? { cases > 0 ? Double(crossChannelCases) / Double(cases) : nil }

    /// First-contact resolution = cases resolved by their first contact with no repeat within the
    /// window ÷ cases whose first contact has ended. A resolution counted now is withdrawn if the
    /// customer comes back within the window.
    public var firstContactResolution: Double? {
        firstContactsEnded > 0 ? Double(firstContactResolutions) / Double(firstContactsEnded) : nil
    }
}
