// The `store` suite: what group commit buys on this disk.
//
// (a) `one-per-commit`: one 200-byte record, wait until durable, repeat: one transaction (one fsync
//     in `full` mode) per record, the cost a naive "commit each request" server pays.
// (b) `group-commit`: an open-loop producer offers records at a fixed rate (1,000 per ms, which
//     saturates the writer, then 100 and 10 per ms), one append per record, never waiting; the writer thread commits whatever
//     queued during the previous commit. Latency is measured from each record's scheduled offer
//     time to its durable completion, so a producer that falls behind is charged for it
//     (no coordinated omission).
// Both in `full` and `normal` durability. The headline is `group_vs_single` (records/s of (b) at
// 1,000 per ms over (a)).
//
// SWITCHBOARD_BENCH_DIR picks the parent directory of the data dir (default /tmp: measure the disk
// you will serve from); SWITCHBOARD_BENCH_SECONDS the length of each run (default 2).

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Histogram
import SwitchboardDomain
import SwitchboardStore

/// Computed, so the suite is built when `main` asks for it (a global `let` of a non-Sendable type
/// would not compile outside main.swift).
var storeSuite: BenchSuite {
    BenchSuite(name: "store") { runStoreSuite() }
}

func runStoreSuite() {
    let seconds = Double(benchEnvironment("SWITCHBOARD_BENCH_SECONDS") ?? "") ?? 2
    let parent = benchEnvironment("SWITCHBOARD_BENCH_DIR") ?? "/tmp"
    for durability in StoreConfiguration.Durability.allCases {
        guard let single = StoreBench.onePerCommit(durability: durability, seconds: seconds, parent: parent) else {
            continue
        }
        // 1,000 per ms saturates the writer: its records/s is the throughput ceiling. The lighter
        // rates show the latency a server sees below saturation (1,000 contacts/s is issue 4's load).
        var heavy: StoreBench.Result?
        for rate in [1_000, 100, 10] {
            let result = StoreBench.groupCommit(
                durability: durability, recordsPerMillisecond: rate, seconds: rate == 1_000 ? seconds / 2 : seconds,
                parent: parent)
            if rate == 1_000 { heavy = result }
        }
        guard let heavy else { continue }
        emit([
            "suite": .string("store"), "case": .string("group_vs_single"),
            "durability": .string(durability.rawValue),
            "records_per_s_ratio": .double(StoreBench.rounded(heavy.recordsPerSecond / single.recordsPerSecond)),
        ])
    }
}

enum StoreBench {
    static let payloadBytes = 200

    struct Result {
        var recordsPerSecond: Double
    }

