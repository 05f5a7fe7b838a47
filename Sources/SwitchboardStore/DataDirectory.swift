import Foundation
import SwitchboardDomain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data dir: created if missing, checked for writability before SQLite touches it, and held
/// with an exclusive lock for as long as one `CommandLog` is open on it.
///
/// Two processes appending to one log would interleave sequence numbers from two engines; the
/// lock (`flock` on `switchboard.lock`) turns that mistake into a clear error at start-up. The
/// kernel releases it when the process dies, even by SIGKILL, so a crash never leaves it stale.
///
/// A lock that is let go within `waitMilliseconds` is taken: a process that is still exiting, or a
/// child that another thread of this process was starting at the moment it closed the lock file
/// (the child holds a copy of every descriptor until its `exec` closes them), keeps the lock a
/// moment after its owner is done with it.
final class DataDirectoryLock {
    static let lockFileName = "switchboard.lock"
    /// How long opening waits for a held lock before refusing the data dir.
    static let waitMilliseconds = 500

    let directory: String
    private var descriptor: Int32

    init(directory: String) throws(SwitchboardError) {
        self.directory = directory
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SwitchboardError(
                    .unavailable,
                    "data dir \(directory) exists but is not a directory: choose another --data-dir",
                    field: "data_dir")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw SwitchboardError(
                    .unavailable,
                    "cannot create data dir \(directory): create it with write access for this process, "
                        + "or choose another --data-dir",
                    field: "data_dir", cause: Self.describe(error))
            }
        }
        // access(2) also reports an immutable directory (chattr +i) to root, which chmod alone does not.
        guard access(directory, W_OK | X_OK) == 0 else {
            let cause = String(cString: strerror(errno))
            throw SwitchboardError(
                .unavailable,
                "data dir \(directory) is not writable by this process (uid \(geteuid())): make it writable "
                    + "(chmod/chown, or chattr -i if it is immutable) or choose another --data-dir",
                field: "data_dir", cause: cause)
        }
        let path = directory + "/" + Self.lockFileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let cause = String(cString: strerror(errno))
            throw SwitchboardError(
                .unavailable,
                "cannot create the lock file \(path): make the data dir writable by this process",
                field: "data_dir", cause: cause)
        }
        var result: Int32
        var code: Int32 = 0
        var waited = 0
        while true {
            repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
            code = errno
            guard result != 0, code == EWOULDBLOCK, waited < Self.waitMilliseconds else { break }
            usleep(10_000)
            waited += 10
        }
        guard result == 0 else {
            close(fd)
            if code == EWOULDBLOCK {
                throw SwitchboardError(
                    .unavailable,
                    "data dir \(directory) is in use by another switchboard process (it holds \(path)): stop "
                        + "that process or choose another --data-dir",
                    field: "data_dir")
            }
            throw SwitchboardError(
                .unavailable, "cannot lock \(path)", field: "data_dir", cause: String(cString: strerror(code)))
        }
        // The holder's pid, for an operator who wonders who has the directory. Best effort.
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.descriptor = fd
    }

    /// Releases the lock. Safe to call twice.
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
