/// The topic frame that goes before each `Event` on the PUB socket. SUB sockets filter by topic
/// prefix, so the topic leads with the kind of thing ("contact.", "case.", "agent.") and, for
/// contact events, ends with the channel: a voice adapter subscribes to "contact.assigned.voice"
/// and receives only the calls it must bridge. The list is in events.proto and docs/protocol.md.
extension Switchboard_V1_Event {
    /// The topic for this event, or nil when no kind is set (such an event is never published).
    public var topic: String? {
        guard let kind else { return nil }
        switch kind {
        case .contactQueued(let e): return "contact.queued." + Self.topicName(e.channel)
        case .contactOffered(let e): return "contact.offered." + Self.topicName(e.channel)
        case .contactRequeued(let e): return "contact.requeued." + Self.topicName(e.channel)
        case .contactAssigned(let e): return "contact.assigned." + Self.topicName(e.channel)
        case .contactAbandoned(let e): return "contact.abandoned." + Self.topicName(e.channel)
        case .contactCompleted(let e): return "contact.completed." + Self.topicName(e.channel)
        case .caseOpened: return "case.opened"
        case .caseThreaded: return "case.threaded"
        case .caseReopened: return "case.reopened"
        case .customersMerged: return "case.merged"
        case .agentStateChanged: return "agent.state"
        }
    }

    /// The channel's name in topics: the enum name without its prefix, lower case.
    public static func topicName(_ channel: Switchboard_V1_Channel) -> String {
        switch channel {
        case .voice: "voice"
        case .chat: "chat"
        case .email: "email"
        case .social: "social"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}
