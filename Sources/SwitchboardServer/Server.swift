import Dispatch
import Foundation
import Logging
import Synchronization
import SwitchboardDomain
import ZeroMQ

/// The Switchboard server: one reactor thread that owns the ROUTER socket (see `Reactor`), started
/// and stopped from any thread.
///
/// `Server` itself only manages the lifecycle: it creates the data directory, starts the reactor
/// thread and waits until it is listening, and asks it to stop through an inproc PAIR control
/// channel. Everything about requests happens on the reactor thread.
public final class Server: Sendable {
    public let configuration: Configuration
    private let logger: Logger
    private let makeServices: @Sendable () -> [any ReactorService]
    private let metrics = ServerMetrics()
    /// The server's ZeroMQ context: in-process clients and services' helper threads use it to reach
    /// inproc endpoints (inproc works only within one context).
    public let context: Context
    private let controlEndpoint: String
    private let monitorEndpoint: String
    private let lifecycle = Mutex<Lifecycle>(.idle)
    /// Signalled once when the reactor thread has finished (or failed to start).
    private let exited = DispatchSemaphore(value: 0)

    private enum Lifecycle {
        case idle
        /// `control` is the client end of the control channel, only used under the lock (so by one
        /// thread at a time); `stopRequested` turns a second `stop()` into `stopNow()`.
        case running(control: Socket, endpoint: String, stopRequested: Bool)
        case stopped
    }

    private static let instances = Atomic<Int>(0)

    /// - Parameters:
    ///   - services: made on the reactor thread when the server starts; they register handlers
    ///     for the methods they serve (every method not registered answers UNIMPLEMENTED).
    public init(
        configuration: Configuration,
        logger: Logger,
        services: @escaping @Sendable () -> [any ReactorService] = { [] }
    ) throws(SwitchboardError) {
        self.configuration = configuration
        self.logger = logger
        self.makeServices = services
        do throws(ZMQError) {
            context = try Context()
        } catch {
            throw SwitchboardError(.internal, "could not create a ZeroMQ context", cause: error.description)
        }
        let n = Self.instances.add(1, ordering: .relaxed).newValue
        controlEndpoint = "inproc://switchboard-control-\(getpid())-\(n)"
        monitorEndpoint = "inproc://switchboard-monitor-\(getpid())-\(n)"
    }

    /// Counters since start, readable from any thread.
    public var statistics: Statistics { metrics.snapshot }

    /// The endpoint the server listens on (the port resolved when the configuration said `*`), once started.
    public var endpoint: String? {
        lifecycle.withLock { state in
            if case .running(_, let endpoint, _) = state { return endpoint }
            return nil
        }
    }

    /// Creates the data directory, starts the reactor thread and returns once it listens.
    /// - Returns: the endpoint it listens on.
    /// - Throws: what an operator must fix: the address is taken, the data dir cannot be created.
    @discardableResult
    public func start() throws(SwitchboardError) -> String {
        let alreadyStarted = lifecycle.withLock { state -> Bool in
            if case .idle = state { return false }
            return true
        }
        guard !alreadyStarted else { throw SwitchboardError.failedPrecondition("the server was already started; make a new Server to start again") }

        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw SwitchboardError(
                .failedPrecondition,
                "cannot create the data directory \(configuration.dataDirectory); choose another --data-dir or fix its permissions",
                field: "data-dir",
                cause: "\(error)"
            )
        }

        let started = Mutex<Result<String, SwitchboardError>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let (configuration, logger, context, metrics, controlEndpoint, monitorEndpoint, makeServices, exited) =
            (self.configuration, self.logger, self.context, self.metrics, self.controlEndpoint, self.monitorEndpoint, self.makeServices, self.exited)
        let thread = Thread {
            defer { exited.signal() }
            let reactor: Reactor
            do throws(SwitchboardError) {
                reactor = try Reactor(configuration: configuration, logger: logger, context: context,
                                      metrics: metrics, controlEndpoint: controlEndpoint, monitorEndpoint: monitorEndpoint)
                try reactor.attach(makeServices())
            } catch {
                started.withLock { $0 = .failure(error) }
                ready.signal()
                return
            }
            started.withLock { $0 = .success(reactor.endpoint) }
            ready.signal()
            reactor.run()
        }
        thread.name = "switchboard-reactor"
        thread.stackSize = 8 << 20
        thread.start()
        ready.wait()

        let outcome = started.withLock { $0 } ?? .failure(SwitchboardError(.internal, "the reactor thread ended without reporting"))
        switch outcome {
        case .failure(let error):
            lifecycle.withLock { $0 = .stopped }
            throw error
        case .success(let endpoint):
            let context = self.context, controlEndpoint = self.controlEndpoint
            // The control socket is made under the lock, so it lives in the lock's region from birth.
            let connected: ZMQError? = lifecycle.withLock { state in
                do throws(ZMQError) {
                    let control = try Socket(context, type: .pair)
                    try control.set(.linger, 1_000)
                    try control.connect(controlEndpoint)
                    state = .running(control: control, endpoint: endpoint, stopRequested: false)
                    return nil
                } catch {
                    return error
                }
            }
            if let connected {
                // Cannot happen short of running out of file descriptors; the reactor is up but
                // unreachable, so say so rather than leave a server nobody can stop.
                throw SwitchboardError(.internal, "could not connect to the server's control channel", cause: connected.description)
            }
            return endpoint
        }
    }

    /// Asks the server to stop gracefully: stop accepting, finish in-flight work (at most the drain
    /// timeout), close. Returns at once; `waitUntilStopped()` waits. A second call stops at once,
    /// answering what is still in flight UNAVAILABLE.
    public func stop() {
        sendControl(.stop)
    }

    /// Stops without draining: in-flight calls are answered UNAVAILABLE.
    public func stopNow() {
        sendControl(.stopNow)
    }

    private func sendControl(_ command: ControlCommand) {
        lifecycle.withLock { state in
            guard case .running(let control, let endpoint, let stopRequested) = state else { return }
            let effective: ControlCommand = (command == .stop && stopRequested) ? .stopNow : command
            do throws(ZMQError) {
                try control.send([effective.rawValue], dontWait: true)
            } catch {
                logger.error("could not reach the reactor's control channel", metadata: ["sb.error": "\(error)"])
            }
            if command == .stop { state = .running(control: control, endpoint: endpoint, stopRequested: true) }
        }
    }

    /// A server dropped while running stops at once rather than leave its thread behind.
    deinit {
        let running = lifecycle.withLock { state -> Bool in
            if case .running = state { return true }
            return false
        }
        if running {
            sendControl(.stopNow)
            exited.wait()
        }
    }

    /// Blocks until the reactor thread has finished.
    public func waitUntilStopped() {
        exited.wait()
        exited.signal()  // let other waiters through too
        lifecycle.withLock { $0 = .stopped }
    }
}

/// Turns SIGINT and SIGTERM into a call on a queue, safely: the signals are ignored for their
/// default action and delivered through Dispatch signal sources, so no code runs in signal context.
public final class SignalTrap: @unchecked Sendable {  // Dispatch sources are thread-safe; `sources` never changes.
    private let sources: [any DispatchSourceSignal]

    /// - Parameter handler: called on a private queue with the signal number, once per delivery.
    public init(signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "switchboard.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    public func cancel() {
        for source in sources { source.cancel() }
    }
}
