import CZeroMQ

/// A libzmq context: the I/O threads and the registry of inproc endpoints.
///
/// libzmq documents contexts as thread-safe, so this class is `Sendable`; sockets made from it
/// are not. Every `Socket` holds a strong reference to its context, so the context is terminated
/// (in `deinit`) only after the last socket made from it has been closed, and `zmq_ctx_term`
/// therefore never waits on one of our own sockets.
public final class Context: @unchecked Sendable {  // libzmq contexts are thread-safe by contract.
    @usableFromInline let handle: UnsafeMutableRawPointer

    /// - Parameter ioThreads: libzmq I/O threads; one is plenty below a few hundred thousand msg/s.
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        handle = try checkedPointer("zmq_ctx_new") { zmq_ctx_new() }
        do {
            try checkedNonBlocking("zmq_ctx_set") { zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) }
            // Not "blocky": new sockets start with LINGER 0, so closing a socket or terminating
            // the context never hangs on a peer that is gone. Sockets that must flush on close
            // (a server draining replies on shutdown) set `.linger` themselves.
            try checkedNonBlocking("zmq_ctx_set") { zmq_ctx_set(handle, ZMQ_BLOCKY, 0) }
        } catch {
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// Makes every blocking call on every socket of this context fail with `ETERM`, from any
    /// thread. The owners then close their sockets; the context itself goes away in `deinit`.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
