/// How the command log is stored. A plain `Sendable` value with defaults, filled in by the CLI
/// (`switchboard serve --data-dir DIR --durability full|normal`) or by tests.
public struct StoreConfiguration: Sendable, Hashable {
    /// What "acknowledged" promises about the disk. Both modes keep SQLite in WAL journal mode.
    public enum Durability: String, Sendable, Hashable, CaseIterable {
        /// `PRAGMA synchronous = FULL`: the write-ahead log is fsynced before a commit returns, so an
        /// acknowledged record survives a process crash, a kernel panic and a power cut. The default.
        case full
        /// `PRAGMA synchronous = NORMAL`: a commit is written to the write-ahead log but fsynced only
        /// at checkpoints. An acknowledged record survives a crash of the process (the OS still holds
        /// the write), but a power cut or kernel panic can lose the last commits. The database stays
        /// consistent either way: what is lost is a suffix of the log, never a record in the middle.
        /// An operator may choose it for throughput on hardware without a power-loss-safe cache.
        case normal
    }

    /// The directory that holds the database (`switchboard.sqlite`, its `-wal` and `-shm` files) and
    /// the lock file. Created if missing.
    public var dataDirectory: String
    /// See `Durability`. Default `.full`.
    public var durability: Durability
    /// The most records the writer puts in one transaction. A larger batch amortises the fsync over
    /// more records; a cap keeps one transaction's memory and latency bounded when producers outrun
    /// the disk (what is left waits for the next commit, in order). Default 16,384.
    public var maximumRecordsPerCommit: Int
    /// The largest the database file may grow, in bytes, or `nil` for no limit other than the disk.
    /// Past it a commit fails exactly as on a full disk (UNAVAILABLE, nothing in the batch stored).
    public var maximumDatabaseBytes: Int64?

    public init(
        dataDirectory: String,
        durability: Durability = .full,
        maximumRecordsPerCommit: Int = 16_384,
        maximumDatabaseBytes: Int64? = nil
    ) {
        self.dataDirectory = dataDirectory
        self.durability = durability
        self.maximumRecordsPerCommit = maximumRecordsPerCommit
        self.maximumDatabaseBytes = maximumDatabaseBytes
    }
}
