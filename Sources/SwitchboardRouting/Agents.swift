import SwitchboardDomain

/// A skill an agent has, or a contact needs, with a level from 1 (novice) to 10 (expert).
///
/// Skills are named by strings at the edge (`"billing"`, `"tier2"`) and interned to dense integers
/// inside the router, so routing never hashes a skill name on the hot path.
public struct SkillRequirement: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The skill's name, as the contact centre names it.
    public var skill: String
    /// The lowest level (1–10) an agent must have in `skill` to take the contact.
    public var minimumLevel: Int

    public init(_ skill: String, minimumLevel: Int = 1) {
        self.skill = skill
        self.minimumLevel = minimumLevel
    }

    public var description: String { "\(skill)>=\(minimumLevel)" }
}

/// Who an agent is for routing: skills with levels, languages spoken, and capacity in units.
///
/// Capacity is channel-agnostic: each channel costs units (policy: voice 100, chat 34, email 25,
/// social 25 by default), so an agent with 100 units takes one call, or two chats and an email.
public struct AgentProfile: Hashable, Sendable, Codable {
    public var id: AgentID
    /// Skill name → level 1–10.
    public var skills: [String: Int]
    /// Language tags the agent speaks (`"en"`, `"es"`), matched exactly against a contact's language.
    public var languages: [String]
    /// Capacity units; 100 by default.
    public var capacity: Int

    public init(id: AgentID, skills: [String: Int], languages: [String], capacity: Int = 100) {
        self.id = id
        self.skills = skills
        self.languages = languages
        self.capacity = capacity
    }
}

/// The state an agent is in, as supervisors and KPIs see it.
public enum AgentState: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Not logged in. Accepted work stays with the agent until it returns or is reassigned.
    case offline
    /// Logged in and taking offers while it has spare capacity.
    case available
    /// Logged in but not taking offers (break, or set away after missing offers).
    case away
    /// Logged in, finishing after-contact work: the completed contact's units stay taken until it ends.
    case wrapUp

    public var description: String { rawValue }
}

/// The statuses an agent may set itself. `wrapUp` is entered by completing work, never set directly.
public enum AgentStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case available, away, offline
}
