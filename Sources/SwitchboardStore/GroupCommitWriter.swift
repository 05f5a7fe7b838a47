import Foundation
import GRDB
import GRDBSQLite
import SwitchboardDomain

/// One `append` call waiting for its commit.
struct PendingAppend {
    enum Notify {
        /// Post an `AppendOutcome` for `takeOutcomes()` and call `wake`.
        case outcomeQueue
        /// Call this closure on the writer thread.
        case closure(@Sendable (Result<Void, SwitchboardError>) -> Void)
    }

    var ticket: AppendTicket
    var records: [CommandRecord]
    var notify: Notify

    var sequences: Range<Int64> {
        guard let first = records.first, let last = records.last else { return 0..<0 }
        return first.sequence..<(last.sequence + 1)
    }
}

/// The state the appending threads and the writer thread share, all of it guarded by `condition`.
final class WriterShared: @unchecked Sendable {
    // @unchecked: every var is read and written only while holding `condition`.

    enum State: Equatable {
        /// Taking appends.
        case running
        /// `close()` was called: no new appends; the writer commits what is queued, then stops.
        case draining
        /// The writer thread has returned.
        case stopped
    }

    let condition = NSCondition()
    let wake: (@Sendable () -> Void)?
    var state = State.running
    var pending: [PendingAppend] = []
    var outcomes: [AppendOutcome] = []
    var statistics: CommandLogStatistics
    var nextTicket: UInt64 = 1
    var databaseClosed = false

    init(durableSequence: Int64, wake: (@Sendable () -> Void)?) {
        self.wake = wake
        self.statistics = CommandLogStatistics(durableSequence: durableSequence)
    }
}

/// The loop of the writer thread: wait for appends, take all of them, write them in one
/// transaction, deliver the outcomes, repeat.
///
/// Group commit needs no timer: while one commit waits for its fsync, new appends pile up in
/// `pending`, and the next turn takes them all. Under light load each append gets its own commit
/// at once (no added latency); under heavy load a commit carries as many records as arrived during
/// the previous fsync (up to `maximumRecordsPerCommit`).
final class GroupCommitWriter: @unchecked Sendable {
    // @unchecked: after `init`, only the writer thread touches `nextExpected` and `lastFailure`.

    private let pool: DatabasePool
    /// Held so the data dir stays locked until this writer is gone, even when the `CommandLog`
    /// was released from a completion on the writer thread and could not wait for it.
    private let lock: DataDirectoryLock
    private let shared: WriterShared
    private let databasePath: String
    private let maximumRecordsPerCommit: Int
    /// The sequence the next stored record must have: one more than the last durable one.
    private var nextExpected: Int64
    /// Set when a commit or a sequence check failed and no commit has succeeded since: appends
    /// that continue past the log then fail as "follows records that failed to store".
    private var lastFailure: SwitchboardError?

    init(
        pool: DatabasePool, lock: DataDirectoryLock, shared: WriterShared, databasePath: String,
        maximumRecordsPerCommit: Int, durableSequence: Int64
    ) {
        self.pool = pool
        self.lock = lock
        self.shared = shared
        self.databasePath = databasePath
        self.maximumRecordsPerCommit = maximumRecordsPerCommit
        self.nextExpected = durableSequence + 1
    }

    func run() {
        let condition = shared.condition
        while true {
            condition.lock()
            while shared.pending.isEmpty && shared.state == .running {
                condition.wait()
            }
            if shared.pending.isEmpty {
                shared.state = .stopped
                condition.broadcast()
                condition.unlock()
                return
            }
            let taken = shared.pending
            shared.pending.removeAll(keepingCapacity: true)
            condition.unlock()

            var start = taken.startIndex
            while start < taken.endIndex {
                // One commit takes appends until the record cap; an append is never split.
                var end = start
                var records = 0
                while end < taken.endIndex && (end == start || records + taken[end].records.count <= maximumRecordsPerCommit) {
                    records += taken[end].records.count
                    end += 1
                }
                commit(taken[start..<end])
                start = end
            }
        }
    }

