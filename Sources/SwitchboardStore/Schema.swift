import GRDB

/// The database schema, as a list of versioned migrations.
enum Schema {
    /// `PRAGMA application_id` of a Switchboard database ("SWBD"), so opening some other SQLite file
    /// by mistake fails with a clear message instead of writing into it.
    static let applicationID: Int32 = 0x5357_4244

    /// The version this build writes in `meta.schema_version`: the number of migrations it knows.
    static var version: Int { migrationNames.count }

    /// Migration identifiers in order. GRDB records the applied ones in `grdb_migrations`.
    static let migrationNames = ["v1-command-log"]

    /// The migrations, in order.
    ///
    /// FROZEN ONCE SHIPPED: never edit, rename, reorder or delete a migration that has been in a
    /// release; databases in the field already ran it and will not run it again. To change the
    /// schema, append a new migration (`v2-...`) that transforms what the earlier ones built, and add
    /// its name to `migrationNames`. A database that has migrations this build does not know was
    /// written by a newer Switchboard and is refused at open (see `CommandLog.init`).
    ///
    /// Planned next, for when replay from the first record gets too slow: `v2-snapshots`, a
    /// `snapshot(sequence INTEGER PRIMARY KEY, at INTEGER, format TEXT, state BLOB)` table; replay then
    /// starts from the newest snapshot and applies only `command` rows after its sequence, and old
    /// command rows below it can be deleted. Nothing in v1 stands in the way of that.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-command-log") { db in
            // Key/value facts about this database: schema version, the app that created it.
            try db.execute(sql: """
                CREATE TABLE meta (
                    key   TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID
                """)
            // The command log. `sequence` is the rowid, so appends go to the end of the b-tree and
            // replay in sequence order is a plain table scan.
            try db.execute(sql: """
                CREATE TABLE command (
                    sequence INTEGER PRIMARY KEY CHECK (sequence > 0),
                    at       INTEGER NOT NULL,
                    kind     TEXT    NOT NULL,
                    payload  BLOB    NOT NULL
                )
                """)
        }
        return migrator
    }
}
