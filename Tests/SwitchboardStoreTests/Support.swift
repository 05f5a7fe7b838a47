import Foundation
import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardStore

/// A record whose contents follow from its sequence, so a test can check every byte after replay
/// without remembering what it wrote.
func testRecord(_ sequence: Int64, payloadBytes: Int = 200) -> CommandRecord {
    var generator = SplitMix64(seed: UInt64(bitPattern: sequence))
    var payload = [UInt8]()
    payload.reserveCapacity(payloadBytes)
    while payload.count < payloadBytes {
        var word = generator.next()
        for _ in 0..<8 where payload.count < payloadBytes {
            payload.append(UInt8(truncatingIfNeeded: word))
            word >>= 8
        }
    }
    return CommandRecord(
        sequence: sequence,
        at: Instant(microseconds: 1_700_000_000_000_000 + sequence * 1_000),
        kind: sequence % 3 == 0 ? "Timer" : "PushContact",
        payload: payload)
}

func testRecords(_ sequences: ClosedRange<Int64>, payloadBytes: Int = 200) -> [CommandRecord] {
    sequences.map { testRecord($0, payloadBytes: payloadBytes) }
}

/// Counts `wake` calls so a test can wait for outcomes without sleeping.
final class WakeCounter: @unchecked Sendable {
    // @unchecked: `count` is guarded by `condition`.
    private let condition = NSCondition()
    private var count = 0

    func wake() {
        condition.lock()
        count += 1
        condition.broadcast()
        condition.unlock()
    }

    var wakes: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Waits until `wake` has been called more than `seen` times; false if the failsafe expires.
    func waitForWake(after seen: Int, failsafe: TimeInterval = 60) -> Bool {
        let deadline = Date(timeIntervalSinceNow: failsafe)
        condition.lock()
        defer { condition.unlock() }
        while count == seen {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}

/// Drains `log` until `count` outcomes have arrived. The failsafe only turns a hang into a failure.
func collectOutcomes(_ log: CommandLog, wakes: WakeCounter, count: Int) -> [AppendOutcome] {
    var all: [AppendOutcome] = []
    while true {
        let seen = wakes.wakes
        all += log.takeOutcomes()
        if all.count >= count { return all }
        guard wakes.waitForWake(after: seen) else {
            Issue.record("gave up waiting for \(count) outcomes; got \(all.count)")
            return all
        }
    }
}

/// A directory that is really not writable, even for root: `chmod 555`, plus the immutable
/// attribute when running as root (root ignores permission bits).
func makeUnwritable(_ path: String) throws {
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: path)
    if geteuid() == 0 { try chattr("+i", path) }
}

func makeWritable(_ path: String) throws {
    if geteuid() == 0 { try chattr("-i", path) }
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
}

/// `chattr FLAG PATH...` (e2fsprogs); throws if it fails, e.g. on a filesystem without attributes.
func chattr(_ flag: String, _ paths: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
    process.arguments = [flag] + paths
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw SwitchboardError(.internal, "chattr \(flag) \(paths) exited with \(process.terminationStatus)")
    }
}

/// True when this process can make a file immutable, which is how the tests make a file that is
/// open for writing fail its next write (root, ext4-like filesystem, e2fsprogs installed).
let canMakeFilesImmutable: Bool = {
    guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr") else { return false }
    let directory = TemporaryDirectory(prefix: "switchboard-chattr-probe")
    defer { directory.delete() }
    let probe = directory.path + "/probe"
    guard FileManager.default.createFile(atPath: probe, contents: Data([1])) else { return false }
    do {
        try chattr("+i", probe)
        try chattr("-i", probe)
        return true
    } catch {
        return false
    }
}()
