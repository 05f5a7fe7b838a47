import ArgumentParser
import Logging
import SwitchboardConfig
import SwitchboardDomain
import SwitchboardServer
import SwitchboardStore

/// `switchboard serve`: runs the server until SIGINT or SIGTERM, then stops gracefully (stop
/// accepting, finish in-flight work, exit 0). A second signal stops at once.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the v1 protocol on a ZeroMQ ROUTER socket.",
        discussion: """
            Clients connect a DEALER socket and send [header][body] messages (docs/protocol.md).
            Try it: switchboard call /switchboard.v1.Health/Check '{}'
            SIGINT/SIGTERM stop gracefully (in-flight calls are finished, up to --drain-timeout);
            a second signal stops at once.
            """
    )

    @Option(help: "ZeroMQ endpoint to bind (tcp://HOST:PORT or ipc://PATH; port * picks a free one).")
    var listen: String = "tcp://127.0.0.1:5555"

    @Option(help: "Directory for durable state; created if missing.")
    var dataDir: String = "./var"

    @Option(help: "ZeroMQ endpoint the PUB socket for events binds (topic frame + protobuf Event; docs/protocol.md).")
    var events: String = "tcp://127.0.0.1:5556"

    @Option(help: "Engine policy file (YAML; every key optional, see docs). Default: the built-in defaults.")
    var policy: String?

    @Option(help: "Seconds between agent heartbeats; agents missing 3 in a row go offline.")
    var heartbeatInterval: Double = 10

    @Option(help: "What an acknowledgement promises: full (fsync per commit) or normal (survives a process crash only).")
    var durability: String = "full"

    @Option(help: "Lowest log level written to stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Largest frame a peer may send, in bytes; bigger frames disconnect the peer.")
    var maxMessageSize: Int = Server.Configuration().maxMessageSize

    @Option(help: "On SIGTERM, how long to wait for in-flight calls before closing, in milliseconds.")
    var drainTimeout: Int64 = Server.Configuration().drainTimeoutMilliseconds

    func validate() throws {
        guard maxMessageSize >= 1024 else {
            throw ValidationError("--max-message-size must be at least 1024 bytes (a header alone can be 1046)")
        }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must be 0 or more milliseconds") }
        guard heartbeatInterval > 0, heartbeatInterval <= 3600 else { throw ValidationError("--heartbeat-interval must be more than 0 and at most 3600 seconds") }
        guard StoreConfiguration.Durability(rawValue: durability) != nil else { throw ValidationError("--durability must be full or normal") }
    }

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "switchboard.server")

        var configuration = Server.Configuration()
        configuration.listen = listen
        configuration.dataDirectory = dataDir
        configuration.version = SwitchboardVersion.string
        configuration.maxMessageSize = maxMessageSize
        configuration.drainTimeoutMilliseconds = drainTimeout

        var live = LiveConfiguration()
        live.events = events
        live.heartbeatInterval = .seconds(heartbeatInterval)
        live.durability = StoreConfiguration.Durability(rawValue: durability) ?? .full

        let server: Server
        do {
            if let policy { live.policy = try PolicyLoader.policy(fromFile: policy) }
            (server, _) = try LiveService.server(configuration, live: live, logger: logger)
            try server.start()
        } catch {
            printError("switchboard serve: \(error.message)")
            throw ExitCode.failure
        }
        let trap = SignalTrap { signal in
            logger.notice("stop signal received", metadata: ["sb.signal": "\(signal)"])
            server.stop()
        }
        server.waitUntilStopped()
        trap.cancel()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
