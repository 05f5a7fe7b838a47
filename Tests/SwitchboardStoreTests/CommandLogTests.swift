import Foundation
import GRDB
import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardStore

@Suite struct CommandLogTests {
    /// Records appended in every form come back from replay byte for byte, in sequence order.
    @Test func appendedRecordsReplayByteForByte() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let wakes = WakeCounter()
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path), wake: wakes.wake)
        defer { log.close() }

        try log.appendAndWait(testRecords(1...3))
        log.append(testRecords(4...10))
        let empty = CommandRecord(sequence: 11, at: .zero, kind: "", payload: [])
        log.append([empty])
        let outcomes = collectOutcomes(log, wakes: wakes, count: 2)
        #expect(outcomes.allSatisfy { (try? $0.result.get()) != nil })

        let replayed = try log.readAll()
        #expect(replayed == testRecords(1...10) + [empty])
        #expect(log.durableSequence == 11)
    }

    /// Many appends waiting while a commit is in progress go to disk in one transaction.
    @Test func appendsQueuedDuringACommitShareOneTransaction() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let wakes = WakeCounter()
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path), wake: wakes.wake)
        defer { log.close() }

        // Holding the writer connection stands for a slow fsync: the writer cannot commit, so every
        // append made meanwhile queues up behind at most one append it has already taken.
        log.pool.writeWithoutTransaction { _ in
            for sequence in Int64(1)...1_000 {
                log.append([testRecord(sequence)])
            }
        }
        let outcomes = collectOutcomes(log, wakes: wakes, count: 1_000)
        #expect(outcomes.allSatisfy { (try? $0.result.get()) != nil })
        let statistics = log.statistics
        #expect(statistics.recordsWritten == 1_000)
        #expect(statistics.commits <= 2)
        #expect(statistics.unfinishedRecords == 0)
        // One wake per commit, not per append: the reactor is poked twice, not a thousand times.
        #expect(wakes.wakes == statistics.commits)
        #expect(try log.readAll().count == 1_000)
    }

    /// The record cap splits a large backlog into several commits, never splitting one append.
    @Test func aBacklogLargerThanTheCapTakesSeveralCommits() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let wakes = WakeCounter()
        let configuration = StoreConfiguration(dataDirectory: directory.path, maximumRecordsPerCommit: 100)
        let log = try CommandLog(configuration: configuration, wake: wakes.wake)
        defer { log.close() }

        log.pool.writeWithoutTransaction { _ in
            var next: Int64 = 1
            for _ in 0..<40 {
                log.append(testRecords(next...(next + 29)))
                next += 30
            }
        }
        _ = collectOutcomes(log, wakes: wakes, count: 40)
        let statistics = log.statistics
        #expect(statistics.recordsWritten == 1_200)
        // 30-record appends, at most 3 per 100-record commit (plus the one taken before the backlog).
        #expect(statistics.commits >= 13)
        #expect(try log.readAll().map(\.sequence) == Array(1...1_200))
    }

    /// Outcomes arrive in append order, and tickets increase with every append.
    @Test func outcomesArriveInAppendOrder() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let wakes = WakeCounter()
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path), wake: wakes.wake)
        defer { log.close() }

        var tickets: [AppendTicket] = []
        var next: Int64 = 1
        for size in [1, 5, 2, 40, 1, 7, 3] {
            tickets.append(log.append(testRecords(next...(next + Int64(size) - 1))))
            next += Int64(size)
        }
        let outcomes = collectOutcomes(log, wakes: wakes, count: tickets.count)
        #expect(outcomes.map(\.ticket) == tickets)
        #expect(tickets == tickets.sorted())
        #expect(outcomes.map(\.sequences.lowerBound) == [1, 2, 7, 9, 49, 50, 57])
        #expect(outcomes.last?.sequences == 57..<60)
    }

    /// Closure completions run for every append, after the records are readable.
    @Test func completionRunsAfterTheRecordsAreDurable() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }

        let done = DispatchSemaphore(value: 0)
        let seen = ResultBox()
        log.append(testRecords(1...4)) { result in
            seen.set(result, visibleCount: (try? log.readAll().count) ?? -1)
            done.signal()
        }
        done.wait()
        #expect(seen.succeeded)
        #expect(seen.visibleCount == 4)
    }

    /// Replay from a sequence yields only the records after it.
    @Test func replayAfterASequenceYieldsTheSuffix() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        try log.appendAndWait(testRecords(1...50))

        var sequences: [Int64] = []
        try log.forEach(after: 42) { sequences.append($0.sequence) }
        #expect(sequences == Array(43...50))
    }

    /// An error thrown by the replay body stops replay and reaches the caller unchanged.
    @Test func replayStopsAtTheBodysError() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        try log.appendAndWait(testRecords(1...10))

        var seen = 0
        let error = #expect(throws: SwitchboardError.self) {
            try log.forEach { (record: CommandRecord) throws(SwitchboardError) in
                seen += 1
                if record.sequence == 4 { throw SwitchboardError.invalidArgument("bad payload", field: "payload") }
            }
        }
        #expect(seen == 4)
        #expect(error?.field == "payload")
    }

    /// Random batch sizes (empty ones too), in random durability modes, with the log closed and
    /// reopened at random points: replay always returns exactly the acknowledged records.
    @Test(arguments: [UInt64(1), 20_261_123, 0xDEAD_BEEF])
    func replayEqualsWhatWasAcknowledgedAcrossReopens(seed: UInt64) throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        var generator = SplitMix64(seed: seed)
        var acknowledged: [CommandRecord] = []
        for _ in 0..<4 {
            let durability: StoreConfiguration.Durability = generator.next() % 2 == 0 ? .full : .normal
            let wakes = WakeCounter()
            let log = try CommandLog(
                configuration: StoreConfiguration(
                    dataDirectory: directory.path, durability: durability,
                    maximumRecordsPerCommit: Int(generator.next() % 64) + 1),
                wake: wakes.wake)
            #expect(log.durableSequence == Int64(acknowledged.count), "seed \(seed)")
            var appended: [[CommandRecord]] = []
            var next = Int64(acknowledged.count) + 1
            for _ in 0..<Int(generator.next() % 40) {
                let size = Int64(generator.next() % 9)  // 0 to 8 records
                let records = size == 0 ? [] : testRecords(next...(next + size - 1), payloadBytes: Int(generator.next() % 300))
                log.append(records)
                appended.append(records)
                next += size
            }
            let outcomes = collectOutcomes(log, wakes: wakes, count: appended.count)
            for (outcome, records) in zip(outcomes, appended) where (try? outcome.result.get()) != nil {
                acknowledged += records
            }
            #expect(acknowledged.count == Int(next - 1), "seed \(seed)")
            log.close()
        }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        #expect(try log.readAll() == acknowledged, "seed \(seed)")
    }

    /// Closing and reopening keeps every record, and appends continue where the log ended.
    @Test func reopeningKeepsEveryRecordAndContinuesTheSequence() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        for durability in StoreConfiguration.Durability.allCases {
            let configuration = StoreConfiguration(dataDirectory: directory.path, durability: durability)
            let log = try CommandLog(configuration: configuration)
            let start = log.durableSequence + 1
            try log.appendAndWait(testRecords(start...(start + 99)))
            log.close()
        }
        let reopened = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { reopened.close() }
        #expect(reopened.durableSequence == 200)
        #expect(try reopened.readAll() == testRecords(1...200))
        try reopened.appendAndWait([testRecord(201)])
        #expect(reopened.durableSequence == 201)
    }

    /// Close commits what was appended before it; appends after it fail as unavailable.
    @Test func closeDrainsQueuedAppendsThenRefusesNewOnes() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let wakes = WakeCounter()
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path), wake: wakes.wake)
        for sequence in Int64(1)...100 { log.append([testRecord(sequence)]) }
        log.close()
        let late = log.append([testRecord(101)])
        let outcomes = log.takeOutcomes()
        #expect(outcomes.count == 101)
        #expect(outcomes.prefix(100).allSatisfy { (try? $0.result.get()) != nil })
        #expect(outcomes.last?.ticket == late)
        #expect(failure(of: outcomes.last)?.code == .unavailable)
        #expect(throws: SwitchboardError.self) { try log.appendAndWait([testRecord(101)]) }
        log.close()

        let reopened = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { reopened.close() }
        #expect(reopened.durableSequence == 100)
    }

    /// Closing from a completion (on the writer thread) does not deadlock: the log stops taking
    /// appends, and a later close from another thread finishes the job.
    @Test func closingFromACompletionDoesNotDeadlock() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        let closed = DispatchSemaphore(value: 0)
        log.append(testRecords(1...3)) { _ in
            log.close()
            closed.signal()
        }
        closed.wait()
        let late = #expect(throws: SwitchboardError.self) { try log.appendAndWait([testRecord(4)]) }
        #expect(late?.code == .unavailable)
        log.close()

        let reopened = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { reopened.close() }
        #expect(reopened.durableSequence == 3)
    }

    /// Each durability mode sets SQLite's synchronous level on the connections it opens.
    @Test(arguments: [(StoreConfiguration.Durability.full, 2), (.normal, 1)])
    func durabilityModeSetsSynchronous(mode: StoreConfiguration.Durability, level: Int) throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path, durability: mode))
        defer { log.close() }
        let writer = try log.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writer == level)
    }

    /// A gap or a repeated sequence is our own bug: an internal error, and nothing of it stored.
    @Test func aSequenceGapOrRepeatIsRefusedAsInternal() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        try log.appendAndWait(testRecords(1...5))

        let repeated = #expect(throws: SwitchboardError.self) { try log.appendAndWait([testRecord(5)]) }
        #expect(repeated?.code == .internal)
        try log.appendAndWait([testRecord(6)])

        let gap = #expect(throws: SwitchboardError.self) { try log.appendAndWait([testRecord(8)]) }
        #expect(gap?.code == .internal)
        // Whatever continues past the refused append is refused too, until the log is caught up.
        let follower = #expect(throws: SwitchboardError.self) { try log.appendAndWait([testRecord(9)]) }
        #expect(follower?.code == .unavailable)
        let shuffled = [testRecord(8), testRecord(7)]
        #expect(throws: SwitchboardError.self) { try log.appendAndWait(shuffled) }
        #expect(log.statistics.rejectedAppends == 4)

        try log.appendAndWait(testRecords(7...8))
        #expect(try log.readAll() == testRecords(1...8))
    }

    /// A second process (or a second open) on the same data dir is refused, naming the directory.
    @Test func aDataDirInUseIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        let error = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("in use") == true)
        log.close()
        // Released on close: the next open works.
        let again = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        again.close()
    }

    /// A lock let go within the wait is taken, not refused: what a process still exiting leaves,
    /// or a child that another thread started at the moment the lock file was closed (it holds a
    /// copy of the descriptor until its exec). CI once refused a reopen in that moment.
    @Test func aLockLetGoWithinTheWaitIsTaken() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let fd = open(directory.path + "/" + DataDirectoryLock.lockFileName, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        try #require(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            usleep(UInt32(DataDirectoryLock.waitMilliseconds / 4 * 1000))
            close(fd)
            released.signal()
        }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        log.close()
        released.wait()
    }

    /// A data dir that cannot be written is refused at open with an actionable unavailable error.
    @Test(.enabled(if: geteuid() != 0 || canMakeFilesImmutable, "root needs chattr to make a directory unwritable"))
    func anUnwritableDataDirIsRefusedAtOpen() throws {
        let parent = TemporaryDirectory()
        defer { parent.delete() }
        let dataDir = parent.path + "/data"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: false)
        try makeUnwritable(dataDir)
        defer { try? makeWritable(dataDir) }

        let error = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: dataDir))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("not writable") == true)
        #expect(error?.field == "data_dir")

        // Nor can a missing data dir be created under an unwritable parent.
        let nested = dataDir + "/nested"
        let nestedError = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: nested))
        }
        #expect(nestedError?.code == .unavailable)
    }

    /// A database file that cannot be written (the directory can) is refused at open as read-only.
    @Test(.enabled(if: geteuid() != 0 || canMakeFilesImmutable, "root needs chattr to make a file unwritable"))
    func aReadOnlyDatabaseFileIsRefusedAtOpen() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        try log.appendAndWait(testRecords(1...3))
        log.close()

        let database = directory.path + "/" + CommandLog.databaseFileName
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: database)
        if geteuid() == 0 { try chattr("+i", database) }
        defer { if geteuid() == 0 { try? chattr("-i", database) } }

        let error = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("storage") == true)
        #expect(error?.cause?.hasPrefix("SQLite") == true)
    }

    /// A data dir path that names a file is refused.
    @Test func aDataDirThatIsAFileIsRefused() throws {
        let parent = TemporaryDirectory()
        defer { parent.delete() }
        let file = parent.path + "/file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let error = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: file))
        }
        #expect(error?.message.contains("not a directory") == true)
    }

    /// A full disk (here: the configured maximum size) fails the whole batch as unavailable, stores
    /// none of it, and the log keeps working for appends that restart from the durable sequence.
    @Test func aFullDiskFailsTheBatchAndTheLogRecovers() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let configuration = StoreConfiguration(dataDirectory: directory.path, maximumDatabaseBytes: 256 * 1024)
        let log = try CommandLog(configuration: configuration)
        defer { log.close() }
        try log.appendAndWait(testRecords(1...10))

        // 2,000 records of 1 KiB cannot fit in 256 KiB.
        let tooBig = #expect(throws: SwitchboardError.self) {
            try log.appendAndWait(testRecords(11...2_010, payloadBytes: 1_024))
        }
        #expect(tooBig?.code == .unavailable)
        #expect(tooBig?.message.contains("full") == true)
        #expect(tooBig?.cause?.contains("SQLite 13") == true)
        #expect(log.durableSequence == 10)

        // The engine ran ahead: appends continuing past the failed ones fail too, saying why.
        let follower = #expect(throws: SwitchboardError.self) { try log.appendAndWait([testRecord(2_011)]) }
        #expect(follower?.code == .unavailable)
        #expect(follower?.message.contains("from sequence 11") == true)

        // After rebuilding from the log, the caller appends again from 11; small batches fit.
        try log.appendAndWait(testRecords(11...20))
        #expect(try log.readAll() == testRecords(1...20))
        #expect(log.statistics.failedCommits == 1)
    }

    /// A database file made read-only (immutable) while open fails the next batch as unavailable
    /// with SQLite's reason, and the log works again once the file is writable.
    @Test(.enabled(if: canMakeFilesImmutable, "needs root and chattr to make an open file unwritable"))
    func aFileMadeReadOnlyMidRunFailsTheBatch() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        try log.appendAndWait(testRecords(1...10))

        let database = log.databasePath
        // Not the -shm file: it is memory-mapped, and an immutable mapping faults the process.
        try chattr("+i", database, database + "-wal")
        var immutable = true
        defer { if immutable { try? chattr("-i", database, database + "-wal") } }
        let error = #expect(throws: SwitchboardError.self) { try log.appendAndWait(testRecords(11...20)) }
        try chattr("-i", database, database + "-wal")
        immutable = false
        #expect(error?.code == .unavailable)
        #expect(error?.cause?.hasPrefix("SQLite") == true)
        #expect(log.durableSequence == 10)

        try log.appendAndWait(testRecords(11...20))
        #expect(try log.readAll() == testRecords(1...20))
    }

    /// A database whose schema has migrations this build does not know is refused, not rewritten.
    @Test func aDatabaseFromANewerVersionIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        try log.appendAndWait(testRecords(1...3))
        log.close()

        let queue = try DatabaseQueue(path: directory.path + "/" + CommandLog.databaseFileName)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        try queue.close()

        let error = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains("newer Switchboard") == true)
        #expect(error?.message.contains("v99-from-the-future") == true)
    }

    /// Some other application's SQLite file in the data dir is refused, not written into.
    @Test func aForeignDatabaseIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let queue = try DatabaseQueue(path: directory.path + "/" + CommandLog.databaseFileName)
        try queue.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY)") }
        try queue.close()

        let error = #expect(throws: SwitchboardError.self) {
            _ = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains("not a Switchboard database") == true)
    }

    /// A log with a hole in it (a damaged or edited file) stops replay instead of skipping.
    @Test func aGapInTheFileStopsReplay() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        try log.appendAndWait(testRecords(1...10))
        try log.pool.write { db in try db.execute(sql: "DELETE FROM command WHERE sequence = 6") }

        var replayed: [Int64] = []
        let error = #expect(throws: SwitchboardError.self) {
            try log.forEach { replayed.append($0.sequence) }
        }
        #expect(error?.code == .internal)
        #expect(error?.message.contains("gap") == true)
        #expect(replayed == [1, 2, 3, 4, 5])
    }

    /// The schema version and the application id are recorded in the file.
    @Test func theFileRecordsItsSchemaVersion() throws {
        let directory = TemporaryDirectory()
        defer { directory.delete() }
        let log = try CommandLog(configuration: StoreConfiguration(dataDirectory: directory.path))
        defer { log.close() }
        let (version, applicationID, journal) = try log.pool.read { db in
            (
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'"),
                try Int32.fetchOne(db, sql: "PRAGMA application_id"),
                try String.fetchOne(db, sql: "PRAGMA journal_mode")
            )
        }
        #expect(version == String(Schema.version))
        #expect(applicationID == Schema.applicationID)
        #expect(journal == "wal")
    }
}

func failure(of outcome: AppendOutcome?) -> SwitchboardError? {
    guard case .failure(let error)? = outcome?.result else { return nil }
    return error
}

final class ResultBox: @unchecked Sendable {
    // @unchecked: written once on the writer thread before a semaphore signal, read after the wait.
    private(set) var succeeded = false
    private(set) var visibleCount = 0

    func set(_ result: Result<Void, SwitchboardError>, visibleCount: Int) {
        if case .success = result { succeeded = true }
        self.visibleCount = visibleCount
    }
}
