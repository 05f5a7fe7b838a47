import Foundation

/// A fresh directory under the system temp dir, removed by `delete()`. Used by store and server tests
/// so every test owns its data dir and runs can overlap.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "switchboard-test") {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            preconditionFailure("cannot create a temp dir for tests at \(url.path): \(error)")
        }
        self.path = url.path
    }

    /// Removes the directory and everything in it.
    public func delete() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
