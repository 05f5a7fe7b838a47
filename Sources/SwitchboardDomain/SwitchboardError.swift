/// The one error type that crosses component boundaries. Each component throws it with a code that
/// says what kind of mistake it was and a message that tells the caller what to do about it; the
/// wire layer maps `code` to a gRPC status in exactly one place.
public struct SwitchboardError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The request itself is wrong (a field is missing or out of range). Not retryable.
        case invalidArgument
        /// Something the request names does not exist (an unknown contact, case or agent).
        case notFound
        /// The thing to create exists already.
        case alreadyExists
        /// The request is well formed but the system is not in a state to do it (accept an offer that expired).
        case failedPrecondition
        /// A limit was hit (queue full, too many agents). Retryable later.
        case resourceExhausted
        /// The caller may not do this.
        case permissionDenied
        /// The service cannot do it now (storage failing, shutting down). Retryable.
        case unavailable
        /// The deadline passed before the work was done.
        case deadlineExceeded
        /// The method exists in the contract but is not implemented by this server.
        case unimplemented
        /// Our own bug or an unexpected failure.
        case `internal`
    }

    public var code: Code
    /// What went wrong and what to do about it, in words a user can act on.
    public var message: String
    /// The request field at fault, in the wire's field naming (`identifiers[0].email`), when one is.
    public var field: String?
    /// A short description of the underlying cause (an errno, a SQLite message), for logs.
    public var cause: String?

    public init(_ code: Code, _ message: String, field: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.cause = cause
    }

    public static func invalidArgument(_ message: String, field: String? = nil) -> SwitchboardError {
        SwitchboardError(.invalidArgument, message, field: field)
    }
    public static func notFound(_ message: String, field: String? = nil) -> SwitchboardError {
        SwitchboardError(.notFound, message, field: field)
    }
    public static func failedPrecondition(_ message: String) -> SwitchboardError {
        SwitchboardError(.failedPrecondition, message)
    }

    public var description: String {
        var s = "\(code.rawValue): \(message)"
        if let field { s += " (field \(field))" }
        if let cause { s += " [cause: \(cause)]" }
        return s
    }
}
