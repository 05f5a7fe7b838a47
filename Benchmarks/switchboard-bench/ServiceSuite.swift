import Foundation
import Histogram
import Logging
import SwitchboardClient
import SwitchboardDomain
import SwitchboardServer
import SwitchboardWire

/// `service`: the live service end to end over tcp loopback, durable (group commit, fsync per
/// commit), in one process: an open-loop adapter pushing chats at a fixed rate, and 500 agents (on
/// one connection with 500 offer streams) that accept and complete every offer at once.
///
/// - `push_ack`: push sent → OK (durable) received.
/// - `push_offer`: push sent → the offer arriving on the agent's stream (also after durability).
/// Latencies are recorded with `recordCorrectedValue(_:expectedInterval:)` at the send interval, so
/// a stall of the sender or the server is charged to every push it delayed (coordinated omission).
/// Then `ingest`: pushes as fast as a window of 1,000 in flight allows, with the same agents.
///
/// Sizes from the environment: SB_BENCH_RATE (default 1000/s), SB_BENCH_SECONDS (10),
/// SB_BENCH_AGENTS (500), SB_BENCH_INGEST (20000).
var serviceSuite: BenchSuite { BenchSuite(name: "service", run: runServiceBench) }

private func env(_ name: String, _ fallback: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? fallback
}

