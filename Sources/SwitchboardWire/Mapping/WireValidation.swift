import SwitchboardDomain

/// Field rules shared by the request mappings. Every check throws `invalidArgument` naming the
/// field in the wire's spelling (`identifiers[1].phone`, `required_skills[0].minimum_level`), so a
/// client author can find the field in the .proto file.
public enum WireValidation {
    /// A string that must not be longer than `limit` UTF-8 bytes (the .proto states each limit).
    public static func checkLength(_ value: String, max limit: Int, field: @autoclosure () -> String) throws(SwitchboardError) {
        let bytes = value.utf8.count
        guard bytes <= limit else {
            throw .invalidArgument("is \(bytes) bytes long; at most \(limit) are allowed", field: field())
        }
    }

    /// A string that must be present and not longer than `limit` UTF-8 bytes.
    public static func checkRequired(_ value: String, max limit: Int, field: @autoclosure () -> String) throws(SwitchboardError) {
        guard !value.isEmpty else { throw .invalidArgument("is required and must not be empty", field: field()) }
        try checkLength(value, max: limit, field: field())
    }

    /// A repeated field that may hold at most `limit` entries.
    public static func checkCount(_ count: Int, max limit: Int, field: @autoclosure () -> String) throws(SwitchboardError) {
        guard count <= limit else {
            throw .invalidArgument("has \(count) entries; at most \(limit) are allowed", field: field())
        }
    }

    /// Empty strings are "not set" in proto3: nil.
    public static func optional(_ value: String) -> String? { value.isEmpty ? nil : value }
}
