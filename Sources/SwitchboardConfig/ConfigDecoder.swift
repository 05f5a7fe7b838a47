import SwitchboardDomain
import Yams

/// Decodes any `Decodable` configuration type from YAML, strictly:
///
/// - every error names the key path (`routing.offer_timeout.voice: expected a number of seconds or
///   a duration such as 30s, 15m, 2h, 7d; got 'fast' (line 4, column 12)`);
/// - a key the type never asks for is an error (`threading.reopen_windw: unknown key; did you mean
///   reopen_window?`), so a typo cannot silently leave a default in force;
/// - `Span` values accept seconds (`90`, `0.5`) or a duration with a unit (`500ms`, `30s`, `15m`,
///   `2h`, `7d`);
/// - enums list their allowed values when given another.
///
/// It works for any type whose `init(from:)` asks for its keys (with `decode` or `decodeIfPresent`),
/// which is how every policy type is written: keys asked for are the known keys.
public enum ConfigDecoder {
    /// Decodes `T` from a YAML document. An empty document decodes as an empty mapping (all defaults).
    public static func decode<T: Decodable>(_ type: T.Type, fromYAML yaml: String) throws(SwitchboardError) -> T {
        let root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node.mapping(Node.Mapping([]))
        } catch {
            throw SwitchboardError(
                .invalidArgument, "the configuration is not valid YAML: \(error)", field: nil, cause: String(describing: error))
        }
        let audit = KeyAudit()
        let value: T
        do {
            value = try T(from: NodeDecoder(node: root, codingPath: [], audit: audit))
        } catch let error as DecodingError {
            throw ConfigDecoder.describe(error, root: root)
        } catch let error as SwitchboardError {
            throw error
        } catch {
            throw SwitchboardError(.invalidArgument, "the configuration could not be read: \(error)")
        }
        if let unknown = audit.firstUnknownKey() {
            throw unknown
        }
        return value
    }

    /// Renders a coding path as `routing.offer_timeout.voice` or `routing.relaxation[1].after`.
    static func render(_ path: [any CodingKey]) -> String {
        var s = ""
        for key in path {
            if let i = key.intValue, key.stringValue == "Index \(i)" || key.stringValue == String(i) {
                s += "[\(i)]"
            } else {
                if !s.isEmpty { s += "." }
                s += key.stringValue
            }
        }
        return s.isEmpty ? "(top level)" : s
    }

    static func describe(_ error: DecodingError, root: Node) -> SwitchboardError {
        let path: [any CodingKey]
        let message: String
        switch error {
        case .typeMismatch(_, let c), .dataCorrupted(let c), .valueNotFound(_, let c):
            path = c.codingPath
            message = c.debugDescription
        case .keyNotFound(let key, let c):
            path = c.codingPath + [key]
            message = "required key is missing"
        @unknown default:
            return SwitchboardError(.invalidArgument, "the configuration could not be read: \(error)")
        }
        let field = render(path)
        var text = "\(field): \(message)"
        if let mark = locate(path, in: root)?.mark { text += " (line \(mark.line), column \(mark.column))" }
        return SwitchboardError(.invalidArgument, text, field: field)
    }

    /// The node at a coding path, for its line and column.
    static func locate(_ path: [any CodingKey], in root: Node) -> Node? {
        var node = root
        for key in path {
            switch node {
            case .mapping(let m):
                guard let next = m[key.stringValue] else { return node }
                node = next
            case .sequence(let s):
                guard let i = key.intValue, s.indices.contains(i) else { return node }
                node = s[i]
            default:
                return node
            }
        }
        return node
    }
}

/// Which keys each mapping held and which keys the decoded types asked for.
final class KeyAudit {
    struct Entry {
        var path: [any CodingKey]
        var present: [(key: String, mark: Mark?)]
        var asked: Set<String> = []
        var acceptsAny = false
    }
    var entries: [String: Entry] = [:]
    var order: [String] = []

    func register(path: [any CodingKey], mapping: Node.Mapping) {
        let id = ConfigDecoder.render(path)
        if entries[id] != nil { return }
        entries[id] = Entry(path: path, present: mapping.map { ($0.key.string ?? "\($0.key)", $0.key.mark) })
        order.append(id)
    }

