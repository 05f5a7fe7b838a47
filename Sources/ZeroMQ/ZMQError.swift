import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed libzmq call: the operation, the `zmq_errno()` value read right after it, and libzmq's
/// own text for that value. "Would block" (`EAGAIN`) is never an error here: the calls that can
/// block return `false`/`nil` for it instead, so a reactor can tell backpressure from failure.
public struct ZMQError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errno value libzmq reported (`EHOSTUNREACH`, `ETERM`, `EADDRINUSE`, ...).
    public let errno: Int32
    /// The C function that failed, for logs (`zmq_bind`).
    public let operation: String

    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }

    /// libzmq's description of `errno` (covers its own codes such as `ETERM` and `EFSM`).
    public var message: String { String(cString: zmq_strerror(errno)) }

    /// A ROUTER with `ZMQ_ROUTER_MANDATORY` could not route to the peer: it has disconnected.
    public var isHostUnreachable: Bool { errno == EHOSTUNREACH }
    /// The context was terminated: the owning thread should close its sockets and stop.
    public var isContextTerminated: Bool { errno == ETERM }

    public var description: String { "\(operation) failed: \(message) (errno \(errno))" }
}

/// The one place a libzmq return code is checked. Every `zmq_*` call in this module goes through
/// here (or `checkedPointer`): `EINTR` (a signal arrived during a blocking call) is retried,
/// `EAGAIN` becomes `nil` ("would block"), and any other failure becomes a typed `ZMQError` with
/// `zmq_errno()` read immediately after the call, before anything else can overwrite it.
@inline(__always)
@usableFromInline
func checked(_ operation: StaticString, _ call: () -> Int32) throws(ZMQError) -> Int32? {
    while true {
        let rc = call()
        if rc >= 0 { return rc }
        let err = zmq_errno()
        if err == EINTR { continue }
        if err == EAGAIN { return nil }
        throw ZMQError(errno: err, operation: operation.description)
    }
}

/// `checked` for calls where "would block" cannot happen (bind, setsockopt, close): `EAGAIN`
/// there would be a libzmq surprise, so it is reported as an error rather than swallowed.
@inline(__always)
@usableFromInline
func checkedNonBlocking(_ operation: StaticString, _ call: () -> Int32) throws(ZMQError) {
    guard try checked(operation, call) != nil else {
        throw ZMQError(errno: EAGAIN, operation: operation.description)
    }
}

/// The pointer-returning calls (`zmq_ctx_new`, `zmq_socket`): `NULL` is the failure.
@inline(__always)
func checkedPointer(_ operation: StaticString, _ call: () -> UnsafeMutableRawPointer?) throws(ZMQError) -> UnsafeMutableRawPointer {
    while true {
        if let pointer = call() { return pointer }
        let err = zmq_errno()
        if err == EINTR { continue }
        throw ZMQError(errno: err, operation: operation.description)
    }
}

/// The libzmq this process runs against, e.g. (4, 3, 4).
public enum ZeroMQLibrary {
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// Whether libzmq was built with a capability (`"curve"`, `"ipc"`, `"draft"`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }
}
