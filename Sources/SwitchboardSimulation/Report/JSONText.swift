/// A small ordered JSON writer: reports print keys in a stable, documented order (JSONSerialization
/// does not keep order), and non-finite numbers become `null` rather than invalid JSON.
public indirect enum JSONText: Sendable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case null
    case array([JSONText])
    case object([(String, JSONText)])

    public static func num(_ d: Double?) -> JSONText {
        guard let d, d.isFinite else { return .null }
        return .number(d)
    }

    public func render(indent: Int? = nil) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: Int?, level: Int) {
        switch self {
        case .string(let s): JSONText.escape(s, into: &out)
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += String(d) }
        case .integer(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "]"
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                JSONText.escape(k, into: &out)
                out += indent == nil ? ":" : ": "
                v.write(to: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ indent: Int?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if ch.value < 0x20 {
                    let hex = String(ch.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        out += "\""
    }
}

extension ErlangResult {
    /// The documented JSON of `switchboard erlang --json`.
    public var json: JSONText {
        var fields: [(String, JSONText)] = [
            ("agents", .integer(agents)),
            ("offered_load_erlangs", .num(offeredLoad)),
            ("p_wait", .num(pWait)),
            ("service_level", .num(serviceLevel)),
            ("asa_seconds", .num(asaSeconds)),
            ("mean_wait_seconds", .num(meanWaitSeconds)),
            ("occupancy", .num(occupancy)),
        ]
        if let pAbandon { fields.append(("p_abandon", .num(pAbandon))) }
        fields.append(("stable", .bool(stable)))
        return .object(fields)
    }
}
