import Dispatch
import SwitchboardDomain
import Logging
import Synchronization
import SwitchboardClient
import SwitchboardServer
import SwitchboardTestSupport
import SwitchboardWire
import ZeroMQ

/// Every wait in these tests gives up after this long, so a broken behaviour fails the test instead
/// of hanging it. No test waits for it to pass.
let safetyWaitMilliseconds = 5_000

/// One log line as the server wrote it.
struct LogRecord: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
}

/// Keeps what the server logs, so tests can check that bad input is logged (and rate-limited)
/// without bootstrapping the global logging system.
final class LogStore: Sendable {
    private let records = Mutex<[LogRecord]>([])

    func append(_ record: LogRecord) { records.withLock { $0.append(record) } }
    var all: [LogRecord] { records.withLock { $0 } }

    func warnings(trouble: PeerTrouble) -> [LogRecord] {
        all.filter { $0.level == .warning && $0.metadata["sb.trouble"] == trouble.rawValue }
    }
}

struct RecordingLogHandler: LogHandler {
    let store: LogStore
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var flat: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            flat[key] = "\(value)"
        }
        store.append(LogRecord(level: event.level, message: "\(event.message)", metadata: flat))
    }
}

/// What the test service saw, shared between the reactor thread and the test.
struct ProbeState: Sendable {
    var heldCalls: [CallID] = []
    var openedStreams: [CallID] = []
    var closures: [StreamClosure] = []
    var sendResults: [Bool] = []
}

/// A condition the test can wait on: the reactor records, the test waits until a predicate holds.
final class Probe: Sendable {
    private let state = Mutex(ProbeState())
    private let changed = DispatchSemaphore(value: 0)

    func record(_ change: (inout ProbeState) -> Void) {
        state.withLock { change(&$0) }
        changed.signal()
    }

    var snapshot: ProbeState { state.withLock { $0 } }

    /// Waits until `predicate` holds; false if it did not within the safety wait.
    func waitUntil(_ predicate: (ProbeState) -> Bool) -> Bool {
        let deadline = DispatchTime.now() + .milliseconds(safetyWaitMilliseconds)
        while true {
            if predicate(snapshot) { return true }
            if changed.wait(timeout: deadline) == .timedOut { return predicate(snapshot) }
        }
    }
}

/// Commands a test sends to the test service through an inproc PUSH socket.
enum Poke: UInt8 {
    /// Answer every held unary call with an OK GetStatsResponse.
    case replyToHeld = 1
    /// Send one element on every open stream.
    case sendOnStreams = 2
    /// End every open stream with OK.
    case endStreams = 3
}

/// A service standing in for the engine (issue 4): it holds GetStats calls to answer later, and
/// serves StreamOffers as a stream it pushes elements onto when poked.
final class TestService: ReactorService {
    let probe: Probe
    let pokeEndpoint: String
    private var pokes: Socket?
    private var held: [CallID] = []
    private var streams: [CallID] = []

    init(probe: Probe, pokeEndpoint: String) {
        self.probe = probe
        self.pokeEndpoint = pokeEndpoint
    }

    func attach(to reactor: Reactor) throws(SwitchboardError) {
        reactor.handleUnary(.statsGetStats) { [unowned self] (_: Switchboard_V1_GetStatsRequest, call, _) -> UnaryOutcome<Switchboard_V1_GetStatsResponse> in
            held.append(call.id)
            probe.record { $0.heldCalls.append(call.id) }
            return .later
        }
        // Answers through `reactor.reply` from inside the handler, then returns `.later` (GetCase) or a
        // second answer (FindCustomer): the client must see exactly one answer either way.
        reactor.handleUnary(.casesGetCase) { (_: Switchboard_V1_GetCaseRequest, call, reactor) -> UnaryOutcome<Switchboard_V1_GetCaseResponse> in
            reactor.reply(call.id, Switchboard_V1_GetCaseResponse())
            return .later
        }
        reactor.handleUnary(.casesFindCustomer) { (_: Switchboard_V1_FindCustomerRequest, call, reactor) -> UnaryOutcome<Switchboard_V1_FindCustomerResponse> in
            reactor.reply(call.id, Switchboard_V1_FindCustomerResponse())
            return .fail(WireError(.internal, "a second answer that must not be sent"))
        }
        reactor.handleServerStream(.agentsStreamOffers, open: { [unowned self] (_: Switchboard_V1_StreamOffersRequest, call, reactor) in
            streams.append(call.id)
            let sent = reactor.send(Switchboard_V1_StreamOffersResponse(), on: call.id)
            probe.record { $0.openedStreams.append(call.id); $0.sendResults.append(sent) }
            return .open
        }, closed: { [unowned self] call, why, _ in
            streams.removeAll { $0 == call }
            probe.record { $0.closures.append(why) }
        })
        do throws(ZMQError) {
            let socket = try Socket(reactor.context, type: .pull)
            try socket.bind(pokeEndpoint)
            pokes = socket
            reactor.addSource(socket) { [unowned self] reactor in readPokes(reactor) }
        } catch {
            throw SwitchboardError(.internal, "test service could not bind its poke socket", cause: error.description)
        }
    }