    /// Checks sequences, writes the appends that continue the log in one transaction, and delivers
    /// every outcome.
    private func commit(_ batch: ArraySlice<PendingAppend>) {
        var results = [Result<Void, SwitchboardError>?](repeating: nil, count: batch.count)
        var accepted: [Int] = []
        var cursor = nextExpected
        var rejected = 0
        for (offset, append) in batch.enumerated() {
            if let error = checkSequences(append.records, from: cursor) {
                results[offset] = .failure(error)
                rejected += 1
            } else {
                accepted.append(offset)
                cursor += Int64(append.records.count)
            }
        }

        var committed = false
        var failed = false
        let acceptedRecords = Int(cursor - nextExpected)
        if acceptedRecords > 0 {
            do {
                try write(accepted.map { batch[batch.startIndex + $0].records })
                committed = true
                nextExpected = cursor
                lastFailure = nil
                for offset in accepted { results[offset] = .success(()) }
            } catch {
                failed = true
                let failure = StorageFailure.map(
                    error, databasePath: databasePath, operation: "commit \(acceptedRecords) records")
                lastFailure = failure
                for offset in accepted { results[offset] = .failure(failure) }
            }
        } else {
            // Only empty appends (or none accepted): nothing to write.
            for offset in accepted { results[offset] = .success(()) }
        }

        var closures: [(@Sendable (Result<Void, SwitchboardError>) -> Void, Result<Void, SwitchboardError>)] = []
        var posted = false
        let condition = shared.condition
        condition.lock()
        if committed {
            shared.statistics.commits += 1
            shared.statistics.recordsWritten += acceptedRecords
            shared.statistics.durableSequence = nextExpected - 1
        }
        if failed { shared.statistics.failedCommits += 1 }
        shared.statistics.rejectedAppends += rejected
        for (offset, append) in batch.enumerated() {
            shared.statistics.unfinishedRecords -= append.records.count
            let result = results[offset] ?? .failure(SwitchboardError(.internal, "store writer lost an outcome"))
            switch append.notify {
            case .outcomeQueue:
                shared.outcomes.append(AppendOutcome(ticket: append.ticket, sequences: append.sequences, result: result))
                posted = true
            case .closure(let completion):
                closures.append((completion, result))
            }
        }
        condition.unlock()
        for (completion, result) in closures { completion(result) }
        if posted { shared.wake?() }
    }

    /// `nil` when `records` continue the log at `cursor`; otherwise why the append is refused.
    private func checkSequences(_ records: [CommandRecord], from cursor: Int64) -> SwitchboardError? {
        var expected = cursor
        for record in records {
            if record.sequence != expected {
                if let lastFailure {
                    return SwitchboardError(
                        .unavailable,
                        "not stored: these records follow records that failed to store (\(lastFailure.message)); "
                            + "rebuild the state from the log, which is durable through sequence \(cursor - 1), "
                            + "and append again from sequence \(cursor)",
                        cause: lastFailure.cause)
                }
                let error = SwitchboardError(
                    .internal,
                    "command log sequence out of order: expected \(expected), got \(record.sequence); a gap or "
                        + "a repeat means the engine and the log disagree, nothing in this append was stored")
                lastFailure = error
                return error
            }
            expected += 1
        }
        return nil
    }

    static let insertSQL = "INSERT INTO command (sequence, at, kind, payload) VALUES (?, ?, ?, ?)"

    /// One transaction for all of `appends`: one fsync in `.full` mode.
    private func write(_ appends: [[CommandRecord]]) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let statement = try db.cachedStatement(sql: Self.insertSQL).sqliteStatement
                defer { sqlite3_clear_bindings(statement) }
                for records in appends {
                    for record in records {
                        try Self.insert(record, statement: statement, connection: db.sqliteConnection)
                    }
                }
                return .commit
            }
        }
    }

    /// Binds and steps the insert through SQLite's C API: the one place the store calls it.
    /// GRDB's generic argument binding costs about as much per row as SQLite's insert itself, and
    /// the writer thread does nothing but this. The text and blob are bound without copying
    /// (`SQLITE_STATIC`), which is safe because the statement is stepped and reset while the
    /// buffers are pinned.
    private static func insert(
        _ record: CommandRecord, statement: SQLiteStatement, connection: SQLiteConnection?
    ) throws {
        guard record.payload.count <= Int(Int32.max) else {
            throw DatabaseError(resultCode: .SQLITE_TOOBIG, message: "payload of \(record.payload.count) bytes")
        }
        let (code, message): (CInt, String?) = record.kind.withCString { kind in
            record.payload.withUnsafeBytes { payload in
                sqlite3_reset(statement)
                var code = sqlite3_bind_int64(statement, 1, record.sequence)
                if code == SQLITE_OK { code = sqlite3_bind_int64(statement, 2, record.at.microseconds) }
                if code == SQLITE_OK { code = sqlite3_bind_text(statement, 3, kind, -1, nil) }
                if code == SQLITE_OK {
                    if let base = payload.baseAddress, !payload.isEmpty {
                        code = sqlite3_bind_blob(statement, 4, base, CInt(payload.count), nil)
                    } else {
                        code = sqlite3_bind_zeroblob(statement, 4, 0)
                    }
                }
                if code == SQLITE_OK { code = sqlite3_step(statement) }
                // Read the message before reset, which may replace it.
                let message = code == SQLITE_DONE ? nil : sqlite3_errmsg(connection).map { String(cString: $0) }
                sqlite3_reset(statement)
                return (code, message)
            }
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: insertSQL)
        }
    }
}
