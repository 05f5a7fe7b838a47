import Foundation
import SwitchboardCore
import SwitchboardDomain
import SwitchboardThreading

/// Loads policy from YAML. Strict (see `ConfigDecoder`): unknown keys and wrong types are errors
/// naming the key path (`routing.offer_timeout.voice: expected a number of seconds ...`), so a typo
/// never leaves a default silently in force; then `Policy.validate()` checks ranges and orderings.
///
/// ```yaml
/// threading:
///   default_country: GB
///   open_case_window: 7d
///   merge: { phone: never }
/// routing:
///   offer_timeout: { chat: 45s }
/// kpi:
///   repeat_window: 7d
/// ```
public enum PolicyLoader {
    /// The engine policy from a YAML document (`threading`, `routing`, `kpi` at the top level).
    public static func policy(fromYAML yaml: String) throws(SwitchboardError) -> Policy {
        let policy = try ConfigDecoder.decode(Policy.self, fromYAML: yaml)
        do {
            try policy.validate()
        } catch {
            throw namingField(error)
        }
        return policy
    }

    /// Range and ordering errors carry the key in `field`, but a person reads the message (serve
    /// and simulate print only that): put the key path in front, as the decoder's errors have it.
    static func namingField(_ error: SwitchboardError) -> SwitchboardError {
        guard let field = error.field, !error.message.hasPrefix(field + ":") else { return error }
        var e = error
        e.message = "\(field): \(error.message)"
        return e
    }

    /// The engine policy from a YAML file; errors name the file as well as the key.
    public static func policy(fromFile path: String) throws(SwitchboardError) -> Policy {
        let text = try read(path)
        do {
            return try policy(fromYAML: text)
        } catch {
            throw prefixed(error, path)
        }
    }

    /// The threading policy alone, from a YAML document whose top level is the threading keys.
    public static func threadingPolicy(fromYAML yaml: String) throws(SwitchboardError) -> ThreadingPolicy {
        try ConfigDecoder.decode(ThreadingPolicy.self, fromYAML: yaml)
    }

    /// Any configuration type from a YAML file, with the strict decoder.
    public static func load<T: Decodable>(_ type: T.Type, fromFile path: String) throws(SwitchboardError) -> T {
        let text = try read(path)
        do {
            return try ConfigDecoder.decode(type, fromYAML: text)
        } catch {
            throw prefixed(error, path)
        }
    }

    static func read(_ path: String) throws(SwitchboardError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SwitchboardError(
                .invalidArgument, "cannot read the configuration file \(path): check the path and permissions", field: "config",
                cause: String(describing: error))
        }
    }

    static func prefixed(_ error: SwitchboardError, _ path: String) -> SwitchboardError {
        var e = error
        e.message = "\(path): " + e.message
        return e
    }
}
