import SwitchboardWire
import ZeroMQ

/// Why a client call did not produce a reply from the server. A reply with a non-OK status is not
/// an error at this level (`Client.Reply.status`); the typed `call(_:_:as:)` turns it into `.status`.
public enum ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No connection to the server could be made in time (nothing is listening, or it is unreachable).
    case unavailable(endpoint: String, waitedMilliseconds: Int)
    /// The queue of requests to the server stayed full for the whole wait: it is not reading.
    case queueFull(endpoint: String, queued: Int, waitedMilliseconds: Int)
    /// The request was sent but no reply came in time.
    case timedOut(method: String, waitedMilliseconds: Int)
    /// The server answered with a non-OK status.
    case status(WireError)
    /// The request could not be built (a JSON body that does not fit the method's request type).
    case badRequest(WireError)
    /// The server sent something that is not a v1 message (a bug on its side).
    case malformedReply(String)
    /// libzmq failed.
    case transport(ZMQError)

    /// The wire status that best describes the failure, as `switchboard call` prints it.
    public var wireError: WireError {
        switch self {
        case .unavailable(let endpoint, let ms):
            WireError(.unavailable, "no connection to \(endpoint) within \(ms) ms; is `switchboard serve` running there?")
        case .queueFull(let endpoint, let queued, let ms):
            WireError(.unavailable, "\(queued) requests to \(endpoint) still queued after \(ms) ms: the server is not reading; retry later or raise the client's high-water mark")
        case .timedOut(let method, let ms):
            WireError(.deadlineExceeded, "no reply to \(method) within \(ms) ms; retry with a longer --timeout")
        case .status(let error), .badRequest(let error):
            error
        case .malformedReply(let what):
            WireError(.internal, "the server sent a malformed reply: \(what)")
        case .transport(let error):
            WireError(.unavailable, "transport failure: \(error)")
        }
    }

    public var description: String { wireError.description }
}