func runServiceBench() {
    let rate = env("SB_BENCH_RATE", 1_000)
    let seconds = env("SB_BENCH_SECONDS", 10)
    let agentCount = env("SB_BENCH_AGENTS", 500)
    let ingestCount = env("SB_BENCH_INGEST", 20_000)
    do {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-service-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = Server.Configuration.ephemeral(dataDirectory: directory)
        configuration.version = "bench"
        var live = LiveConfiguration.ephemeral()
        live.heartbeatInterval = .seconds(600)
        let (server, _) = try LiveService.server(configuration, live: live, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let endpoint = try server.start()
        defer {
            server.stop()
            server.waitUntilStopped()
        }

        let agents = BenchAgents(endpoint: endpoint, count: agentCount)
        try agents.start()

        // Open loop: push i is due at start + i / rate, whatever happened to the ones before.
        let adapter = try Client(endpoint: endpoint)
        let total = rate * seconds
        let interval = UInt64(1_000_000_000 / rate)
        var ack = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var sentAt: [UInt64: UInt64] = [:]
        var maxLag: UInt64 = 0
        var failures = 0
        let start = monotonicNanos() + 10_000_000
        var next = 0
        var acked = 0
        while acked + failures < total {
            let now = monotonicNanos()
            if next < total, now >= start + UInt64(next) * interval {
                maxLag = max(maxLag, now - (start + UInt64(next) * interval))
                let id = try adapter.send(WireMethod.ingestPushContact.path, body: try pushBody(next, sentNanos: now))
                sentAt[id] = now
                next += 1
                continue
            }
            let wait = next < total ? Int((start + UInt64(next) * interval - min(now, start + UInt64(next) * interval)) / 1_000_000) : 5_000
            guard let reply = try adapter.receive(waitMilliseconds: wait) else {
                if next >= total { break }
                continue
            }
            guard let sent = sentAt.removeValue(forKey: reply.requestID) else { continue }
            if reply.isOK { acked += 1 } else { failures += 1 }
            _ = ack.recordCorrectedValue((monotonicNanos() - sent) / 1_000, expectedInterval: interval / 1_000)
        }
        let (offers, offerCount) = agents.waitForOffers(total, timeoutSeconds: 30)
        emit([
            "suite": .string("service"), "measure": .string("push_ack"), "rate_per_s": .int(rate), "contacts": .int(total),
            "agents": .int(agentCount), "durability": .string("full"), "failures": .int(failures),
            "p50_us": .int(Int(ack.valueAtPercentile(50))), "p90_us": .int(Int(ack.valueAtPercentile(90))),
            "p99_us": .int(Int(ack.valueAtPercentile(99))), "p999_us": .int(Int(ack.valueAtPercentile(99.9))),
            "max_us": .int(Int(ack.max)), "sender_max_lag_us": .int(Int(maxLag / 1_000)),
        ])
        emit([
            "suite": .string("service"), "measure": .string("push_offer"), "rate_per_s": .int(rate), "offers": .int(offerCount),
            "agents": .int(agentCount),
            "p50_us": .int(Int(offers.valueAtPercentile(50))), "p90_us": .int(Int(offers.valueAtPercentile(90))),
            "p99_us": .int(Int(offers.valueAtPercentile(99))), "p999_us": .int(Int(offers.valueAtPercentile(99.9))),
            "max_us": .int(Int(offers.max)),
        ])

        // Throughput: a window of pushes in flight, as fast as acknowledgements come back.
        let window = 1_000
        var inFlight = 0
        var sent = 0
        var done = 0
        let t0 = monotonicNanos()
        while done < ingestCount {
            while inFlight < window && sent < ingestCount {
                _ = try adapter.send(WireMethod.ingestPushContact.path, body: try pushBody(total + sent, sentNanos: monotonicNanos()))
                sent += 1
                inFlight += 1
            }
            guard try adapter.receive(waitMilliseconds: 10_000) != nil else { break }
            inFlight -= 1
            done += 1
        }
        let elapsed = Double(monotonicNanos() - t0) / 1e9
        emit([
            "suite": .string("service"), "measure": .string("ingest_throughput"), "contacts": .int(done),
            "window": .int(window), "agents": .int(agentCount), "durability": .string("full"),
            "contacts_per_s": .int(Int(Double(done) / elapsed)), "seconds": .double((elapsed * 100).rounded() / 100),
        ])
        agents.stop()
    } catch {
        FileHandleOutput.error("service bench failed: \(error)")
        exit(1)
    }
}

/// A chat from one of 10,000 customers, carrying its send time in metadata so the offer shows it.
private func pushBody(_ i: Int, sentNanos: UInt64) throws -> [UInt8] {
    var r = Switchboard_V1_PushContactRequest()
    r.channel = .chat
    var id = Switchboard_V1_CustomerIdentifier()
    id.email = "bench\(i % 10_000)@example.com"
    r.identifiers = [id]
    r.idempotencyKey = "bench-\(i)"
    r.metadata = ["sent_ns": String(sentNanos)]
    return try WireBody.encode(r)
}

/// 500 agents on one connection and one thread: each offer is timed, accepted and completed at once.
final class BenchAgents: @unchecked Sendable {  // the thread owns the client; `lock` guards the rest
    private let endpoint: String
    private let count: Int
    private let lock = NSCondition()
    private var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    private var offers = 0
    private var stopped = false
    private var ready = false
    private var failure: String?

    init(endpoint: String, count: Int) {
        self.endpoint = endpoint
        self.count = count
    }

    func start() throws {
        let thread = Thread { [self] in run() }
        thread.start()
        lock.lock()
        while !ready && failure == nil { lock.wait() }
        let failure = self.failure
        lock.unlock()
        if let failure { throw BenchFailure(message: failure) }
    }

    private func run() {
        do {
            let client = try Client(endpoint: endpoint)
            var streams: [UInt64: String] = [:]
            for i in 0..<count {
                var login = Switchboard_V1_LoginRequest()
                login.agentID = "agent-\(i)"
                login.languages = ["en"]
                let _: Switchboard_V1_LoginResponse = try client.call(.agentsLogin, login)
                var open = Switchboard_V1_StreamOffersRequest()
                open.agentID = login.agentID
                streams[try client.send(WireMethod.agentsStreamOffers.path, body: try WireBody.encode(open))] = login.agentID
            }
            lock.lock(); ready = true; lock.broadcast(); lock.unlock()
            while true {
                lock.lock()
                let stop = stopped
                lock.unlock()
                if stop { return }
                guard let reply = try client.receive(waitMilliseconds: 100) else { continue }
                guard reply.header.kind == .streamMessage, let agent = streams[reply.requestID] else { continue }
                let item = try WireBody.decode(Switchboard_V1_StreamOffersResponse.self, from: reply.body)
                guard case .offer(let offer)? = item.item else { continue }
                let now = monotonicNanos()
                if let sent = offer.contact.metadata["sent_ns"].flatMap(UInt64.init) {
                    lock.lock()
                    _ = histogram.recordCorrectedValue((now - min(now, sent)) / 1_000, expectedInterval: 1_000)
                    offers += 1
                    lock.broadcast()
                    lock.unlock()
                }
                var accept = Switchboard_V1_AcceptRequest()
                accept.agentID = agent
                accept.contactID = offer.contact.contactID
                _ = try client.send(WireMethod.agentsAccept.path, body: try WireBody.encode(accept))
                var complete = Switchboard_V1_CompleteRequest()
                complete.agentID = agent
                complete.contactID = offer.contact.contactID
                complete.wrapUpMicros = 0
                _ = try client.send(WireMethod.agentsComplete.path, body: try WireBody.encode(complete))
            }
        } catch {
            lock.lock(); failure = "\(error)"; lock.broadcast(); lock.unlock()
        }
    }

    /// The push→offer histogram once `expected` offers arrived (or the timeout passed).
    func waitForOffers(_ expected: Int, timeoutSeconds: Double) -> (histogram: Histogram<UInt64>, count: Int) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        lock.lock()
        defer { lock.unlock() }
        while offers < expected && lock.wait(until: deadline) {}
        return (histogram, offers)
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
    }
}

struct BenchFailure: Error { var message: String }
