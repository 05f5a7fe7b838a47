import SwiftProtobuf
import SwitchboardWire
import Testing

/// The method registry: every v1 method, its types, and JSON in and out.
@Suite struct WireMethodTests {
    /// The registry lists exactly the v1 methods of WIRE-SPEC and issue 4, with gRPC-style paths.
    @Test func registryListsEveryV1Method() {
        let expected = [
            "/switchboard.v1.Health/Check",
            "/switchboard.v1.Ingest/PushContact", "/switchboard.v1.Ingest/UpdateContact", "/switchboard.v1.Ingest/EndContact",
            "/switchboard.v1.Agents/Login", "/switchboard.v1.Agents/Logout", "/switchboard.v1.Agents/SetStatus",
            "/switchboard.v1.Agents/StreamOffers", "/switchboard.v1.Agents/Accept", "/switchboard.v1.Agents/Decline",
            "/switchboard.v1.Agents/Complete", "/switchboard.v1.Agents/Transfer", "/switchboard.v1.Agents/Heartbeat",
            "/switchboard.v1.Cases/GetCase", "/switchboard.v1.Cases/FindCustomer",
            "/switchboard.v1.Stats/GetStats",
        ]
        #expect(WireMethod.allCases.map(\.path) == expected)
        for method in WireMethod.allCases {
            #expect(WireMethod(path: method.path) == method)
            #expect(method.path == "/\(method.service)/\(method.name)")
        }
    }

    /// Each method's types follow the proto: `<Name>Request` in, `<Name>Response` out (Health/Check
    /// uses HealthCheck...), all in package switchboard.v1.
    @Test func typesFollowTheProtoNaming() {
        for method in WireMethod.allCases {
            let base = method == .healthCheck ? "HealthCheck" : method.name
            #expect(method.requestTypeName == "switchboard.v1.\(base)Request")
            #expect(method.responseTypeName == "switchboard.v1.\(base)Response")
        }
    }

    /// Only StreamOffers streams.
    @Test func onlyStreamOffersStreams() {
        #expect(WireMethod.allCases.filter { $0.shape == .serverStreaming } == [.agentsStreamOffers])
        #expect(WireMethod.listing.contains("/switchboard.v1.Agents/StreamOffers  switchboard.v1.StreamOffersRequest → stream switchboard.v1.StreamOffersResponse"))
    }

    /// Paths are matched exactly: another case, a missing slash or trailing text is unknown.
    @Test(arguments: ["", "/", "/switchboard.v1.health/Check", "switchboard.v1.Health/Check", "/switchboard.v1.Health/Check/", "/switchboard.v2.Health/Check"])
    func unknownPathsAreNotMethods(path: String) {
        #expect(WireMethod(path: path) == nil)
        #expect(WireError.unknownMethod(path).status == .unimplemented)
    }

    /// `switchboard call` turns JSON into a binary request and a binary reply into JSON.
    @Test func jsonRequestBecomesBinaryAndBack() throws {
        let body = try WireMethod.ingestPushContact.requestBody(fromJSON: """
            {"channel": "CHANNEL_EMAIL", "identifiers": [{"email": "ana@example.com"}], "priority": 7,
             "email": {"messageId": "<m1@x>"}, "metadata": {"crm": "42"}}
            """)
        let request = try WireBody.decode(Switchboard_V1_PushContactRequest.self, from: body)
        #expect(request.channel == .email)
        #expect(request.identifiers.first?.email == "ana@example.com")
        #expect(request.priority == 7)
        #expect(request.email.messageID == "<m1@x>")
        #expect(request.metadata == ["crm": "42"])
        let json = try WireMethod.ingestPushContact.requestJSON(fromBody: body)
        #expect(json.contains("\"message_id\":\"<m1@x>\""))
    }

    /// An empty JSON object is the empty request: `switchboard call /switchboard.v1.Health/Check '{}'`.
    @Test func emptyJSONIsAnEmptyBody() throws {
        #expect(try WireMethod.healthCheck.requestBody(fromJSON: "{}") == [])
    }

    /// A reply body prints as JSON with proto field names and enum names.
    @Test func replyPrintsAsJSON() throws {
        var reply = Switchboard_V1_HealthCheckResponse()
        reply.status = .serving
        reply.version = "0.1.0"
        reply.uptimeMicros = 5
        let json = try WireMethod.healthCheck.responseJSON(fromBody: try WireBody.encode(reply))
        #expect(json == #"{"status":"SERVING","version":"0.1.0","uptime_micros":"5"}"#)
    }

    /// A misspelt JSON field is an error naming the field, not silently dropped.
    @Test func unknownJSONFieldIsReported() {
        #expect {
            try WireMethod.agentsLogin.requestBody(fromJSON: #"{"agentId": "a1", "skilz": []}"#)
        } throws: { error in
            guard let error = error as? WireError else { return false }
            return error.status == .invalidArgument && error.message.contains("skilz")
                && error.message.contains("switchboard.v1.LoginRequest")
        }
    }

