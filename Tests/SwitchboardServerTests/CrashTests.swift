#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SwiftProtobuf
import SwitchboardClient
import SwitchboardTestSupport
import SwitchboardWire
import Testing

/// A `switchboard serve` child process, started from the built binary, whose stderr is kept so the
/// test can read the endpoint it bound.
final class ServeProcess {
    let process = Process()
    let logPath: String
    private(set) var endpoint = ""

    init(binary: String, dataDir: String, logPath: String) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "tcp://127.0.0.1:*", "--events", "tcp://127.0.0.1:*", "--data-dir", dataDir]
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        endpoint = try waitForEndpoint()
    }

    /// Reads the "serving" log line for the endpoint; gives up after the safety wait.
    private func waitForEndpoint() throws -> String {
        let deadline = Date().addingTimeInterval(Double(safetyWaitMilliseconds * 4) / 1000)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.contains("serving") {
                if let range = line.range(of: "sb.endpoint=") {
                    return String(line[range.upperBound...].prefix { !$0.isWhitespace })
                }
            }
            guard process.isRunning else { break }
            usleep(20_000)  // polling a log file: there is no condition to wait on across processes
        }
        throw ServeProcessError(log: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }
}

struct ServeProcessError: Error, CustomStringConvertible {
    var log: String
    var description: String { "switchboard serve did not report its endpoint; its log:\n\(log)" }
}

/// The server process killed with SIGKILL in the middle of traffic loses nothing it acknowledged
/// and stores nothing twice.
@Suite(.serialized) struct CrashTests {
    /// The `switchboard` binary built beside the tests (`swift build --build-tests` builds it).
    static var binary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/switchboard").path
    }

    /// Pushes are pipelined at a `switchboard serve` child; after part of them are acknowledged the
    /// child is killed with SIGKILL. A new child on the same data dir has every acknowledged contact
    /// (once), and retrying every push with its idempotency key creates nothing new.
    @Test func killNineLosesNothingAcknowledged() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the switchboard binary first: \(Self.binary)")
        let directory = TemporaryDirectory(prefix: "switchboard-crash-test")
        defer { directory.delete() }
        let dataDir = directory.path + "/var"
        let first = try ServeProcess(binary: Self.binary, dataDir: dataDir, logPath: directory.path + "/first.log")
        defer { first.terminate() }

        let total = 1_500
        func request(_ i: Int) -> Switchboard_V1_PushContactRequest {
            var r = Switchboard_V1_PushContactRequest()
            r.channel = .chat
            var id = Switchboard_V1_CustomerIdentifier()
            id.email = "crash\(i)@example.com"
            r.identifiers = [id]
            r.idempotencyKey = "crash-\(i)"
            return r
        }
        var client = try Client(endpoint: first.endpoint)
        var requestIndex: [UInt64: Int] = [:]
        for i in 0..<total {
            let id = try client.send(WireMethod.ingestPushContact.path, body: try request(i).serializedBytes())
            requestIndex[id] = i
        }
        var acknowledged: [Int: Switchboard_V1_PushContactResponse] = [:]
        var killed = false
        while let reply = try client.receive(waitMilliseconds: killed ? 300 : safetyWaitMilliseconds) {
            if reply.isOK, let i = requestIndex[reply.requestID] {
                acknowledged[i] = try Switchboard_V1_PushContactResponse(serializedBytes: reply.body)
            }
            if !killed && acknowledged.count >= total / 3 {
                first.kill9()
                killed = true
            }
        }
        #expect(killed)
        #expect(acknowledged.count >= total / 3)

        let second = try ServeProcess(binary: Self.binary, dataDir: dataDir, logPath: directory.path + "/second.log")
        defer { second.terminate() }
        client = try Client(endpoint: second.endpoint)
        var stored = 0
        for i in 0..<total {
            var find = Switchboard_V1_FindCustomerRequest()
            var id = Switchboard_V1_CustomerIdentifier()
            id.email = "crash\(i)@example.com"
            find.identifier = id
            let reply = try client.call(WireMethod.casesFindCustomer.path, body: try find.serializedBytes(), timeoutMilliseconds: 5_000)
            if let ack = acknowledged[i] {
                #expect(reply.isOK, "acknowledged push \(i) is missing after the crash")
                let customer = try Switchboard_V1_FindCustomerResponse(serializedBytes: reply.body)
                #expect(customer.cases.count == 1 && customer.cases.first?.contactCount == 1)
                #expect(customer.cases.first?.caseID == ack.caseID)
            }
            if reply.isOK {
                stored += 1
                let customer = try Switchboard_V1_FindCustomerResponse(serializedBytes: reply.body)
                #expect(customer.cases.first?.contactCount == 1, "push \(i) stored twice")
            }
            // A retry creates nothing new: the stored contact is answered as a replay.
            let retry = try client.call(WireMethod.ingestPushContact.path, body: try request(i).serializedBytes(), timeoutMilliseconds: 5_000)
            #expect(retry.isOK)
            let answer = try Switchboard_V1_PushContactResponse(serializedBytes: retry.body)
            if let ack = acknowledged[i] {
                #expect(answer.replayed && answer.contactID == ack.contactID)
            }
        }
        #expect(stored >= acknowledged.count)
        var stats = try Switchboard_V1_GetStatsResponse(serializedBytes: try client.call(
            WireMethod.statsGetStats.path, body: [], timeoutMilliseconds: 5_000).body)
        #expect(stats.queues.map(\.waiting).reduce(0, +) == UInt32(total))
        stats = Switchboard_V1_GetStatsResponse()
    }
}