    func asked(_ key: String, at path: [any CodingKey]) {
        entries[ConfigDecoder.render(path)]?.asked.insert(key)
    }

    func acceptsAnyKey(at path: [any CodingKey]) {
        entries[ConfigDecoder.render(path)]?.acceptsAny = true
    }

    func firstUnknownKey() -> SwitchboardError? {
        for id in order {
            guard let e = entries[id], !e.acceptsAny else { continue }
            for (key, mark) in e.present where !e.asked.contains(key) {
                let field = ConfigDecoder.render(e.path + [PathKey(key)])
                var message = "\(field): unknown key"
                let known = e.asked.sorted()
                if let guess = known.min(by: { editDistance($0, key) < editDistance($1, key) }), editDistance(guess, key) <= max(2, key.count / 3) {
                    message += "; did you mean \(guess)?"
                }
                if !known.isEmpty { message += " Known keys here: \(known.joined(separator: ", "))." }
                if let mark { message += " (line \(mark.line), column \(mark.column))" }
                return SwitchboardError(.invalidArgument, message, field: field)
            }
        }
        return nil
    }

    func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// A coding key made from a string or an index.
struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}

/// A `Decoder` over a Yams node tree.
struct NodeDecoder: Decoder {
    let node: Node
    let codingPath: [any CodingKey]
    let audit: KeyAudit
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let m) = node else {
            throw DecodingError.typeMismatch(
                [String: Any].self, .init(codingPath: codingPath, debugDescription: "expected a mapping of keys, got \(NodeDecoder.describe(node))"))
        }
        var seen = Set<String>()
        for (k, _) in m {
            let name = k.string ?? "\(k)"
            if !seen.insert(name).inserted {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [PathKey(name)], debugDescription: "key appears twice"))
            }
        }
        audit.register(path: codingPath, mapping: m)
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(mapping: m, codingPath: codingPath, audit: audit))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let s) = node else {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: codingPath, debugDescription: "expected a list, got \(NodeDecoder.describe(node))"))
        }
        return UnkeyedNodeContainer(items: Array(s), codingPath: codingPath, audit: audit)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath, audit: audit)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): "'\(s.string.prefix(60))'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Decodes a value, with the special cases that make configuration errors readable.
    static func decode<T: Decodable>(_ type: T.Type, node: Node, codingPath: [any CodingKey], audit: KeyAudit) throws -> T {
        if T.self == Span.self, let span = try decodeSpan(node, codingPath: codingPath) as? T { return span }
        if T.self == Double.self, let v = try scalarValue(node, codingPath, "a number", { Double($0).flatMap { $0.isFinite ? $0 : nil } }) as? T { return v }
        if T.self == Int.self, let v = try scalarValue(node, codingPath, "a whole number", { Int($0) }) as? T { return v }
        if T.self == Bool.self, let v = try scalarValue(node, codingPath, "true or false", parseBool) as? T { return v }
        if T.self == String.self, let v = try scalarValue(node, codingPath, "a string", { $0 }) as? T { return v }
        do {
            return try T(from: NodeDecoder(node: node, codingPath: codingPath, audit: audit))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.count == codingPath.count {
            if let choices = enumChoices(T.self), case .scalar(let s) = node {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "expected one of \(choices.joined(separator: ", ")); got '\(s.string)'"))
            }
            throw DecodingError.dataCorrupted(context)
        }
    }

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    static func scalarValue<V>(_ node: Node, _ codingPath: [any CodingKey], _ expected: String, _ parse: (String) -> V?) throws -> V {
        guard case .scalar(let s) = node else {
            throw DecodingError.typeMismatch(V.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), got \(describe(node))"))
        }
        guard let v = parse(s.string) else {
            throw DecodingError.typeMismatch(V.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), got '\(s.string.prefix(60))'"))
        }
        return v
    }

    /// Seconds (`90`, `0.5`) or a number with a unit: `ms`, `s`, `m`, `h`, `d`.
    static func decodeSpan(_ node: Node, codingPath: [any CodingKey]) throws -> Span {
        let expected = "a number of seconds or a duration such as 30s, 15m, 2h, 7d"
        return try scalarValue(node, codingPath, expected) { text -> Span? in
            let t = text.trimmingPrefix(while: \.isWhitespace)
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
            for (suffix, scale) in units where t.hasSuffix(suffix) {
                let number = t.dropLast(suffix.count).trimmingPrefix(while: \.isWhitespace)
                let trimmed = String(number.reversed().drop(while: \.isWhitespace).reversed())
                guard let v = Double(trimmed), v.isFinite, abs(v * scale) < 1e12 else { return nil }
                return .seconds(v * scale)
            }
            guard let v = Double(t), v.isFinite, abs(v) < 1e12 else { return nil }
            return .seconds(v)
        }
    }

    /// The raw values of a `CaseIterable` enum with `String` raw values, for error messages.
    static func enumChoices(_ type: Any.Type) -> [String]? {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        func names<C: CaseIterable>(_ t: C.Type) -> [String] {
            C.allCases.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
        }
        let all = names(iterable)
        return all.isEmpty ? nil : all
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let mapping: Node.Mapping
    let codingPath: [any CodingKey]
    let audit: KeyAudit

    var allKeys: [Key] {
        audit.acceptsAnyKey(at: codingPath)
        return mapping.compactMap { $0.key.string.flatMap(Key.init(stringValue:)) }
    }

    func value(_ key: Key) -> Node? {
        audit.asked(key.stringValue, at: codingPath)
        return mapping[key.stringValue]
    }

    func contains(_ key: Key) -> Bool { value(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = value(key) else { return true }
        return SingleNodeContainer.isNull(node)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let node = value(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required key is missing"))
        }
        return try NodeDecoder.decode(type, node: node, codingPath: codingPath + [key], audit: audit)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = value(key), !SingleNodeContainer.isNull(node) else { return nil }
        return try NodeDecoder.decode(type, node: node, codingPath: codingPath + [key], audit: audit)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try superDecoder(forKey: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try superDecoder(forKey: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        NodeDecoder(node: .mapping(mapping), codingPath: codingPath, audit: audit)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        guard let node = value(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required key is missing"))
        }
        return NodeDecoder(node: node, codingPath: codingPath + [key], audit: audit)
    }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let items: [Node]
    let codingPath: [any CodingKey]
    let audit: KeyAudit
    var currentIndex = 0

    init(items: [Node], codingPath: [any CodingKey], audit: KeyAudit) {
        self.items = items
        self.codingPath = codingPath
        self.audit = audit
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> (Node, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the list is too short"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [PathKey(index: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, SingleNodeContainer.isNull(items[currentIndex]) else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next()
        return try NodeDecoder.decode(type, node: node, codingPath: path, audit: audit)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path) = try next()
        return try NodeDecoder(node: node, codingPath: path, audit: audit).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next()
        return try NodeDecoder(node: node, codingPath: path, audit: audit).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next()
        return NodeDecoder(node: node, codingPath: path, audit: audit)
    }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    let audit: KeyAudit

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return false }
        return s.string.isEmpty || s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
    }

    func decodeNil() -> Bool { SingleNodeContainer.isNull(node) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try NodeDecoder.decode(type, node: node, codingPath: codingPath, audit: audit)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try NodeDecoder.decode(type, node: node, codingPath: codingPath, audit: audit) }
    func decode(_ type: String.Type) throws -> String { try NodeDecoder.decode(type, node: node, codingPath: codingPath, audit: audit) }
    func decode(_ type: Double.Type) throws -> Double { try NodeDecoder.decode(type, node: node, codingPath: codingPath, audit: audit) }
    func decode(_ type: Int.Type) throws -> Int { try NodeDecoder.decode(type, node: node, codingPath: codingPath, audit: audit) }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int64.Type) throws -> Int64 { Int64(try decode(Int.self)) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(try decode(Int.self)) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(try decode(Int.self)) }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(try decode(Int.self)) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(try decode(Int.self)) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(try decode(Int.self)) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(try decode(Int.self)) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(try decode(Int.self)) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(try decode(Int.self)) }

    func narrow<I: FixedWidthInteger>(_ v: Int) throws -> I {
        guard let n = I(exactly: v) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "\(v) is out of range (\(I.min)...\(I.max))"))
        }
        return n
    }
}
