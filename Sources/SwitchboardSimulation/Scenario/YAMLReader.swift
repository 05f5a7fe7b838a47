import Foundation
import SwitchboardDomain
import Yams

/// A cursor over one YAML node that knows its dotted path (`channels.voice.handle_time.mean`), so
/// every error names the key at fault and its line. Mappings track which keys were read, and
/// `finish()` refuses keys nobody asked for: a misspelt `patiance` must not silently mean "no patience".
struct YAMLReader {
    let node: Node
    let path: String
    private var seen: Set<String> = []

    init(node: Node, path: String) {
        self.node = node
        self.path = path
    }

    static func parse(_ text: String) throws(SwitchboardError) -> YAMLReader {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SwitchboardError.invalidArgument("the scenario file is empty", field: "scenario")
            }
            return YAMLReader(node: node, path: "")
        } catch let error as SwitchboardError {
            throw error
        } catch {
            throw SwitchboardError(.invalidArgument, "the scenario is not valid YAML: \(error)", field: "scenario")
        }
    }

    var location: String {
        guard let mark = node.mark else { return "" }
        return " (line \(mark.line))"
    }

    func fail(_ message: String, key: String? = nil) -> SwitchboardError {
        let field = key.map { path.isEmpty ? $0 : "\(path).\($0)" } ?? path
        var where_ = location
        if let key, let child = node.mapping?[key], let mark = child.mark { where_ = " (line \(mark.line))" }
        return .invalidArgument("\(field.isEmpty ? "scenario" : field): \(message)\(where_)", field: field.isEmpty ? "scenario" : field)
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var isMapping: Bool { node.mapping != nil }
    var isSequence: Bool { node.sequence != nil }
    var isNull: Bool { node.scalar.map { $0.tag == Tag(.null) || $0.string == "~" || $0.string == "null" } ?? false }

    func requireMapping() throws(SwitchboardError) {
        guard node.mapping != nil else { throw fail("expected a mapping of keys to values") }
    }

    /// The keys of a mapping in document order.
    var keys: [String] { node.mapping?.keys.compactMap(\.string) ?? [] }

    mutating func has(_ key: String) -> Bool { node.mapping?[key] != nil }

    /// The child at `key`, marked as read; nil when absent or null.
    mutating func child(_ key: String) throws(SwitchboardError) -> YAMLReader? {
        guard let mapping = node.mapping else { throw fail("expected a mapping of keys to values") }
        seen.insert(key)
        guard let value = mapping[key] else { return nil }
        let r = YAMLReader(node: value, path: childPath(key))
        return r.isNull ? nil : r
    }

    mutating func required(_ key: String) throws(SwitchboardError) -> YAMLReader {
        guard let c = try child(key) else { throw fail("the key is required", key: key) }
        return c
    }

    /// Every entry of a mapping as (key, reader); all keys count as read.
    mutating func entries() throws(SwitchboardError) -> [(String, YAMLReader)] {
        guard let mapping = node.mapping else { throw fail("expected a mapping of keys to values") }
        var out: [(String, YAMLReader)] = []
        for (k, v) in mapping {
            guard let key = k.string else { throw fail("keys must be plain strings") }
            seen.insert(key)
            out.append((key, YAMLReader(node: v, path: childPath(key))))
        }
        return out
    }

    func elements() throws(SwitchboardError) -> [YAMLReader] {
        guard let seq = node.sequence else { throw fail("expected a list") }
        return seq.enumerated().map { YAMLReader(node: $0.element, path: "\(path)[\($0.offset)]") }
    }

    /// Refuses keys that were never read, naming them and the keys that are allowed.
    func finish(allowed: [String]) throws(SwitchboardError) {
        let unknown = keys.filter { !seen.contains($0) }
        if let first = unknown.first {
            throw fail("unknown key '\(first)'; allowed here: \(allowed.joined(separator: ", "))", key: first)
        }
    }

    // MARK: Scalars

    func string() throws(SwitchboardError) -> String {
        guard let s = node.scalar?.string else { throw fail("expected a text value") }
        return s
    }

    func double() throws(SwitchboardError) -> Double {
        guard let s = node.scalar?.string else { throw fail("expected a number") }
        let trimmed = s.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let v = Double(trimmed.dropLast()) { return v / 100 }
        guard let v = Double(trimmed), v.isFinite else { throw fail("expected a number, got '\(s)'") }
        return v
    }

    func int() throws(SwitchboardError) -> Int {
        guard let s = node.scalar?.string, let v = Int(s.trimmingCharacters(in: .whitespaces)) else {
            throw fail("expected a whole number")
        }
        return v
    }

    func bool() throws(SwitchboardError) -> Bool {
        guard let b = node.bool else { throw fail("expected true or false") }
        return b
    }

    /// A fraction written as `0.8` or `80%`.
    func fraction() throws(SwitchboardError) -> Double {
        let v = try double()
        guard v >= 0, v <= 1 else { throw fail("expected a fraction between 0 and 1 (or a percentage like 80%)") }
        return v
    }

    /// A duration: a number of seconds (`90`) or a number with a unit (`90s`, `15m`, `2h`, `1d`).
    func duration() throws(SwitchboardError) -> Span {
        let s = try string().trimmingCharacters(in: .whitespaces)
        guard let span = YAMLReader.parseDuration(s) else {
            throw fail("expected a duration such as 90, 90s, 15m, 2h or 1d; got '\(s)'")
        }
        return span
    }

    static func parseDuration(_ s: String) -> Span? {
        if let v = Double(s), v.isFinite, v >= 0 { return .seconds(v) }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            if let v = Double(number), v.isFinite, v >= 0 { return .seconds(v * scale) }
        }
        return nil
    }

    /// A time of day `HH:MM` or `HH:MM:SS` (24-hour), as the span since midnight.
    func clockTime() throws(SwitchboardError) -> Span {
        let s = try string().trimmingCharacters(in: .whitespaces)
        guard let span = YAMLReader.parseClock(s) else {
            throw fail("expected a time of day such as 08:00 or 17:30; got '\(s)'")
        }
        return span
    }

    static func parseClock(_ s: String) -> Span? {
        let parts = s.split(separator: ":")
        guard parts.count == 2 || parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0..<60).contains(m) else { return nil }
        var secs = Double(h * 3600 + m * 60)
        if parts.count == 3 {
            guard let sec = Double(parts[2]), sec >= 0, sec < 60 else { return nil }
            secs += sec
        }
        guard secs <= 86_400 else { return nil }
        return .seconds(secs)
    }
}
