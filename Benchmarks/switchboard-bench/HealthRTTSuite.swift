import Foundation
import Histogram
import Logging
import Synchronization
import SwitchboardClient
import SwitchboardServer
import SwitchboardWire
import ZeroMQ

/// `health-rtt`: the round trip of Health/Check through the whole stack: client DEALER → tcp
/// loopback → the server's ROUTER and reactor thread (header decode, dispatch, protobuf encode) →
/// back. One client, one request in flight (closed loop), so this is latency, not throughput.
/// Server and client live in one process on different threads; on a 2-core machine the OS
/// decides where they run (pin with `taskset` for steadier numbers).
var healthRTTSuite: BenchSuite { BenchSuite(name: "health-rtt", run: runHealthRTT) }

func runHealthRTT() {
    let roundTrips = 20_000
    let warmup = 2_000
    runRawEchoBaseline(roundTrips: roundTrips, warmup: warmup)
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
            "variant": .string("health-check"),
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

        // Pipelined: a window of requests in flight on the one socket, to show what the reactor
        // sustains when it is not waiting on round trips (open-loop load tests go further).
        let window = 64
        let pipelined = 100_000
        let pipelineStart = monotonicNanos()
        var inFlight = 0, sent = 0, answered = 0
        while answered < pipelined {
            while inFlight < window && sent < pipelined {
                try client.send(path, body: body)
                sent += 1
                inFlight += 1
            }
            guard let reply = try client.receive(waitMilliseconds: 5_000), reply.isOK else {
                FileHandleOutput.error("health-rtt: a pipelined Health call was not answered OK")
                exit(1)
            }
            answered += 1
            inFlight -= 1
        }
        let pipelineSeconds = Double(monotonicNanos() - pipelineStart) / 1e9
        emit([
            "suite": .string("health-rtt"),
            "variant": .string("health-check-pipelined"),
            "transport": .string("tcp-loopback"),
            "window": .int(window),
            "calls": .int(pipelined),
            "calls_per_s": .int(Int(Double(pipelined) / pipelineSeconds)),
        ])
    } catch {
        FileHandleOutput.error("health-rtt failed: \(error)")
        exit(1)
    }
}

/// The floor under health-rtt: the same two threads and sockets (DEALER → tcp loopback → ROUTER
/// on its own thread → back) echoing a 22-byte frame and an empty one, with no Switchboard code.
/// health-rtt minus this is what the header codec, dispatch and protobuf cost.
private func runRawEchoBaseline(roundTrips: Int, warmup: Int) {
    do {
        let context = try Context()
        // The echo socket is made on its own thread (sockets stay with one thread); the endpoint comes back.
        let bound = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let endpointBox = Mutex<String?>(nil)
        let echo = Thread {
            defer { finished.signal() }
            guard let router = try? Socket(context, type: .router),
                  (try? router.bind("tcp://127.0.0.1:*")) != nil,
                  let endpoint = try? router.lastEndpoint()
            else {
                bound.signal()
                return
            }
            endpointBox.withLock { $0 = endpoint }
            bound.signal()
            var frames = Frames(capacity: 3)
            // Ends when the context shuts down (the receive fails with ETERM).
            while (try? router.receive(into: &frames)) == true {
                let parts = (0..<frames.count).map { frames.bytes(at: $0) }
                _ = try? router.send(multipart: parts)
            }
        }
        echo.start()
        bound.wait()
        guard let endpoint = endpointBox.withLock({ $0 }) else {
            FileHandleOutput.error("health-rtt baseline: the echo socket could not bind")
            exit(1)
        }
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: .three)
        do {
            let dealer = try Socket(context, type: .dealer)
            try dealer.connect(endpoint)
            let header = [UInt8](repeating: 0x53, count: 22)
            var frames = Frames(capacity: 2)
            for i in 0..<(warmup + roundTrips) {
                let t0 = monotonicNanos()
                try dealer.send(multipart: [header, []])
                _ = try dealer.receive(into: &frames)
                let t1 = monotonicNanos()
                if i >= warmup { _ = histogram.record((t1 - t0) / 1_000) }
            }
        }
        context.shutdown()
        finished.wait()
        emit([
            "suite": .string("health-rtt"),
            "variant": .string("raw-zmq-echo"),
            "transport": .string("tcp-loopback"),
            "round_trips": .int(roundTrips),
            "p50_us": .int(Int(histogram.valueAtPercentile(50))),
            "p90_us": .int(Int(histogram.valueAtPercentile(90))),
            "p99_us": .int(Int(histogram.valueAtPercentile(99))),
            "p999_us": .int(Int(histogram.valueAtPercentile(99.9))),
            "max_us": .int(Int(histogram.max)),
            "mean_us": .double((histogram.mean * 10).rounded() / 10),
        ])
    } catch {
        FileHandleOutput.error("health-rtt baseline failed: \(error)")
        exit(1)
    }
}
