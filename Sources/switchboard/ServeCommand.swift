import ArgumentParser
import Logging
import SwitchboardDomain
import SwitchboardServer

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

        let server: Server
        do {
            server = try Server(configuration: configuration, logger: logger)
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
