import SwitchboardDomain

/// A surge planner's scenario: what arrives, when, on which channel, needing what; which agents
/// are on duty; how patient customers are. Loaded from YAML (`Scenario.load(yaml:)`, documented in
/// docs/simulation.md). Times inside are offsets from the start of the reported horizon; the
/// warm-up runs before it.
public struct Scenario: Sendable {
    public var name: String
    /// Master seed; replication r draws from `SplitMix64.stream(seed:index: r)`.
    public var seed: UInt64
    public var replications: Int
    /// Simulated before the horizon with the first interval's arrivals and staffing; not reported.
    /// Runs that start with idle agents and empty queues are biased otherwise.
    public var warmUp: Span
    /// Length of one reporting interval (15 minutes by default).
    public var interval: Span
    /// Number of reporting intervals in the horizon.
    public var intervalCount: Int
    /// Time of day at the start of the horizon, so shifts and surges can be written as clock times.
    public var startClock: Span
    /// After the last interval no contact arrives; agents on duty in the last interval stay until
    /// the queues are empty or this much time has passed. Contacts still waiting then are reported
    /// as unfinished.
    public var drainLimit: Span
    public var channels: [ChannelLoad]
    public var groups: [AgentGroup]
    public var repeats: RepeatContacts?
    /// Engine policy keys (YAML text, the same format as the service's policy file), applied on top
    /// of the defaults; nil keeps the defaults.
    public var policyYAML: String?

    public var horizon: Span { interval * Int64(intervalCount) }

    /// Start of interval `i` in run time (the warm-up comes first).
    public func intervalStart(_ i: Int) -> Instant {
        Instant(microseconds: warmUp.microseconds + interval.microseconds * Int64(i))
    }

    public func channel(_ c: Channel) -> ChannelLoad? { channels.first { $0.channel == c } }

    /// Agents on duty in every interval, per group (`staffing[group][interval]`).
    public var staffing: [[Int]] { groups.map(\.staffing) }
}

/// One channel's demand and service expectations.
public struct ChannelLoad: Sendable {
    public var channel: Channel
    /// Base arrival rate in contacts per hour, one value per interval.
    public var ratePerHour: [Double]
    /// Multipliers on the base rate (Black Friday opening wall, a TV ad spike).
    public var surges: [Surge]
    public var mix: ContactMix
    public var handleTime: DurationDistribution
    /// Nil: nobody abandons on this channel (email, usually).
    public var patience: DurationDistribution?
    public var target: ServiceTarget
    /// Highest acceptable abandonment fraction, for `staffing`; nil means no limit.
    public var maxAbandon: Double?

    /// Arrival rate per hour at `t` (offset from the horizon start; negative during the warm-up,
    /// which uses the first interval's rate and no surges).
    public func rate(at t: Span, interval: Span) -> Double {
        guard t.microseconds >= 0 else { return ratePerHour.first ?? 0 }
        let i = min(Int(t.microseconds / interval.microseconds), ratePerHour.count - 1)
        var r = ratePerHour[i]
        for s in surges { r *= s.multiplier(at: t) }
        return r
    }

    /// An upper bound of `rate` over [from, to), for thinning.
    public func maxRate(from: Span, to: Span, interval: Span) -> Double {
        guard from.microseconds >= 0 else { return ratePerHour.first ?? 0 }
        let i = min(Int(from.microseconds / interval.microseconds), ratePerHour.count - 1)
        var r = ratePerHour[i]
        for s in surges { r *= s.maxMultiplier(from: from, to: to) }
        return r
    }
}

/// A multiplier on a channel's arrival rate over part of the horizon. Several multiply together.
public struct Surge: Sendable, Hashable {
    public enum Shape: String, Sendable, Hashable {
        /// `multiplier` from `start` until `end` (or the end of the run).
        case step
        /// Rises linearly from 1 at `start` to `multiplier` at `peak`, then holds until `end`.
        case ramp
        /// `multiplier` from `start` for a short `end − start`, then back to 1 (the wall at opening).
        case spike
    }
    public var shape: Shape
    public var start: Span
    /// Where a ramp reaches its full multiplier (equal to `start` for steps and spikes).
    public var peak: Span
    public var end: Span
    public var multiplier: Double

    public func multiplier(at t: Span) -> Double {
        if t < start || t >= end { return 1 }
        if shape == .ramp && t < peak {
            let f = Double(t.microseconds - start.microseconds) / Double(max(1, peak.microseconds - start.microseconds))
            return 1 + (multiplier - 1) * f
        }
        return multiplier
    }

    /// The largest multiplier over [from, to): a ramp is monotone, so its ends bound it.
    public func maxMultiplier(from: Span, to: Span) -> Double {
        if to <= start || from >= end { return 1 }
        let last = Span(microseconds: min(to.microseconds, end.microseconds) - 1)
        var m = max(multiplier(at: max(from, start)), multiplier(at: last))
        if from < start || to > end { m = max(m, 1) }
        return m
    }
}

/// What a contact needs: drawn independently per contact from these weights.
public struct ContactMix: Sendable {
    /// Required skill (one per contact) with its minimum level; empty means any agent will do.
    public var skills: [(skill: String, minimumLevel: Int, weight: Double)]
    public var languages: [(String, Double)]
    public var priorities: [(Int, Double)]
    public var topics: [(String, Double)]

    public init(skills: [(skill: String, minimumLevel: Int, weight: Double)] = [], languages: [(String, Double)] = [],
                priorities: [(Int, Double)] = [], topics: [(String, Double)] = []) {
        self.skills = skills
        self.languages = languages
        self.priorities = priorities
        self.topics = topics
    }
}

/// A team of identical agents.
public struct AgentGroup: Sendable {
    public var name: String
    /// Skill name → level 1–10.
    public var skills: [(String, Int)]
    public var languages: [String]
    /// Capacity units (100 = one voice call at the default costs).
    public var capacity: Int
    /// On duty per interval (from `count` and `shifts`, or given per interval).
    public var staffing: [Int]

    public var agentPrefix: String { name }
    public func agentName(_ k: Int) -> String { "\(name)-\(k + 1)" }
}

/// Customers who come back: after an abandoned or answered contact, some try again later on
/// another channel. The engine threads them to the same case and may route to the same agent.
public struct RepeatContacts: Sendable {
    public var shareAfterAbandoned: Double
    public var shareAfterAnswered: Double
    public var delay: DurationDistribution
    /// The channel they come back on; by default any other channel the scenario has.
    public var channels: [(Channel, Double)]
}
