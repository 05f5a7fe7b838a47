import SwiftProtobuf

/// Encoding and decoding of message bodies with the wire's limits. Every body a peer sends goes
/// through `decode`, so no peer can make us decode more than `WireLimits.maxBodySize` bytes or nest
/// deeper than `WireLimits.messageDepthLimit`, and every failure is a `WireError` that says which
/// type did not decode and why.
public enum WireBody {
    /// The options every binary body is decoded with: bounded nesting, and unknown fields dropped
    /// (a newer client may send fields this server does not know; keeping them would only cost
    /// memory, since we never re-send a request).
    public static let decodingOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = WireLimits.messageDepthLimit
        options.discardUnknownFields = true
        return options
    }()

    /// The options JSON is read with (`switchboard call`): bounded nesting; unknown field names are
    /// an error so that a misspelt field is reported, not ignored.
    public static let jsonDecodingOptions: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.messageDepthLimit = WireLimits.messageDepthLimit
        options.ignoreUnknownFields = false
        return options
    }()

    /// The options JSON is written with: field names as in the .proto files (`contact_id`), so what
    /// `switchboard call` prints matches docs/protocol.md; map keys sorted so output is stable.
    public static let jsonEncodingOptions: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        options.useDeterministicOrdering = true
        return options
    }()

    /// Decodes a body as `type`. Works with a type known only at run time too (`WireMethod.requestType`):
    /// Swift opens the existential and the result comes back as `any Message`.
    public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from body: [UInt8]) throws(WireError) -> M {
        guard body.count <= WireLimits.maxBodySize else {
            throw WireError(.invalidArgument, "the \(M.protoMessageName) body is \(body.count) bytes; at most \(WireLimits.maxBodySize) are allowed")
        }
        do {
            return try M(serializedBytes: body, options: decodingOptions)
        } catch {
            throw WireError(.invalidArgument, "the body is not a valid \(M.protoMessageName): \(describe(error))")
        }
    }

    /// Decodes a body held in memory we do not own (a ZeroMQ message), without copying it into an
    /// array first.
    public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from body: UnsafeRawBufferPointer) throws(WireError) -> M {
        guard body.count <= WireLimits.maxBodySize else {
            throw WireError(.invalidArgument, "the \(M.protoMessageName) body is \(body.count) bytes; at most \(WireLimits.maxBodySize) are allowed")
        }
        do {
            return try M(serializedBytes: RawSpan(_unsafeBytes: body), options: decodingOptions)
        } catch {
            throw WireError(.invalidArgument, "the body is not a valid \(M.protoMessageName): \(describe(error))")
        }
    }

    /// The binary encoding of a message (a reply or a request body). Fails only for a message our own
    /// code built wrongly (the contract has no required fields), hence INTERNAL.
    public static func encode(_ message: some SwiftProtobuf.Message) throws(WireError) -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw WireError(.internal, "could not encode \(type(of: message).protoMessageName): \(error)")
        }
    }

    /// Reads a message of `type` from JSON (protobuf JSON mapping; both `contact_id` and `contactId`
    /// are accepted). The error names the type and what is wrong, as INVALID_ARGUMENT.
    public static func decodeJSON<M: SwiftProtobuf.Message>(_ type: M.Type, from json: String) throws(WireError) -> M {
        guard json.utf8.count <= WireLimits.maxBodySize else {
            throw WireError(.invalidArgument, "the JSON for \(M.protoMessageName) is \(json.utf8.count) bytes; at most \(WireLimits.maxBodySize) are allowed")
        }
        do {
            return try M(jsonString: json, options: jsonDecodingOptions)
        } catch {
            throw WireError(.invalidArgument, "the JSON is not a valid \(M.protoMessageName): \(describe(error))")
        }
    }

    /// A message as JSON (proto field names, protobuf JSON mapping).
    public static func json(of message: any SwiftProtobuf.Message) throws(WireError) -> String {
        do {
            return try message.jsonString(options: jsonEncodingOptions)
        } catch {
            throw WireError(.internal, "could not write \(type(of: message).protoMessageName) as JSON: \(error)")
        }
    }

    /// SwiftProtobuf's decoding errors in words a client author can act on.
    static func describe(_ error: any Error) -> String {
        if let error = error as? BinaryDecodingError {
            switch error {
            case .truncated: return "it ends in the middle of a field (truncated)"
            case .malformedProtobuf: return "it is not valid protobuf (a bad tag, wire type or length)"
            case .invalidUTF8: return "a string field is not valid UTF-8"
            case .messageDepthLimit: return "messages nest deeper than \(WireLimits.messageDepthLimit) levels"
            case .trailingGarbage: return "there are bytes after the message"
            case .missingRequiredFields: return "required fields are missing"
            case .internalExtensionError: return "an extension could not be decoded"
            }
        }
        if let error = error as? JSONDecodingError {
            switch error {
            case .unknownField(let name): return "it has no field named '\(name)'"
            case .unrecognizedEnumValue: return "an enum value is not one of the enum's names"
            case .truncated: return "the JSON ends too early"
            case .malformedNumber: return "a number is malformed"
            case .numberRange: return "a number is out of its field's range"
            case .malformedString: return "a string is malformed"
            case .malformedBool: return "a bool is not true or false"
            case .conflictingOneOf: return "more than one field of a oneof is set"
            case .schemaMismatch: return "a value has the wrong JSON type for its field"
            case .messageDepthLimit: return "objects nest deeper than \(WireLimits.messageDepthLimit) levels"
            case .trailingGarbage: return "there is text after the JSON object"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