    /// (a): append one record and wait for it, as long as `seconds` allow.
    static func onePerCommit(durability: StoreConfiguration.Durability, seconds: Double, parent: String) -> Result? {
        guard let directory = BenchDataDirectory(parent: parent) else { return nil }
        defer { directory.remove() }
        let log: CommandLog
        do {
            log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path, durability: durability))
        } catch {
            FileHandleOutput.error("store bench: cannot open a log in \(directory.path): \(error)")
            return nil
        }
        var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        let start = monotonicNanos()
        let end = start + UInt64(seconds * 1e9)
        var sequence: Int64 = 0
        var now = start
        while now < end {
            sequence += 1
            let before = now
            do {
                try log.appendAndWait([record(sequence)])
            } catch {
                FileHandleOutput.error("store bench: append failed: \(error)")
                log.close()
                return nil
            }
            now = monotonicNanos()
            _ = histogram.record((now - before) / 1_000)
        }
        let elapsed = Double(now - start) / 1e9
        let statistics = log.statistics
        log.close()
        let result = Result(recordsPerSecond: Double(statistics.recordsWritten) / elapsed)
        emit([
            "suite": .string("store"), "case": .string("one_per_commit"), "durability": .string(durability.rawValue),
            "payload_bytes": .int(payloadBytes), "records": .int(statistics.recordsWritten),
            "commits": .int(statistics.commits), "seconds": .double(rounded(elapsed)),
            "commits_per_s": .double(rounded(Double(statistics.commits) / elapsed)),
            "records_per_s": .double(rounded(result.recordsPerSecond)),
            "p50_us": .int(Int(histogram.valueAtPercentile(50))), "p99_us": .int(Int(histogram.valueAtPercentile(99))),
            "max_us": .int(Int(histogram.max)),
        ])
        return result
    }

    /// (b): an open-loop producer offering `recordsPerMillisecond`, one append per record.
    static func groupCommit(
        durability: StoreConfiguration.Durability, recordsPerMillisecond: Int, seconds: Double, parent: String
    ) -> Result? {
        guard let directory = BenchDataDirectory(parent: parent) else { return nil }
        defer { directory.remove() }
        let log: CommandLog
        do {
            log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path, durability: durability))
        } catch {
            FileHandleOutput.error("store bench: cannot open a log in \(directory.path): \(error)")
            return nil
        }
        let latencies = LatencyRecorder()
        let intervalNanos = 1_000_000 / Double(recordsPerMillisecond)
        let total = Int64(Double(recordsPerMillisecond) * 1_000 * seconds)
        let start = monotonicNanos()
        var offered: Int64 = 0
        while offered < total {
            // Offer everything whose scheduled time has come, then nap briefly: a fixed schedule,
            // whatever the writer is doing.
            let due = min(total, Int64(Double(monotonicNanos() - start) / intervalNanos) + 1)
            while offered < due {
                offered += 1
                let scheduled = start + UInt64(Double(offered - 1) * intervalNanos)
                log.append([record(offered)]) { result in
                    latencies.record(scheduled: scheduled, succeeded: (try? result.get()) != nil)
                }
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 50_000)
            nanosleep(&pause, nil)
        }
        log.close()  // drains: every completion has run when it returns
        let statistics = log.statistics
        let (histogram, failures, lastDurable) = latencies.snapshot()
        let elapsed = Double(lastDurable - start) / 1e9
        let result = Result(recordsPerSecond: Double(statistics.recordsWritten) / elapsed)
        emit([
            "suite": .string("store"), "case": .string("group_commit"), "durability": .string(durability.rawValue),
            "payload_bytes": .int(payloadBytes), "offered_per_s": .int(recordsPerMillisecond * 1_000),
            "records": .int(statistics.recordsWritten), "failed": .int(failures),
            "commits": .int(statistics.commits), "seconds": .double(rounded(elapsed)),
            "records_per_commit": .double(rounded(Double(statistics.recordsWritten) / Double(max(1, statistics.commits)))),
            "commits_per_s": .double(rounded(Double(statistics.commits) / elapsed)),
            "records_per_s": .double(rounded(result.recordsPerSecond)),
            // Saturated: the writer fell behind the offer, so the queue grew all run long and the
            // latencies measure the run's length more than the store.
            "saturated": .bool(result.recordsPerSecond < 0.95 * Double(recordsPerMillisecond * 1_000)),
            "p50_us": .int(Int(histogram.valueAtPercentile(50))), "p99_us": .int(Int(histogram.valueAtPercentile(99))),
            "max_us": .int(Int(histogram.max)),
        ])
        return result
    }

    /// Random-looking bytes, made once: the producer must not spend its time generating payloads.
    static let payloadTemplate: [UInt8] = {
        var generator = SplitMix64(seed: 42)
        return (0..<payloadBytes).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }()

    static func record(_ sequence: Int64) -> CommandRecord {
        var payload = payloadTemplate
        withUnsafeBytes(of: sequence.littleEndian) { bytes in
            for (index, byte) in bytes.enumerated() { payload[index] = byte }
        }
        return CommandRecord(
            sequence: sequence, at: Instant(microseconds: sequence), kind: "PushContact", payload: payload)
    }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

/// Collects append→durable latencies from the writer thread's completions.
private final class LatencyRecorder: @unchecked Sendable {
    // @unchecked: completions run one at a time on the store's writer thread; `snapshot` is read
    // after `CommandLog.close()` has joined that thread.
    private var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    private var failures = 0
    private var lastDurable: UInt64 = 0

    func record(scheduled: UInt64, succeeded: Bool) {
        let now = monotonicNanos()
        lastDurable = now
        guard succeeded else {
            failures += 1
            return
        }
        _ = histogram.record(now > scheduled ? (now - scheduled) / 1_000 : 0)
    }

    func snapshot() -> (Histogram<UInt64>, Int, UInt64) { (histogram, failures, lastDurable) }
}

/// A fresh data dir for one run, removed afterwards.
private struct BenchDataDirectory {
    let path: String

    init?(parent: String) {
        var template = Array((parent + "/switchboard-bench-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            FileHandleOutput.error("store bench: cannot create a data dir under \(parent)")
            return nil
        }
        path = String(cString: made)
    }

    func remove() {
        for name in ["switchboard.sqlite", "switchboard.sqlite-wal", "switchboard.sqlite-shm", "switchboard.lock"] {
            unlink(path + "/" + name)
        }
        rmdir(path)
    }
}

func benchEnvironment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

