import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting

/// Per-channel counts the engine's routing stats do not split by channel (offers and assignments);
/// the server keeps them from its own tables.
public struct WireChannelLoad: Hashable, Sendable {
    public var offered = 0
    public var inProgress = 0
    public init() {}
}

extension Switchboard_V1_GetStatsResponse {
    /// - Parameters:
    ///   - busyAgents: agents AVAILABLE with no spare capacity (counted as busy, not available).
    ///   - load: offered and in-progress contacts per channel.
    ///   - longestOffered: the longest wait among offered contacts per channel (the engine's longest
    ///     wait counts waiting contacts only; the .proto counts both).
    public init(
        stats: EngineStats, at now: Instant, busyAgents: Int, load: [Channel: WireChannelLoad],
        longestOffered: [Channel: Span], serviceLevelTargets: PerChannel<Span>
    ) {
        self.init()
        asOfUnixMicros = now.microseconds
        for channel in Channel.allCases {
            var q = Switchboard_V1_ChannelQueue()
            q.channel = channel.wire
            q.waiting = UInt32(clamping: stats.routing.waiting[channel])
            q.offered = UInt32(clamping: load[channel]?.offered ?? 0)
            q.inProgress = UInt32(clamping: load[channel]?.inProgress ?? 0)
            q.longestWaitMicros = max(stats.routing.longestWait[channel], longestOffered[channel] ?? .zero).microseconds
            queues.append(q)
        }
        var counts = Switchboard_V1_AgentCounts()
        let available = stats.routing.agentsByState[.available] ?? 0
        counts.busy = UInt32(clamping: busyAgents)
        counts.available = UInt32(clamping: max(0, available - busyAgents))
        counts.away = UInt32(clamping: stats.routing.agentsByState[.away] ?? 0)
        counts.wrapUp = UInt32(clamping: stats.routing.agentsByState[.wrapUp] ?? 0)
        counts.offline = UInt32(clamping: stats.routing.agentsByState[.offline] ?? 0)
        agents = counts
        var overallKPIs = Switchboard_V1_OverallKpis()
        for channel in Channel.allCases {
            var k = Switchboard_V1_ChannelKpis()
            k.channel = channel.wire
            k.serviceLevelTargetMicros = serviceLevelTargets[channel].microseconds
            k.serviceLevel = 1
            if let c = stats.kpis?.channels[channel] {
                k.offered = UInt64(clamping: c.arrived)
                k.answered = UInt64(clamping: c.answered)
                k.abandoned = UInt64(clamping: c.abandoned)
                k.selfServed = UInt64(clamping: c.selfServed)
                k.serviceLevel = c.serviceLevel ?? 1
                k.averageSpeedOfAnswerMicros = c.averageSpeedOfAnswer?.microseconds ?? 0
                k.averageHandleMicros = c.averageHandleTime?.microseconds ?? 0
                k.csatAverage = c.csat ?? 0
                k.csatCount = UInt64(clamping: c.csatCount)
            }
            channelKpis.append(k)
        }
        if let report = stats.kpis {
            overallKPIs.occupancy = report.occupancy ?? 0
            overallKPIs.repetitionRate = report.omnichannel.repeatContactRate ?? 0
            overallKPIs.crossChannelRate = report.omnichannel.crossChannelRate ?? 0
            overallKPIs.firstContactResolution = report.omnichannel.firstContactResolution ?? 0
            var arrived = 0, selfServed = 0
            for c in report.channels.values {
                arrived += c.arrived
                selfServed += c.selfServed
            }
            overallKPIs.containment = arrived > 0 ? Double(selfServed) / Double(arrived) : 0
        }
        overall = overallKPIs
    }
}
