import SwitchboardDomain

/// The status of a finished call, with gRPC's numbering (grpc `doc/statuscodes.md`), carried at
/// bytes 6–7 of RESPONSE and STREAM_END headers. docs/protocol.md says when the server sends each.
public enum StatusCode: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Success.
    case ok = 0
    /// The call was cancelled by the caller (a stream ended by CANCEL).
    case cancelled = 1
    /// An error the server could not classify (also how a status number we do not know reads).
    case unknown = 2
    /// The request is wrong (bad header field, a body that does not decode, a field breaking a
    /// rule). Do not retry unchanged.
    case invalidArgument = 3
    /// The request's deadline passed before the work was done.
    case deadlineExceeded = 4
    /// Something the request names does not exist.
    case notFound = 5
    /// What the request would create exists already.
    case alreadyExists = 6
    /// The caller may not do this.
    case permissionDenied = 7
    /// A limit was hit; retry later (with backoff).
    case resourceExhausted = 8
    /// The system is not in a state to do this (accepting an expired offer; an unsupported
    /// protocol version). Do not retry until the state changes.
    case failedPrecondition = 9
    /// The operation was aborted (a stream replaced by a newer one for the same agent).
    case aborted = 10
    /// A value is outside the range that is valid now.
    case outOfRange = 11
    /// The method does not exist, or this server does not back it yet.
    case unimplemented = 12
    /// A bug or an unexpected failure in the server.
    case `internal` = 13
    /// The service cannot do it now (storage failing, shutting down). Retry, with backoff.
    case unavailable = 14
    /// Unrecoverable data loss.
    case dataLoss = 15
    /// The caller is not authenticated.
    case unauthenticated = 16

    /// The gRPC name, as docs/protocol.md and `switchboard call` print it ("INVALID_ARGUMENT").
    public var name: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internal: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }

    public var description: String { name }

    /// Whether a client may retry the same request unchanged (with backoff), as gRPC advises.
    /// Retrying a PushContact is safe only with an idempotency key.
    public var isRetryable: Bool {
        switch self {
        case .unavailable, .resourceExhausted, .aborted, .deadlineExceeded: true
        default: false
        }
    }

    /// The one mapping from the core's error codes to wire status codes. Every error the engine,
    /// the store or the server throws reaches the wire through here.
    public init(_ code: SwitchboardError.Code) {
        switch code {
        case .invalidArgument: self = .invalidArgument
        case .notFound: self = .notFound
        case .alreadyExists: self = .alreadyExists
        case .failedPrecondition: self = .failedPrecondition
        case .resourceExhausted: self = .resourceExhausted
        case .permissionDenied: self = .permissionDenied
        case .unavailable: self = .unavailable
        case .deadlineExceeded: self = .deadlineExceeded
        case .unimplemented: self = .unimplemented
        case .internal: self = .internal
        }
    }
}

/// A non-OK outcome as it travels in a RESPONSE or STREAM_END header: the status and the message.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status; never `.ok`.
    public var status: StatusCode
    /// What went wrong and what to do, naming the field at fault when there is one. At most 1024
    /// UTF-8 bytes reach the wire (longer messages are cut).
    public var message: String

    public init(_ status: StatusCode, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A core error on its way to the wire: the status from the one mapping, and the message
    /// prefixed with the field at fault (`identifiers[0].email: ...`) when the error names one and
    /// the message does not already start with it. The cause is for logs and stays off the wire.
    public init(_ error: SwitchboardError) {
        self.status = StatusCode(error.code)
        if let field = error.field, !field.isEmpty, !error.message.hasPrefix(field) {
            self.message = "\(field): \(error.message)"
        } else {
            self.message = error.message
        }
    }

    /// The answer to a method this build does not serve yet (it is in the v1 contract).
    public static func notYetServed(_ method: WireMethod) -> WireError {
        WireError(.unimplemented, "\(method.path) is part of the v1 contract but this server does not serve it yet")
    }

    /// The answer to a method path that is not in the contract at all.
    public static func unknownMethod(_ path: String) -> WireError {
        let shown = path.isEmpty ? "(empty)" : "'\(path)'"
        return WireError(.unimplemented, "unknown method \(shown); methods look like /switchboard.v1.Health/Check (`switchboard call --list` prints them all)")
    }

    /// The answer to work whose deadline passed before it was done.
    public static func deadlineExceeded(timeoutMilliseconds: UInt32) -> WireError {
        WireError(.deadlineExceeded, "the request's deadline (\(timeoutMilliseconds) ms) passed before it was done; retry with a longer timeout")
    }

    public var description: String { "\(status.name): \(message)" }
}
