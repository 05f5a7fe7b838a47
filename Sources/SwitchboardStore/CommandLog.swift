import Foundation
import GRDB
import SwitchboardDomain

/// Identifies one `append` call, so a reactor can match the outcome it later drains to the replies
/// that wait on it. Tickets increase with every append on one log.
public struct AppendTicket: Hashable, Comparable, Sendable {
    public let id: UInt64
    public static func < (lhs: AppendTicket, rhs: AppendTicket) -> Bool { lhs.id < rhs.id }
}

/// What became of one `append`: all of its records are durable, or none of them is.
public struct AppendOutcome: Sendable {
    public var ticket: AppendTicket
    /// The sequences the append carried (empty for an empty append).
    public var sequences: Range<Int64>
    public var result: Result<Void, SwitchboardError>
}

/// Counters for tests, benchmarks and metrics. Read with `CommandLog.statistics`.
public struct CommandLogStatistics: Sendable, Hashable {
    /// Transactions committed: with group commit, far fewer than appends under load.
    public var commits = 0
    /// Records made durable.
    public var recordsWritten = 0
    /// Transactions that failed (disk full, I/O error, ...): each failed every append in it.
    public var failedCommits = 0
    /// Appends refused without touching the disk because their sequences did not follow the log.
    public var rejectedAppends = 0
    /// Records appended whose outcome is not yet known. A reactor can stop taking new work while
    /// this is high (the disk is slower than the traffic).
    public var unfinishedRecords = 0
    /// The highest sequence known to be durable (0 for an empty log).
    public var durableSequence: Int64 = 0
}

/// The durable command log: SQLite (through GRDB) in the data dir, in WAL mode, written by one
/// group-commit writer thread.
///
/// The reactor applies an input to the engine, assigns it the next sequence, and calls `append`;
/// it does not wait. The writer thread takes everything appended since its last commit and writes
/// it in one transaction, so one fsync covers many records. When the commit returns, every append
/// in it gets its outcome, through the closure given to `append(_:completion:)` or, for the ticket
/// form, through `takeOutcomes()` after the `wake` callback fires (the server wires `wake` to a
/// ZeroMQ inproc socket so its poller learns of completions without blocking).
///
/// Replies that depend on a record must wait for its success outcome: that is what makes an
/// acknowledgement durable.
///
/// ## Failures
/// A failed commit fails every append in it with `.unavailable` (disk full, read-only or immutable
/// file, I/O error) and stores none of it. The log stays open. Records appended after the failure
/// that continue the failed sequences fail too ("follows records that failed to store"): the
/// engine that produced them has run ahead of the log. The caller recovers by rebuilding its engine
/// from the log (`forEach`) and appending again from `durableSequence + 1`; once the condition
/// clears, those appends commit normally.
///
/// ## Threads
/// `append`, `takeOutcomes`, `statistics` and `durableSequence` may be called from any thread.
/// Completion closures and `wake` run on the writer thread and must return quickly.
public final class CommandLog: @unchecked Sendable {
    // @unchecked: every mutable field lives in `shared`, guarded by its condition; the database
    // pool serialises its own access.

    /// The database file's name inside the data dir.
    public static let databaseFileName = "switchboard.sqlite"

    public let configuration: StoreConfiguration
    /// The full path of the database file.
    public let databasePath: String

    /// Internal so tests can hold the writer connection (to make batching deterministic) or
    /// inspect the file. Nothing else may write through it.
    let pool: DatabasePool
    private let shared: WriterShared
    private let lock: DataDirectoryLock
    private let writerThread: Thread

