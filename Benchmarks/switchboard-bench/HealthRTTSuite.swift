import Foundation
import Histogram
import Logging
import SwitchboardClient
import SwitchboardServer
import SwitchboardWire

/// `health-rtt`: the round trip of Health/Check through the whole stack: client DEALER → tcp
/// loopback → the server's ROUTER and reactor thread (header decode, dispatch, protobuf encode) →
/// back. One client, one request in flight (closed loop), so this is latency, not throughput.
/// Server and client live in one process on different threads; on a 2-core machine the OS
/// decides where they run (pin with `taskset` for steadier numbers).
var healthRTTSuite: BenchSuite { BenchSuite(name: "health-rtt", run: runHealthRTT) }

func runHealthRTT() {
    let roundTrips = 20_000
    let warmup = 2_000
    do {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = Server.Configuration.ephemeral(dataDirectory: directory)
        configuration.version = "bench"
        let server = try Server(configuration: configuration, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let endpoint = try server.start()
        defer {
            server.stopNow()
            server.waitUntilStopped()
        }
        let client = try Client(endpoint: endpoint, context: server.context)
        let body: [UInt8] = []
        let path = WireMethod.healthCheck.path

        for _ in 0..<warmup {
            _ = try client.call(path, body: body, timeoutMilliseconds: 5_000)
        }
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: .three)
        let start = monotonicNanos()
        for _ in 0..<roundTrips {
            let t0 = monotonicNanos()
            let reply = try client.call(path, body: body, timeoutMilliseconds: 5_000)
            let t1 = monotonicNanos()
            guard reply.isOK else {
                FileHandleOutput.error("health-rtt: Health answered \(reply.status.name): \(reply.message)")
                exit(1)
            }
            _ = histogram.record((t1 - t0) / 1_000)  // microseconds
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        emit([
            "suite": .string("health-rtt"),
            "transport": .string("tcp-loopback"),
            "round_trips": .int(roundTrips),
            "p50_us": .int(Int(histogram.valueAtPercentile(50))),
            "p90_us": .int(Int(histogram.valueAtPercentile(90))),
            "p99_us": .int(Int(histogram.valueAtPercentile(99))),
            "p999_us": .int(Int(histogram.valueAtPercentile(99.9))),
            "max_us": .int(Int(histogram.max)),
            "mean_us": .double((histogram.mean * 10).rounded() / 10),
            "calls_per_s": .int(Int(Double(roundTrips) / elapsed)),
        ])
    } catch {
        FileHandleOutput.error("health-rtt failed: \(error)")
        exit(1)
    }
}
