/// The channel a contact arrived on. Agents are channel-agnostic; channels differ in capacity cost,
/// offer timeout, wrap-up time and service-level target, all set by policy.
public enum Channel: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case voice, chat, email, social

    /// A dense index (0..<4) for per-channel arrays on hot paths.
    @inlinable public var index: Int {
        switch self {
        case .voice: 0
        case .chat: 1
        case .email: 2
        case .social: 3
        }
    }

    public var description: String { rawValue }
}

/// A contact (one email, call, chat or social message) as the engine numbers it. Assigned by the
/// engine in arrival order, so ids are dense and never reused.
public struct ContactID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "contact-\(rawValue)" }
}

/// A case: the customer's story, threaded across contacts and channels.
public struct CaseID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "case-\(rawValue)" }
}

/// A customer: one person behind any number of identifiers (email, phone, social handle, login).
public struct CustomerID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "customer-\(rawValue)" }
}

/// An agent, named by the agent desktop at login (e.g. an employee id). Stable across logins so
/// affinity and accepted work survive a reconnect.
public struct AgentID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    @inlinable public init(rawValue: String) { self.rawValue = rawValue }
    @inlinable public init(_ value: String) { self.rawValue = value }
    @inlinable public init(stringLiteral value: String) { self.rawValue = value }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}
