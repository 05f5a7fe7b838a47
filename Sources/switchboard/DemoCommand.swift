import ArgumentParser
import Dispatch
import Foundation
import Logging
import Synchronization
import SwitchboardClient
import SwitchboardDomain
import SwitchboardServer
import SwitchboardStore
import SwitchboardWire

/// `switchboard demo`: the whole service in one process for a newcomer: a server on a temporary data
/// dir, simulated channel adapters pushing contacts (returning customers, email replies, Spanish
/// speakers, a few urgent calls) and simulated agents taking them, with a live table of queues,
/// agents and service level.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a server with simulated adapters and agents for a minute and show a live table.",
        discussion: """
            Everything runs in this process on loopback ports, with a temporary data dir that is
            deleted at the end. The random draws are seeded; --seed repeats a run's traffic.
            """
    )

    @Option(help: "How long to run, in seconds.")
    var duration: Double = 60

    @Option(help: "Contacts pushed per second. The default keeps 8 agents busy (about 65% occupancy, some waiting); 3 or more shows an overloaded centre.")
    var rate: Double = 0.9

    @Option(help: "How many simulated agents.")
    var agents: Int = 8

    @Option(help: "Seed for the simulated traffic (printed; default from the clock).")
    var seed: UInt64?

    func validate() throws {
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be more than 0 and at most 3600 seconds") }
        guard rate > 0, rate <= 1000 else { throw ValidationError("--rate must be more than 0 and at most 1000 per second") }
        guard (1...200).contains(agents) else { throw ValidationError("--agents must be 1 to 200") }
    }

    func run() throws {
        let seed = self.seed ?? UInt64(DispatchTime.now().uptimeNanoseconds)
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }

        var configuration = Server.Configuration.ephemeral(dataDirectory: dataDir)
        configuration.version = SwitchboardVersion.string
        var live = LiveConfiguration.ephemeral()
        live.heartbeatInterval = .seconds(2)
        live.durability = .normal  // a throwaway data dir: spare the disk the fsyncs
        let logger = Logger(label: "switchboard.demo") { _ in SwiftLogNoOpLogHandler() }
        let server: Server
        do {
            (server, _) = try LiveService.server(configuration, live: live, logger: logger)
            try server.start()
        } catch {
            printError("switchboard demo: \(error.message)")
            throw ExitCode.failure
        }
        let endpoint = server.endpoint ?? ""
        print("switchboard demo: server on \(endpoint), data dir \(dataDir), seed \(seed)")

        let stop = StopFlag()
        let trap = SignalTrap { _ in stop.set() }
        defer { trap.cancel() }
        let finished = DispatchGroup()
        let pushed = Atomic<Int>(0)

        // Agents: half speak Spanish, a few are billing experts, handle times of a few seconds.
        for i in 0..<agents {
            let id = "agent-\(i + 1)"
            let languages = i % 2 == 0 ? ["en"] : ["es", "en"]
            let skills: [String: UInt32] = i % 3 == 0 ? ["billing": 8, "support": 5] : ["support": 6, "billing": 3]
            let agentSeed = seed &+ UInt64(i + 1)
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                var random = SplitMix64(seed: agentSeed)
                guard let session = try? AgentSession(
                    endpoint: endpoint, id: id, skills: skills, languages: languages, capacity: 100)
                else { return }
                try? session.run(until: { stop.isSet }) { _ in
                    .acceptAndComplete(after: 2 + 6 * random.nextUnitInterval(), resolved: random.nextUnitInterval() < 0.7)
                } askComplete: { _ in true }
                try? session.logout()
            }
            thread.start()
        }

        // Adapters: one thread pushing contacts at `rate` per second from 40 returning customers.
        finished.enter()
        let rate = self.rate
        let adapterThread = Thread {
            defer { finished.leave() }
            var random = SplitMix64(seed: seed)
            guard let client = try? Client(endpoint: endpoint) else { return }
            var messageIDs: [Int: String] = [:]
            var n = 0
            let start = DispatchTime.now().uptimeNanoseconds
            while !stop.isSet {
                let dueAt = start + UInt64(Double(n) / rate * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if dueAt > now { usleep(UInt32(min(200_000, (dueAt - now) / 1_000))); continue }  // pacing the simulated adapter
                n += 1
                let customer = Int(random.next() % 40)
                var request = Switchboard_V1_PushContactRequest()
                let draw = random.nextUnitInterval()
                request.channel = draw < 0.35 ? .email : draw < 0.7 ? .chat : draw < 0.9 ? .voice : .social
                var id = Switchboard_V1_CustomerIdentifier()
                if request.channel == .voice { id.phone = "+1415555\(String(format: "%04d", customer))" } else { id.email = "customer\(customer)@example.com" }
                request.identifiers = [id]
                if request.channel == .voice {
                    var email = Switchboard_V1_CustomerIdentifier()
                    email.email = "customer\(customer)@example.com"
                    request.identifiers.append(email)
                }
                request.language = customer % 3 == 0 ? "es" : "en"
                request.subject = ["Where is my order?", "Refund please", "Cannot log in", "Invoice question"][customer % 4]
                var skill = Switchboard_V1_SkillRequirement()
                skill.skill = customer % 4 == 1 || customer % 4 == 3 ? "billing" : "support"
                request.requiredSkills = [skill]
                request.priority = random.nextUnitInterval() < 0.1 ? 9 : 0
                if request.channel == .email {
                    var headers = Switchboard_V1_EmailHeaders()
                    headers.messageID = "<demo-\(n)@mail.example.com>"
                    if let previous = messageIDs[customer] { headers.references = [previous] }
                    messageIDs[customer] = headers.messageID
                    request.email = headers
                }
                request.idempotencyKey = "demo-\(seed)-\(n)"
                if (try? client.call(.ingestPushContact, request, as: Switchboard_V1_PushContactResponse.self)) != nil {
                    pushed.add(1, ordering: .relaxed)
                }
            }
        }
        adapterThread.start()

        // The live table, once a second.
        let monitor = try Client(endpoint: endpoint)
        let began = DispatchTime.now().uptimeNanoseconds
        while !stop.isSet {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            if elapsed >= duration { break }
            if let stats = try? monitor.call(.statsGetStats, Switchboard_V1_GetStatsRequest(), as: Switchboard_V1_GetStatsResponse.self) {
                print(Self.table(stats, elapsed: elapsed, pushed: pushed.load(ordering: .relaxed)))
            }
            usleep(1_000_000)  // the table's refresh period
        }
        stop.set()
        finished.wait()
        if let stats = try? monitor.call(.statsGetStats, Switchboard_V1_GetStatsRequest(), as: Switchboard_V1_GetStatsResponse.self) {
            print(Self.table(stats, elapsed: duration, pushed: pushed.load(ordering: .relaxed)))
        }
        server.stop()
        server.waitUntilStopped()
        print("switchboard demo: done (seed \(seed)); the data dir was removed")
    }

    static func table(_ s: Switchboard_V1_GetStatsResponse, elapsed: Double, pushed: Int) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        func seconds(_ micros: Int64) -> String { String(format: "%.1fs", Double(micros) / 1e6) }
        var lines: [String] = []
        lines.append(String(format: "── t=%.0fs  pushed %d ─────────────────────────────────────────────", elapsed, pushed))
        lines.append("channel   waiting offered in-prog longest   answered abandoned  SL     ASA    AHT")
        for (q, k) in zip(s.queues, s.channelKpis) {
            lines.append(
                pad(AgentSession.name(q.channel), 10) + pad("\(q.waiting)", 8) + pad("\(q.offered)", 8) + pad("\(q.inProgress)", 8)
                    + pad(seconds(q.longestWaitMicros), 10) + pad("\(k.answered)", 9) + pad("\(k.abandoned)", 11)
                    + pad(String(format: "%.0f%%", k.serviceLevel * 100), 7) + pad(seconds(k.averageSpeedOfAnswerMicros), 7)
                    + seconds(k.averageHandleMicros))
        }
        let a = s.agents
        lines.append("agents: \(a.available) available, \(a.busy) busy, \(a.wrapUp) wrap-up, \(a.away) away, \(a.offline) offline")
        let o = s.overall
        lines.append(String(format: "occupancy %.0f%%  repeat contacts %.0f%%  cross-channel %.0f%%  FCR %.0f%%",
                            o.occupancy * 100, o.repetitionRate * 100, o.crossChannelRate * 100, o.firstContactResolution * 100))
        return lines.joined(separator: "\n")
    }
}
