import SwiftProtobuf

/// Every method of the v1 contract, with its path, its request and response types and whether it
/// streams. The server dispatches on it (an exhaustive `switch`, so a method added to the contract
/// cannot be forgotten), `switchboard call --list` prints it, and `switchboard call` uses it to turn
/// JSON into a request body and a reply body into JSON.
///
/// Paths are gRPC's: `/` + the proto package + `.` + the service + `/` + the method, matched
/// exactly (case-sensitive).
public enum WireMethod: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case healthCheck = "/switchboard.v1.Health/Check"

    case ingestPushContact = "/switchboard.v1.Ingest/PushContact"
    case ingestUpdateContact = "/switchboard.v1.Ingest/UpdateContact"
    case ingestEndContact = "/switchboard.v1.Ingest/EndContact"

    case agentsLogin = "/switchboard.v1.Agents/Login"
    case agentsLogout = "/switchboard.v1.Agents/Logout"
    case agentsSetStatus = "/switchboard.v1.Agents/SetStatus"
    case agentsStreamOffers = "/switchboard.v1.Agents/StreamOffers"
    case agentsAccept = "/switchboard.v1.Agents/Accept"
    case agentsDecline = "/switchboard.v1.Agents/Decline"
    case agentsComplete = "/switchboard.v1.Agents/Complete"
    case agentsTransfer = "/switchboard.v1.Agents/Transfer"
    case agentsHeartbeat = "/switchboard.v1.Agents/Heartbeat"

    case casesGetCase = "/switchboard.v1.Cases/GetCase"
    case casesFindCustomer = "/switchboard.v1.Cases/FindCustomer"

    case statsGetStats = "/switchboard.v1.Stats/GetStats"

    /// How a method answers.
    public enum Shape: String, Hashable, Sendable {
        /// REQUEST → exactly one RESPONSE.
        case unary
        /// REQUEST → zero or more STREAM_MESSAGE → exactly one STREAM_END.
        case serverStreaming = "server-streaming"
    }

    /// The method path, as sent in a REQUEST header.
    public var path: String { rawValue }

    /// The fully qualified service ("switchboard.v1.Ingest").
    public var service: String {
        let trimmed = rawValue.dropFirst()
        return String(trimmed.prefix { $0 != "/" })
    }

    /// The method's own name ("PushContact").
    public var name: String {
        String(rawValue.reversed().prefix { $0 != "/" }.reversed())
    }

    public var description: String { rawValue }

    /// The method for a path, or nil when the path is not in the contract (answer UNIMPLEMENTED).
    public init?(path: String) {
        guard let method = Self.byPath[path] else { return nil }
        self = method
    }

    private static let byPath: [String: WireMethod] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// Unary or server streaming.
    public var shape: Shape { self == .agentsStreamOffers ? .serverStreaming : .unary }

    /// The request message type.
    public var requestType: any SwiftProtobuf.Message.Type {
        switch self {
        case .healthCheck: Switchboard_V1_HealthCheckRequest.self
        case .ingestPushContact: Switchboard_V1_PushContactRequest.self
        case .ingestUpdateContact: Switchboard_V1_UpdateContactRequest.self
        case .ingestEndContact: Switchboard_V1_EndContactRequest.self
        case .agentsLogin: Switchboard_V1_LoginRequest.self
        case .agentsLogout: Switchboard_V1_LogoutRequest.self
        case .agentsSetStatus: Switchboard_V1_SetStatusRequest.self
        case .agentsStreamOffers: Switchboard_V1_StreamOffersRequest.self
        case .agentsAccept: Switchboard_V1_AcceptRequest.self
        case .agentsDecline: Switchboard_V1_DeclineRequest.self
        case .agentsComplete: Switchboard_V1_CompleteRequest.self
        case .agentsTransfer: Switchboard_V1_TransferRequest.self
        case .agentsHeartbeat: Switchboard_V1_HeartbeatRequest.self
        case .casesGetCase: Switchboard_V1_GetCaseRequest.self
        case .casesFindCustomer: Switchboard_V1_FindCustomerRequest.self
        case .statsGetStats: Switchboard_V1_GetStatsRequest.self
        }
    }

    /// The response message type: the body of an OK RESPONSE, or of each STREAM_MESSAGE for a
    /// server-streaming method.
    public var responseType: any SwiftProtobuf.Message.Type {
        switch self {
        case .healthCheck: Switchboard_V1_HealthCheckResponse.self
        case .ingestPushContact: Switchboard_V1_PushContactResponse.self
        case .ingestUpdateContact: Switchboard_V1_UpdateContactResponse.self
        case .ingestEndContact: Switchboard_V1_EndContactResponse.self
        case .agentsLogin: Switchboard_V1_LoginResponse.self
        case .agentsLogout: Switchboard_V1_LogoutResponse.self
        case .agentsSetStatus: Switchboard_V1_SetStatusResponse.self
        case .agentsStreamOffers: Switchboard_V1_StreamOffersResponse.self
        case .agentsAccept: Switchboard_V1_AcceptResponse.self
        case .agentsDecline: Switchboard_V1_DeclineResponse.self
        case .agentsComplete: Switchboard_V1_CompleteResponse.self
        case .agentsTransfer: Switchboard_V1_TransferResponse.self
        case .agentsHeartbeat: Switchboard_V1_HeartbeatResponse.self
        case .casesGetCase: Switchboard_V1_GetCaseResponse.self
        case .casesFindCustomer: Switchboard_V1_FindCustomerResponse.self
        case .statsGetStats: Switchboard_V1_GetStatsResponse.self
        }
    }

    /// The request type's protobuf name ("switchboard.v1.HealthCheckRequest").
    public var requestTypeName: String { requestType.protoMessageName }
    /// The response (or stream element) type's protobuf name.
    public var responseTypeName: String { responseType.protoMessageName }

    /// One line per method for `switchboard call --list`: path, shape, request → response.
    public static var listing: String {
        allCases.map { m in
            let arrow = m.shape == .serverStreaming ? "→ stream" : "→"
            return "\(m.path)  \(m.requestTypeName) \(arrow) \(m.responseTypeName)"
        }.joined(separator: "\n")
    }
}

// MARK: - Bodies by method

extension WireMethod {
    /// Decodes a request body for this method, with the wire's limits; the error is INVALID_ARGUMENT
    /// naming the type and what is wrong.
    public func decodeRequest(_ body: [UInt8]) throws(WireError) -> any SwiftProtobuf.Message {
        try WireBody.decode(requestType, from: body)
    }

    /// Decodes a response (or stream element) body for this method.
    public func decodeResponse(_ body: [UInt8]) throws(WireError) -> any SwiftProtobuf.Message {
        try WireBody.decode(responseType, from: body)
    }

    /// Reads a request written in the protobuf JSON mapping (`{}` or `{"channel": "CHANNEL_EMAIL"}`)
    /// and returns its binary body, ready to send. Unknown JSON fields are an error, so a typo in a
    /// field name is caught rather than silently dropped.
    public func requestBody(fromJSON json: String) throws(WireError) -> [UInt8] {
        let message = try WireBody.decodeJSON(requestType, from: json)
        return try WireBody.encode(message)
    }

    /// The JSON (protobuf JSON mapping, proto field names as written in the .proto) of a request body.
    public func requestJSON(fromBody body: [UInt8]) throws(WireError) -> String {
        try WireBody.json(of: decodeRequest(body))
    }

    /// The JSON of a response (or stream element) body, for printing a reply.
    public func responseJSON(fromBody body: [UInt8]) throws(WireError) -> String {
        try WireBody.json(of: decodeResponse(body))
    }
}
