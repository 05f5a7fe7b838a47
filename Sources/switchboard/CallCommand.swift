import ArgumentParser
import Foundation
import SwitchboardClient
import SwitchboardWire

/// `switchboard call`: grpcurl for Switchboard. Sends any v1 method with a JSON body (protobuf
/// JSON mapping) and prints the JSON reply; for a server stream, one JSON line per element.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a v1 method with a JSON body and print the JSON reply.",
        discussion: """
            Examples:
              switchboard call /switchboard.v1.Health/Check '{}'
              switchboard call Health/Check
              switchboard call --list
            On a non-OK status, prints the status name, code and message to stderr and exits with
            64 + the status code (as grpcurl does); 1 for local errors such as a bad JSON body.
            """
    )

    @Argument(help: "Method path, e.g. /switchboard.v1.Health/Check (the /switchboard.v1. prefix may be left out).")
    var method: String?

    @Argument(help: "Request body as JSON in the protobuf JSON mapping.")
    var json: String = "{}"

    @Option(help: "Server endpoint.")
    var server: String = "tcp://127.0.0.1:5555"

    @Option(help: "Deadline in milliseconds (default 5000 for unary calls, none for streams; 0 = none).")
    var timeout: UInt32?

    @Flag(help: "List the v1 methods with their request and response types.")
    var list = false

    func validate() throws {
        if !list && method == nil {
            throw ValidationError("give a METHOD (see `switchboard call --list`) or --list")
        }
    }

    func run() throws {
        if list {
            print(WireMethod.listing)
            return
        }
        guard let path = method, let wireMethod = Self.resolve(path) else {
            printError("switchboard call: unknown method '\(method ?? "")'; `switchboard call --list` prints the methods")
            throw ExitCode.failure
        }
        let body: [UInt8]
        do {
            body = try wireMethod.requestBody(fromJSON: json)
        } catch {
            printError("switchboard call: the JSON body is not a valid \(wireMethod.requestTypeName): \(error.message)")
            throw ExitCode.failure
        }

        do {
            var configuration = Client.Configuration()
            if let timeout, timeout > 0 {
                configuration.connectTimeoutMilliseconds = Int32(clamping: timeout)
            }
            let client = try Client(endpoint: server, configuration: configuration)
            switch wireMethod.shape {
            case .unary:
                let reply = try client.call(wireMethod.path, body: body, timeoutMilliseconds: timeout ?? 5_000)
                if let error = reply.error { try fail(error) }
                print(try wireMethod.responseJSON(fromBody: reply.body))
            case .serverStreaming:
                var decodeFailure: WireError?
                let end = try client.stream(wireMethod.path, body: body, timeoutMilliseconds: timeout ?? 0) { element in
                    do throws(WireError) {
                        // Unbuffered, so a pipe (`| jq`) sees each element as it arrives.
                        let line = try wireMethod.responseJSON(fromBody: element) + "\n"
                        FileHandle.standardOutput.write(Data(line.utf8))
                        return true
                    } catch {
                        decodeFailure = error
                        return false
                    }
                }
                if let decodeFailure { try fail(decodeFailure) }
                if let error = end.error { try fail(error) }
            }
        } catch let error as ClientError {
            try fail(error.wireError)
        } catch let error as WireError {
            try fail(error)
        }
    }

    /// Prints the status to stderr and exits 64 + its code.
    private func fail(_ error: WireError) throws -> Never {
        printError("\(error.status.name) (\(error.status.rawValue)): \(error.message)")
        throw ExitCode(64 + Int32(error.status.rawValue))
    }

    /// Accepts the full path, the path without its leading slash, or `Service/Method`.
    static func resolve(_ text: String) -> WireMethod? {
        for candidate in [text, "/" + text, "/switchboard.v1." + text] {
            if let method = WireMethod(path: candidate) { return method }
        }
        return nil
    }
}

/// Writes one line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