    /// A body that is not valid protobuf is INVALID_ARGUMENT naming the type.
    @Test(arguments: [[0x0A, 0x05, 0x61], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x07]] as [[UInt8]])
    func malformedBodyIsInvalidArgument(body: [UInt8]) {
        #expect {
            _ = try WireMethod.agentsLogin.decodeRequest(body)
        } throws: { error in
            guard let error = error as? WireError else { return false }
            return error.status == .invalidArgument && error.message.contains("switchboard.v1.LoginRequest")
        }
    }

    /// A string that is not UTF-8 is refused.
    @Test func nonUTF8StringIsInvalidArgument() {
        #expect(throws: WireError(.invalidArgument, "the body is not a valid switchboard.v1.LoginRequest: a string field is not valid UTF-8")) {
            _ = try WireMethod.agentsLogin.decodeRequest([0x0A, 0x02, 0xC3, 0x28])
        }
    }

    /// Fields a newer client sends that this build does not know are skipped, not an error.
    @Test func unknownFieldsAreSkipped() throws {
        // field 99, varint 1; then agent_id "a"
        let body: [UInt8] = [0x98, 0x06, 0x01, 0x0A, 0x01, 0x61]
        let request = try WireBody.decode(Switchboard_V1_LogoutRequest.self, from: body)
        #expect(request.agentID == "a")
        #expect(request.unknownFields.data.isEmpty)
    }

    /// Bodies over the size limit are refused without decoding.
    @Test func oversizedBodyIsRefused() {
        let body = [UInt8](repeating: 0, count: WireLimits.maxBodySize + 1)
        #expect {
            _ = try WireBody.decode(Switchboard_V1_HealthCheckRequest.self, from: body)
        } throws: { error in
            (error as? WireError)?.status == .invalidArgument
        }
    }

    /// Nesting deeper than the limit is refused rather than recursing without bound. No v1 message
    /// is recursive, so the depth comes from unknown nested groups (field 99, wire type 3), which
    /// the decoder must walk to skip.
    @Test func deepNestingIsRefused() {
        let depth = WireLimits.messageDepthLimit + 8
        let start: [UInt8] = [0x9B, 0x06] // field 99, start group
        let end: [UInt8] = [0x9C, 0x06] // field 99, end group
        let body = Array(repeating: start, count: depth).flatMap { $0 } + Array(repeating: end, count: depth).flatMap { $0 }
        #expect {
            _ = try WireBody.decode(Switchboard_V1_LogoutRequest.self, from: body)
        } throws: { error in
            (error as? WireError)?.status == .invalidArgument
        }
        let shallow = Array(repeating: start, count: 4).flatMap { $0 } + Array(repeating: end, count: 4).flatMap { $0 }
        #expect(throws: Never.self) { _ = try WireBody.decode(Switchboard_V1_LogoutRequest.self, from: shallow) }
    }

    /// A body decodes straight from memory we do not own (a ZeroMQ frame), with the same limits
    /// and errors as from an array.
    @Test func bodyDecodesFromRawMemory() throws {
        var request = Switchboard_V1_LoginRequest()
        request.agentID = "agent-7"
        request.languages = ["es", "en"]
        let body = try WireBody.encode(request)
        let decoded = try body.withUnsafeBytes { raw in try WireBody.decode(Switchboard_V1_LoginRequest.self, from: raw) }
        #expect(decoded == request)
        let broken: [UInt8] = [0x0A, 0x05, 0x61]
        #expect(throws: WireError(.invalidArgument, "the body is not a valid switchboard.v1.LoginRequest: it ends in the middle of a field (truncated)")) {
            _ = try broken.withUnsafeBytes { raw in try WireBody.decode(Switchboard_V1_LoginRequest.self, from: raw) }
        }
    }

    /// A method in the contract that the server does not back yet says so, as UNIMPLEMENTED.
    @Test func notYetServedNamesTheMethod() {
        let error = WireError.notYetServed(.casesGetCase)
        #expect(error.status == .unimplemented)
        #expect(error.message.hasPrefix("/switchboard.v1.Cases/GetCase is part of the v1 contract"))
    }

    /// Events publish under topics a subscriber can filter by prefix.
    @Test func eventTopics() {
        var event = Switchboard_V1_Event()
        #expect(event.topic == nil)
        var assigned = Switchboard_V1_ContactAssigned()
        assigned.channel = .voice
        event.contactAssigned = assigned
        #expect(event.topic == "contact.assigned.voice")
        event.agentStateChanged = Switchboard_V1_AgentStateChanged()
        #expect(event.topic == "agent.state")
        event.customersMerged = Switchboard_V1_CustomersMerged()
        #expect(event.topic == "case.merged")
    }
}
