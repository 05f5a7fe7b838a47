import Foundation
import SwitchboardDomain
import SwitchboardThreading

/// Loads policy from YAML files. Strict (see `ConfigDecoder`): unknown keys and wrong types are
/// errors naming the key path, so a typo never leaves a default silently in force.
public enum PolicyLoader {
    /// The threading policy from a YAML document whose top level is the threading keys
    /// (`default_country`, `open_case_window`, ...).
    public static func threadingPolicy(fromYAML yaml: String) throws(SwitchboardError) -> ThreadingPolicy {
        try ConfigDecoder.decode(ThreadingPolicy.self, fromYAML: yaml)
    }

    /// Reads a file and decodes `T` from it; errors name the file as well as the key.
    public static func load<T: Decodable>(_ type: T.Type, fromFile path: String) throws(SwitchboardError) -> T {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SwitchboardError(
                .invalidArgument, "cannot read the configuration file \(path): check the path and permissions", field: "config",
                cause: String(describing: error))
        }
        do {
            return try ConfigDecoder.decode(type, fromYAML: text)
        } catch {
            var e = error
            e.message = "\(path): " + e.message
            throw e
        }
    }
}
