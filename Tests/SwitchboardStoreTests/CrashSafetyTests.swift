import Foundation
import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardStore

#if os(Linux)
/// A real crash: a child process appends as fast as the disk allows and prints each acknowledged
/// sequence; the parent kills it with SIGKILL mid-stream and checks the log it left behind.
///
/// The child is this same test binary, started with a filter that runs only
/// `crashChildAppendsUntilKilled` and an environment variable that names its data dir.
@Suite struct CrashSafetyTests {
    static let childDataDirVariable = "SWITCHBOARD_STORE_CRASH_CHILD_DIR"
    static var childDataDir: String? { ProcessInfo.processInfo.environment[childDataDirVariable] }

    /// Every record whose append was acknowledged before a SIGKILL is in the log after reopening,
    /// exactly once, byte for byte, with no gap before it.
    @Test func aKilledWriterLeavesEveryAcknowledgedRecord() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }

        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["--testing-library", "swift-testing", "--filter", "crashChildAppendsUntilKilled"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childDataDirVariable] = directory.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        var reader = AckReader(handle: output.fileHandleForReading)
        // Let the child get well into its stream before the kill: several hundred commits.
        while reader.acknowledged.count < 300, reader.readMore() {}
        let acknowledgedBeforeKill = reader.acknowledged.count
        kill(process.processIdentifier, SIGKILL)
        while reader.readMore() {}  // acks the child wrote before it died
        process.waitUntilExit()

        #expect(acknowledgedBeforeKill >= 300, "the child stopped before the kill; see its output")
        #expect(process.terminationReason == .uncaughtSignal)
        let lastAcknowledged = try #require(reader.acknowledged.last)
        #expect(reader.acknowledged == reader.acknowledged.sorted())

        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        let durable = log.durableSequence
        #expect(durable >= lastAcknowledged)
        // Replay checks there is no gap; every record must be the one the child appended.
        var count: Int64 = 0
        var mismatches = 0
        try log.forEach { record in
            count += 1
            if record != testRecord(record.sequence) { mismatches += 1 }
        }
        #expect(count == durable)
        #expect(mismatches == 0)
    }

    /// Not a check of its own: the child process of `aKilledWriterLeavesEveryAcknowledgedRecord`.
    /// Appends batches of 1 to 50 records, at most 64 appends in flight, and prints `ACK n` on
    /// stdout when the append ending at sequence n is durable. Bounded: stops after 60 s or
    /// 2 million records if nobody kills it.
    @Test(.enabled(if: childDataDir != nil, "runs only as the child process of the kill test"))
    func crashChildAppendsUntilKilled() throws {
        let directory = try #require(Self.childDataDir)
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory))
        let slots = DispatchSemaphore(value: 64)
        var generator = SplitMix64(seed: 20_261_123)
        var next: Int64 = 1
        let deadline = Date(timeIntervalSinceNow: 60)
        while next < 2_000_000 && Date() < deadline {
            let size = Int64(generator.next() % 50) + 1
            let last = next + size - 1
            slots.wait()
            log.append(testRecords(next...last)) { result in
                if case .success = result {
                    let line = "ACK \(last)\n"
                    _ = line.withCString { write(1, $0, strlen($0)) }
                }
                slots.signal()
            }
            next = last + 1
        }
        log.close()
    }
}

/// Reads `ACK n` lines from the child's stdout, ignoring the test runner's own output.
private struct AckReader {
    let handle: FileHandle
    var buffer = Data()
    var acknowledged: [Int64] = []

    /// Reads what is available (blocking until something is); false at end of file.
    mutating func readMore() -> Bool {
        let chunk = handle.availableData
        guard !chunk.isEmpty else { return false }
        buffer.append(chunk)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...newline)
            if line.hasPrefix("ACK "), let sequence = Int64(line.dropFirst(4)) {
                acknowledged.append(sequence)
            }
        }
        return true
    }
}
#endif
