import GRDB
import SwitchboardDomain

/// Turns what SQLite reports into the one error type callers see, with a message an operator can
/// act on. Conditions outside the program (disk full, read-only file, I/O error, another process)
/// are `.unavailable`: the caller may retry once the condition clears. Anything else is `.internal`.
enum StorageFailure {
    /// - Parameters:
    ///   - error: what GRDB threw.
    ///   - databasePath: the file, named in the message so the operator knows where to look.
    ///   - operation: what we were doing, for the message ("commit 12 records", "open").
    static func map(_ error: any Error, databasePath: String, operation: String) -> SwitchboardError {
        if let error = error as? SwitchboardError { return error }
        guard let dbError = error as? DatabaseError else {
            return SwitchboardError(
                .internal, "storage failed to \(operation) on \(databasePath): unexpected error",
                cause: String(describing: error))
        }
        let cause = "SQLite \(dbError.extendedResultCode.rawValue): \(dbError.message ?? "no message")"
        let message: String
        switch dbError.resultCode {
        case .SQLITE_FULL:
            message = "storage is full: could not \(operation) because the disk holding \(databasePath) is full "
                + "(or the configured maximum database size was reached); free disk space and retry"
        case .SQLITE_READONLY:
            message = "storage is read-only: could not \(operation) because \(databasePath) or its directory "
                + "cannot be written; make the data dir and its files writable by this process and retry"
        case .SQLITE_IOERR:
            message = "storage I/O error: could not \(operation) on \(databasePath); check the disk and "
                + "the file's permissions and attributes (a read-only or immutable file, a filesystem "
                + "remounted read-only, a failing device) and retry"
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            message = "storage cannot be opened: could not \(operation) on \(databasePath); check that the "
                + "data dir exists and is writable by this process"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            message = "storage is busy: could not \(operation) because another connection or process holds "
                + "\(databasePath); make sure only one switchboard serves this data dir"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            message = "storage is damaged: \(databasePath) is not a readable SQLite database; restore it from "
                + "a backup or move it away to start with an empty log"
        default:
            return SwitchboardError(.internal, "storage failed to \(operation) on \(databasePath)", cause: cause)
        }
        return SwitchboardError(.unavailable, message, cause: cause)
    }
}