    /// Opens (creating if needed) the log in `configuration.dataDirectory` and starts its writer.
    ///
    /// - Parameter wake: called on the writer thread after a commit posted outcomes for
    ///   ticket-form appends, so the owner knows to call `takeOutcomes()`. Called once per commit,
    ///   not once per append.
    /// - Throws: `.unavailable` when the data dir cannot be created or written, is locked by another
    ///   process, or the disk fails; `.failedPrecondition` when the file is not a Switchboard
    ///   database or was written by a newer Switchboard.
    public init(
        configuration: StoreConfiguration,
        wake: (@Sendable () -> Void)? = nil
    ) throws(SwitchboardError) {
        guard configuration.maximumRecordsPerCommit > 0 else {
            throw SwitchboardError.invalidArgument(
                "maximumRecordsPerCommit must be at least 1, got \(configuration.maximumRecordsPerCommit)",
                field: "maximumRecordsPerCommit")
        }
        self.configuration = configuration
        let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
        let path = configuration.dataDirectory + "/" + Self.databaseFileName
        self.databasePath = path
        self.lock = lock

        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: Self.grdbConfiguration(configuration))
        } catch {
            lock.release()
            throw StorageFailure.map(error, databasePath: path, operation: "open the database")
        }
        let durable: Int64
        do {
            try Self.applyDurability(configuration.durability, to: pool, path: path)
            durable = try Self.prepareSchema(pool, path: path)
        } catch {
            try? pool.close()
            lock.release()
            throw error
        }
        self.pool = pool

        let shared = WriterShared(durableSequence: durable, wake: wake)
        self.shared = shared
        let writer = GroupCommitWriter(
            pool: pool, lock: lock, shared: shared, databasePath: path,
            maximumRecordsPerCommit: configuration.maximumRecordsPerCommit, durableSequence: durable)
        let thread = Thread { writer.run() }
        thread.name = "switchboard-store-writer"
        self.writerThread = thread
        thread.start()
    }

    deinit {
        close()
    }

    // MARK: Appending

    /// Queues `records` for the next commit and returns at once. The outcome arrives through
    /// `takeOutcomes()` (after `wake`). `records` must continue the log: the first one's sequence
    /// is one more than the last appended record's, and each next one adds one.
    @discardableResult
    public func append(_ records: [CommandRecord]) -> AppendTicket {
        enqueue(records, notify: .outcomeQueue)
    }

    /// Queues `records` for the next commit and returns at once; `completion` runs on the writer
    /// thread when the commit that holds them has returned (or on the calling thread, at once, if
    /// the log is closed).
    public func append(
        _ records: [CommandRecord],
        completion: @escaping @Sendable (Result<Void, SwitchboardError>) -> Void
    ) {
        enqueue(records, notify: .closure(completion))
    }

    /// Appends and blocks until the records are durable or have failed. For start-up, tools and
    /// tests; a reactor must use the non-blocking forms.
    public func appendAndWait(_ records: [CommandRecord]) throws(SwitchboardError) {
        let waiter = Waiter()
        enqueue(records, notify: .closure({ result in waiter.finish(result) }))
        try waiter.wait().get()
    }

    /// The outcomes of ticket-form appends finished since the last call, in append order.
    public func takeOutcomes() -> [AppendOutcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        let taken = shared.outcomes
        shared.outcomes.removeAll(keepingCapacity: true)
        return taken
    }

    /// The highest sequence known to be durable: after opening, the last record in the log.
    public var durableSequence: Int64 {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.statistics.durableSequence
    }

    public var statistics: CommandLogStatistics {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.statistics
    }

    @discardableResult
    private func enqueue(_ records: [CommandRecord], notify: PendingAppend.Notify) -> AppendTicket {
        let condition = shared.condition
        condition.lock()
        let ticket = AppendTicket(id: shared.nextTicket)
        shared.nextTicket += 1
        let sequences = (records.first?.sequence ?? 0)..<((records.last?.sequence ?? -1) + 1)
        guard case .running = shared.state else {
            let error = SwitchboardError(
                .unavailable, "the command log is closed (the server is shutting down); nothing was stored")
            let outcome = AppendOutcome(ticket: ticket, sequences: sequences, result: .failure(error))
            switch notify {
            case .outcomeQueue:
                shared.outcomes.append(outcome)
                condition.unlock()
                shared.wake?()
            case .closure(let completion):
                condition.unlock()
                completion(.failure(error))
            }
            return ticket
        }
        shared.pending.append(PendingAppend(ticket: ticket, records: records, notify: notify))
        shared.statistics.unfinishedRecords += records.count
        condition.signal()
        condition.unlock()
        return ticket
    }

    // MARK: Replay

    /// Calls `body` with every record whose sequence is greater than `after`, in sequence order,
    /// reading through a cursor so a long log is never held in memory at once.
    ///
    /// It reads a consistent snapshot: records committed while it runs are not included. A gap in
    /// the sequences means the file was damaged or edited; replay stops with `.internal` rather
    /// than rebuild a state the engine never had.
    public func forEach(
        after: Int64 = 0,
        _ body: (CommandRecord) throws(SwitchboardError) -> Void
    ) throws(SwitchboardError) {
        let path = databasePath
        do {
            try pool.read { db in
                let cursor = try Row.fetchCursor(
                    db,
                    sql: "SELECT sequence, at, kind, payload FROM command WHERE sequence > ? ORDER BY sequence",
                    arguments: [after])
                var expected = after + 1
                while let row = try cursor.next() {
                    let sequence: Int64 = try row.decode(atIndex: 0)
                    guard sequence == expected else {
                        throw SwitchboardError(
                            .internal,
                            "the command log in \(path) has a gap: expected sequence \(expected), found "
                                + "\(sequence); the file was damaged or edited, restore it from a backup")
                    }
                    let payload = try row.withUnsafeData(atIndex: 3) { data in data.map { [UInt8]($0) } ?? [] }
                    let record = CommandRecord(
                        sequence: sequence,
                        at: Instant(microseconds: try row.decode(atIndex: 1)),
                        kind: try row.decode(atIndex: 2),
                        payload: payload)
                    try body(record)
                    expected = sequence + 1
                }
            }
        } catch let error as SwitchboardError {
            throw error
        } catch {
            throw StorageFailure.map(error, databasePath: path, operation: "read the command log")
        }
    }

    /// Every record in sequence order. Prefer `forEach` for a log of unknown size.
    public func readAll() throws(SwitchboardError) -> [CommandRecord] {
        var records: [CommandRecord] = []
        try forEach { records.append($0) }
        return records
    }

    // MARK: Closing

    /// Stops taking appends, commits everything already appended (its outcomes are delivered as
    /// usual), stops the writer thread and closes the database. Appends after this fail with
    /// `.unavailable`. Safe to call more than once.
    ///
    /// Called from a completion (on the writer thread itself) it cannot wait for that thread: it
    /// stops new appends and returns; the writer commits the queue, then releases the database and
    /// the data dir lock when it ends.
    public func close() {
        let condition = shared.condition
        if Thread.current === writerThread {
            condition.lock()
            if case .running = shared.state {
                shared.state = .draining
            }
            condition.unlock()
            return
        }
        condition.lock()
        if case .running = shared.state {
            shared.state = .draining
            condition.broadcast()
        }
        while shared.state != .stopped {
            condition.wait()
        }
        let alreadyClosed = shared.databaseClosed
        shared.databaseClosed = true
        condition.unlock()
        guard !alreadyClosed else { return }
        try? pool.close()
        lock.release()
    }

    // MARK: Opening

    private static func grdbConfiguration(_ store: StoreConfiguration) -> Configuration {
        var config = Configuration()
        config.label = "switchboard-store"
        config.maximumReaderCount = 2
        let synchronous = switch store.durability {
        case .full: "FULL"
        case .normal: "NORMAL"
        }
        let maximumBytes = store.maximumDatabaseBytes
        config.prepareDatabase { db in
            // For every connection; the writer's is set again after GRDB's WAL set-up (see
            // `applyDurability`).
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // After a checkpoint, shrink a WAL that a burst grew past 64 MiB instead of keeping it.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            if let maximumBytes {
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                let pages = max(1, maximumBytes / max(pageSize, 512))
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
        }
        return config
    }

    /// Sets `synchronous` on the writer connection and reads it back. It cannot go in
    /// `prepareDatabase` alone: GRDB's `DatabasePool` sets `synchronous = NORMAL` on the writer
    /// after that hook when it turns WAL on, which would silently make `.full` mean `.normal`.
    private static func applyDurability(
        _ durability: StoreConfiguration.Durability, to pool: DatabasePool, path: String
    ) throws(SwitchboardError) {
        let (name, level) = switch durability {
        case .full: ("FULL", 2)
        case .normal: ("NORMAL", 1)
        }
        let actual: Int?
        do {
            actual = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(name)")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
        } catch {
            throw StorageFailure.map(error, databasePath: path, operation: "set synchronous = \(name)")
        }
        guard actual == level else {
            throw SwitchboardError(
                .internal, "SQLite did not accept PRAGMA synchronous = \(name) on \(path)",
                cause: "synchronous reads back \(actual.map(String.init) ?? "nothing")")
        }
    }

    /// Refuses foreign and newer files, runs the migrations, records the schema version, and
    /// returns the last durable sequence.
    private static func prepareSchema(_ pool: DatabasePool, path: String) throws(SwitchboardError) -> Int64 {
        let migrator = Schema.migrator
        do {
            let applicationID = try pool.writeWithoutTransaction { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                if applicationID != Schema.applicationID {
                    let tables = try String.fetchAll(
                        db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                    if applicationID != 0 || !tables.isEmpty {
                        throw SwitchboardError(
                            .failedPrecondition,
                            "\(path) is not a Switchboard database (application_id \(applicationID), tables "
                                + "\(tables.sorted().joined(separator: ", "))); point --data-dir at a directory of "
                                + "its own",
                            field: "data_dir")
                    }
                }
                if try migrator.hasBeenSuperseded(db) {
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(Schema.migrationNames)
                    throw SwitchboardError(
                        .failedPrecondition,
                        "\(path) was written by a newer Switchboard: it has schema migrations this build does "
                            + "not know (\(unknown.sorted().joined(separator: ", ")); this build knows up to "
                            + "schema \(Schema.version)); run that newer version, or point --data-dir elsewhere",
                        field: "data_dir")
                }
                return applicationID
            }
            try migrator.migrate(pool)
            return try pool.writeWithoutTransaction { db in
                try db.inTransaction {
                    if applicationID == 0 {
                        try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
                    }
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                        arguments: [String(Schema.version)])
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('created_by', 'switchboard')")
                    return .commit
                }
                return try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM command") ?? 0
            }
        } catch let error as SwitchboardError {
            throw error
        } catch {
            throw StorageFailure.map(error, databasePath: path, operation: "prepare the schema")
        }
    }
}

/// Blocks one thread until a completion arrives. The semaphore orders the write of `result`
/// before its read.
private final class Waiter: @unchecked Sendable {
    // @unchecked: `result` is written once before `signal` and read after `wait`.
    private let semaphore = DispatchSemaphore(value: 0)
    private var result: Result<Void, SwitchboardError> = .success(())

    func finish(_ result: Result<Void, SwitchboardError>) {
        self.result = result
        semaphore.signal()
    }

    func wait() -> Result<Void, SwitchboardError> {
        semaphore.wait()
        return result
    }
}