    private func readPokes(_ reactor: Reactor) {
        guard let pokes else { return }
        while let frames = try? pokes.receiveMultipart(dontWait: true), let byte = frames.first?.first {
            switch Poke(rawValue: byte) {
            case .replyToHeld:
                for call in held { reactor.reply(call, Switchboard_V1_GetStatsResponse()) }
                held.removeAll()
            case .sendOnStreams:
                for call in streams {
                    let sent = reactor.send(Switchboard_V1_StreamOffersResponse(), on: call)
                    probe.record { $0.sendResults.append(sent) }
                }
            case .endStreams:
                for call in streams { reactor.endStream(call) }
                streams.removeAll()
            case nil:
                break
            }
            probe.record { _ in }
        }
    }

    var hasWorkInFlight: Bool { !held.isEmpty }
}

private let fixtureCounter = Atomic<Int>(0)

/// An in-process server on an ephemeral loopback port with its own data dir, recorded logs and
/// the test service. Call `shutdown()` at the end (in a `defer`).
final class TestServer {
    let server: Server
    let logs = LogStore()
    let probe = Probe()
    let directory = TemporaryDirectory(prefix: "switchboard-server-test")
    let pokeEndpoint: String
    private let poker: Socket

    init(configure: (inout Server.Configuration) -> Void = { _ in }) throws {
        var configuration = Server.Configuration.ephemeral(dataDirectory: directory.path + "/var")
        configuration.version = "test-1"
        // Replies written just before the socket closes are flushed by libzmq's I/O thread within
        // the linger; on a loaded test machine (tests run in parallel) 1 s was seen to run out.
        configuration.closeLingerMilliseconds = 10_000
        configure(&configuration)
        let store = logs
        let logger = Logger(label: "switchboard.test") { _ in RecordingLogHandler(store: store) }
        let probe = self.probe
        let pokeEndpoint = "inproc://test-pokes-\(fixtureCounter.add(1, ordering: .relaxed).newValue)"
        self.pokeEndpoint = pokeEndpoint
        server = try Server(configuration: configuration, logger: logger, services: {
            [TestService(probe: probe, pokeEndpoint: pokeEndpoint)]
        })
        try server.start()
        poker = try Socket(server.context, type: .push)
        try poker.set(.linger, 1_000)
        try poker.connect(pokeEndpoint)
    }

    var endpoint: String { server.endpoint ?? "" }

    func client(_ configure: (inout Client.Configuration) -> Void = { _ in }) throws -> Client {
        var configuration = Client.Configuration()
        configure(&configuration)
        return try Client(endpoint: endpoint, context: server.context, configuration: configuration)
    }

    func poke(_ poke: Poke) throws {
        try poker.send([poke.rawValue])
    }

    func shutdown() {
        server.stopNow()
        server.waitUntilStopped()
        directory.delete()
    }
}

/// A header frame, encoded; for building bad input around a valid start.
func headerBytes(_ header: FrameHeader) throws -> [UInt8] {
    try header.encoded()
}

extension Client {
    /// Health/Check through the typed call: the canary every bad-input test ends with.
    func health() throws -> Switchboard_V1_HealthCheckResponse {
        try call(.healthCheck, Switchboard_V1_HealthCheckRequest(), as: Switchboard_V1_HealthCheckResponse.self,
                 timeoutMilliseconds: UInt32(safetyWaitMilliseconds))
    }

    /// The next message for `id`, waiting at most the safety wait.
    func reply(to id: UInt64) throws -> Reply? {
        try receive(id: id, waitMilliseconds: safetyWaitMilliseconds)
    }
}
