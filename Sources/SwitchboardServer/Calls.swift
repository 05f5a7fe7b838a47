import SwiftProtobuf
import SwitchboardDomain
import SwitchboardWire

/// The routing id libzmq gave a connected peer (5 bytes unless the peer set `ZMQ_ROUTING_ID`).
/// Only meaningful while that connection lasts.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Hex, for logs (`sb.peer`). Routing ids are opaque bytes, so nothing personal leaks.
    public var description: String {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0x0F)])
        }
        return s
    }
}

/// One call, as much as is needed to answer it later: which peer, which of its request ids.
/// Handlers keep these to reply after a storage commit or an engine decision, or to push stream
/// messages to an agent.
public struct CallID: Hashable, Sendable, CustomStringConvertible {
    public let peer: PeerID
    public let requestID: UInt64

    public init(peer: PeerID, requestID: UInt64) {
        self.peer = peer
        self.requestID = requestID
    }

    public var description: String { "\(peer)#\(requestID)" }
}

/// What a handler learns about the call besides its request body.
public struct CallInfo: Sendable {
    public let id: CallID
    public let method: WireMethod
    /// The timeout the client sent, in milliseconds (0 = none).
    public let timeoutMilliseconds: UInt32
    /// When the work must be done, on the monotonic clock; nil without a timeout. The reactor answers
    /// DEADLINE_EXCEEDED itself when it passes before the handler has answered.
    public let deadline: Instant?
    /// When the reactor read the request.
    public let received: ReactorTime
}

/// How a unary handler answers.
public enum UnaryOutcome<Response: SwiftProtobuf.Message> {
    /// Answer OK with this body now.
    case reply(Response)
    /// Answer with this error now.
    case fail(WireError)
    /// The handler keeps `CallInfo.id` and answers later with `Reactor.reply` or `Reactor.fail`
    /// (after a storage commit, an engine decision). Until then the reactor tracks the call: it
    /// answers DEADLINE_EXCEEDED if the deadline passes first and UNAVAILABLE if the server stops
    /// first, and drops whatever the handler sends after that.
    case later
}

/// How a server-streaming handler answers the opening request.
public enum StreamOutcome {
    /// The stream is open: send elements with `Reactor.send(_:on:)`, end it with `Reactor.endStream`.
    case open
    /// Refuse the stream: a STREAM_END with this error and no elements.
    case fail(WireError)
}

/// Why the reactor closed a stream on the handler's behalf.
public enum StreamClosure: Sendable, Hashable {
    /// The client sent CANCEL (answered with STREAM_END CANCELLED).
    case cancelledByClient
    /// A send to the peer failed: it disconnected.
    case peerGone
    /// The stream's deadline passed (answered with STREAM_END DEADLINE_EXCEEDED).
    case deadlineExceeded
    /// The server is shutting down (answered with STREAM_END UNAVAILABLE).
    case serverStopping
}

/// Work that lives on the reactor thread beside the built-in methods: the live engine and its
/// storage thread (issue 4) plug in here. Services are made by the factory given to `Server` *on the
/// reactor thread*, so they may own sockets and other non-`Sendable` state; the reactor calls them
/// only from that thread.
///
/// The shape of a service that must answer only after a commit:
///
/// ```swift
/// final class LiveService: ReactorService {
///     var engine: Engine                      // value-type state machine
///     var completions: Socket?                // inproc PULL: the storage thread's "batch N committed"
///     var awaitingCommit: [CallID: PushContactResponse] = [:]
///
///     func attach(to reactor: Reactor) throws(SwitchboardError) {
///         reactor.handleUnary(.ingestPushContact) { (request: Switchboard_V1_PushContactRequest, call, reactor) in
///             // map to the core, run the engine with reactor.time.wall, stage the writes,
///             // remember the reply under call.id, and answer once the batch is durable:
///             return .later
///         }
///         // make `completions`, start the storage thread, then:
///         // reactor.addSource(completions) { reactor in /* reactor.reply(call, response) for each */ }
///     }
///     func endOfTurn(_ reactor: Reactor) { /* hand this turn's writes to the storage thread as one batch */ }
///     func nextWakeup() -> Instant? { /* the engine's next timer (offer timeout, missed heartbeat) */ }
///     var hasWorkInFlight: Bool { !awaitingCommit.isEmpty }
/// }
/// ```
public protocol ReactorService: AnyObject {
    /// Registers method handlers and extra sockets (`Reactor.handleUnary`, `Reactor.addSource`).
    /// Called once, before the first request is read. A thrown error stops the server from starting.
    func attach(to reactor: Reactor) throws(SwitchboardError)

    /// The earliest monotonic instant this service needs `turn` to run (an offer timeout, a missed
    /// heartbeat), or nil. The reactor sleeps no longer than that.
    func nextWakeup() -> Instant?

    /// Called at the end of every reactor turn, after the turn's messages were handled: fire due
    /// timers, commit the turn's writes as one batch and send the replies that waited for it.
    func endOfTurn(_ reactor: Reactor)

    /// The server is stopping: accept nothing new, finish what is in flight.
    func beginDraining(_ reactor: Reactor)

    /// Whether work is still in flight; the server closes once no service has any (or the drain
    /// timeout passes).
    var hasWorkInFlight: Bool { get }

    /// The loop has ended: close the service's own sockets and threads.
    func close(_ reactor: Reactor)
}

extension ReactorService {
    public func nextWakeup() -> Instant? { nil }
    public func endOfTurn(_ reactor: Reactor) {}
    public func beginDraining(_ reactor: Reactor) {}
    public var hasWorkInFlight: Bool { false }
    public func close(_ reactor: Reactor) {}
}

/// A registered method, with its request type erased so the table can hold every method.
enum MethodHandler {
    /// Decodes the body and runs the handler; returns the encoded OK body, an error, or nil for "later".
    case unary((_ body: [UInt8], _ call: CallInfo, _ reactor: Reactor) -> UnaryResult)
    case serverStreaming(
        open: (_ body: [UInt8], _ call: CallInfo, _ reactor: Reactor) -> StreamOpenResult,
        closed: (_ call: CallID, _ why: StreamClosure, _ reactor: Reactor) -> Void
    )
}

enum UnaryResult {
    case reply([UInt8])
    case fail(WireError)
    case later
    /// The body did not decode: the peer's mistake, answered INVALID_ARGUMENT and logged as trouble.
    case badBody(WireError)
}

enum StreamOpenResult {
    case open
    case fail(WireError)
    case badBody(WireError)
}
