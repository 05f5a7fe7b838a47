#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh directory under the system temp dir, removed by `remove()`. Used by store and server tests
/// so every test owns its data dir and runs can overlap.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "switchboard-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf -> Bool in
            mkdtemp(buf.baseAddress!) != nil
        }
        precondition(made, "mkdtemp failed: cannot create a temp dir for tests (errno \(errno))")
        self.path = String(cString: template)
    }

    /// Removes the directory and everything in it.
    public func remove() {
        _ = path.withCString { p in
            nftw(p, { fpath, _, _, _ in remove(fpath!) }, 16, FTW_DEPTH | FTW_PHYS)
        }
    }
}
