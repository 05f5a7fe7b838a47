import SwitchboardDomain
import SwitchboardWire
import Testing

/// Header encoding and decoding, including every way a header can be malformed.
@Suite struct FrameHeaderTests {
    static let samples: [FrameHeader] = [
        .request(id: 1, method: "/switchboard.v1.Health/Check", timeoutMilliseconds: 1000),
        .request(id: .max, method: "/switchboard.v1.Agents/StreamOffers"),
        .response(id: 7),
        .response(id: 7, status: .invalidArgument, message: "identifiers[0].email: not an email address"),
        .response(id: 8, status: .unavailable, message: "storage failing: réessayez plus tard ✓"),
        .streamMessage(id: 9),
        .streamEnd(id: 9, status: .cancelled, message: "cancelled by the client"),
        .streamEnd(id: 10),
        .cancel(id: 9),
        .ping(id: 0x0102_0304_0506_0708),
        .pong(id: 0),
    ]

    /// Every kind survives encode → decode unchanged.
    @Test(arguments: samples)
    func headerRoundTrips(_ header: FrameHeader) throws {
        let bytes = try header.encoded()
        #expect(bytes.count == FrameHeader.fixedSize + header.text.utf8.count)
        #expect(try FrameHeader(decoding: bytes) == header)
    }

    /// Random headers (seeded, so a failure repeats) survive a round trip, with every status and a
    /// text of random length up to the limit.
    @Test func randomHeadersRoundTrip() throws {
        let seed: UInt64 = 0x5B_2026
        var rng = SplitMix64(seed: seed)
        for _ in 0..<2_000 {
            let kind = FrameHeader.Kind.allCases.randomElement(using: &rng) ?? .request
            let textLength = Int.random(in: 0...WireLimits.maxHeaderTextLength, using: &rng)
            let text = kind == .request || kind.carriesStatus
                ? String((0..<textLength).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng))) })
                : ""
            let header = FrameHeader(
                kind: kind,
                status: kind.carriesStatus ? (StatusCode.allCases.randomElement(using: &rng) ?? .ok) : .ok,
                requestID: rng.next(),
                timeoutMilliseconds: kind == .request ? UInt32.random(in: 0...UInt32.max, using: &rng) : 0,
                text: text
            )
            let decoded = try FrameHeader(decoding: try header.encoded())
            #expect(decoded == header, "seed \(seed)")
        }
    }

    /// The byte layout is the one in WIRE-SPEC: little-endian fields at fixed offsets.
    @Test func headerLayoutIsLittleEndianAtFixedOffsets() throws {
        let header = FrameHeader(kind: .response, status: .notFound, requestID: 0x1122_3344_5566_7788, text: "ab")
        let bytes = try header.encoded()
        #expect(bytes == [
            0x53, 0x42, 0x01, 0x02, // magic, version, kind RESPONSE
            0x00, 0x00, // flags
            0x05, 0x00, // status NOT_FOUND
            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // request id
            0x00, 0x00, 0x00, 0x00, // timeout
            0x02, 0x00, // text length
            0x61, 0x62, // "ab"
        ])
    }

    /// A status message longer than 1024 bytes is cut on a character boundary, never refused.
    @Test func longStatusMessageIsCutOnACharacterBoundary() throws {
        let message = String(repeating: "a", count: 1023) + "é" + String(repeating: "b", count: 100)
        let header = FrameHeader.response(id: 1, status: .internal, message: message)
        #expect(header.text == String(repeating: "a", count: 1023))
        let decoded = try FrameHeader(decoding: try header.encoded())
        #expect(decoded.text.utf8.count <= WireLimits.maxHeaderTextLength)
        #expect(FrameHeader.truncatedText("short") == "short")
    }

    /// A request whose method path is over the limit is refused by the encoder, not sent.
    @Test func encoderRefusesTextOverTheLimit() {
        let header = FrameHeader.request(id: 5, method: String(repeating: "x", count: 1025))
        #expect(throws: FrameHeaderError(.textTooLong(length: 1025), requestID: 5)) { try header.encoded() }
    }

    /// The encoder refuses fields that the kind does not carry, so we never send what we would refuse.
    @Test func encoderRefusesFieldsTheKindDoesNotCarry() {
        #expect(throws: FrameHeaderError(.statusNotAllowed(kind: .ping, status: 3), requestID: 1)) {
            try FrameHeader(kind: .ping, status: .invalidArgument, requestID: 1).encoded()
        }
        #expect(throws: FrameHeaderError(.timeoutNotAllowed(kind: .response, timeoutMilliseconds: 5), requestID: 1)) {
            try FrameHeader(kind: .response, requestID: 1, timeoutMilliseconds: 5).encoded()
        }
        #expect(throws: FrameHeaderError(.textNotAllowed(kind: .cancel, length: 1), requestID: 1)) {
            try FrameHeader(kind: .cancel, requestID: 1, text: "x").encoded()
        }
    }

    /// A status number this build does not know reads as UNKNOWN (gRPC's rule), not as an error.
    @Test func unknownStatusNumberReadsAsUnknown() throws {
        var bytes = try FrameHeader.response(id: 1).encoded()
        bytes[6] = 99
        #expect(try FrameHeader(decoding: bytes).status == .unknown)
    }

    /// Decoding also works from raw memory, as the server reads ZeroMQ frames.
    @Test func decodesFromRawMemory() throws {
        let header = FrameHeader.request(id: 3, method: "/switchboard.v1.Stats/GetStats", timeoutMilliseconds: 250)
        let bytes = try header.encoded()
        let decoded = try bytes.withUnsafeBytes { raw in try FrameHeader(decoding: raw) }
        #expect(decoded == header)
    }
}

/// Every malformed header gives its own error, with the request id when one is readable and the
/// status the server must answer with.
@Suite struct MalformedHeaderTests {
    /// A valid REQUEST header to break in one place at a time.
    static func valid(text: String = "/switchboard.v1.Health/Check") -> [UInt8] {
        (try? FrameHeader.request(id: 0xABCD, method: text, timeoutMilliseconds: 100).encoded()) ?? []
    }

    static func decodeError(_ bytes: [UInt8]) -> FrameHeaderError? {
        do {
            _ = try FrameHeader(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    /// Fewer than 16 bytes: no request id can be read, so nothing can be answered.
    @Test(arguments: [0, 1, 2, 15])
    func headerTooShortForRequestIDCannotBeAnswered(length: Int) {
        let error = Self.decodeError(Array(Self.valid().prefix(length)))
        #expect(error == FrameHeaderError(.tooShortForRequestID(length: length), requestID: nil))
        #expect(error?.requestID == nil)
    }

    /// 16 to 21 bytes: the request id is there but the fixed header is not; INVALID_ARGUMENT.
    @Test(arguments: [16, 21])
    func truncatedFixedHeaderIsInvalidArgument(length: Int) {
        let error = Self.decodeError(Array(Self.valid().prefix(length)))
        #expect(error == FrameHeaderError(.truncated(length: length), requestID: 0xABCD))
        #expect(error?.status == .invalidArgument)
    }

    /// A frame that does not start with "SB" is not ours.
    @Test func badMagicIsInvalidArgument() {
        var bytes = Self.valid()
        bytes[0] = 0x47
        bytes[1] = 0x45
        let error = Self.decodeError(bytes)
        #expect(error == FrameHeaderError(.badMagic(0x47, 0x45), requestID: 0xABCD))
        #expect(error?.status == .invalidArgument)
        #expect(error?.message.contains("0x53 0x42") == true)
    }

    /// An unknown protocol version is FAILED_PRECONDITION, naming the version we speak.
    @Test(arguments: [0, 2, 255] as [UInt8])
    func unsupportedVersionIsFailedPrecondition(version: UInt8) {
        var bytes = Self.valid()
        bytes[2] = version
        let error = Self.decodeError(bytes)
        #expect(error == FrameHeaderError(.unsupportedVersion(version), requestID: 0xABCD))
        #expect(error?.status == .failedPrecondition)
        #expect(error?.message.contains("speaks version 1") == true)
    }

    /// Kinds outside 1...7 are refused.
    @Test(arguments: [0, 8, 200] as [UInt8])
    func unknownKindIsInvalidArgument(kind: UInt8) {
        var bytes = Self.valid()
        bytes[3] = kind
        #expect(Self.decodeError(bytes) == FrameHeaderError(.unknownKind(kind), requestID: 0xABCD))
    }

    /// Reserved flags must be zero.
    @Test func nonZeroFlagsAreInvalidArgument() {
        var bytes = Self.valid()
        bytes[5] = 0x80
        let error = Self.decodeError(bytes)
        #expect(error == FrameHeaderError(.nonZeroFlags(0x8000), requestID: 0xABCD))
        #expect(error?.wireError.status == .invalidArgument)
    }

    /// A text length over 1024 is refused before the frame length is even looked at.
    @Test func textLengthOverTheLimitIsInvalidArgument() {
        var bytes = Self.valid()
        bytes[20] = 0x01
        bytes[21] = 0x04 // 1025
        #expect(Self.decodeError(bytes) == FrameHeaderError(.textTooLong(length: 1025), requestID: 0xABCD))
    }

    /// The frame must be exactly 22 + text length bytes: neither shorter nor longer.
    @Test func frameLengthMustMatchTextLength() {
        let valid = Self.valid()
        let textLength = valid.count - FrameHeader.fixedSize
        #expect(Self.decodeError(Array(valid.dropLast())) == FrameHeaderError(
            .lengthMismatch(declaredTextLength: textLength, frameLength: valid.count - 1), requestID: 0xABCD))
        #expect(Self.decodeError(valid + [0]) == FrameHeaderError(
            .lengthMismatch(declaredTextLength: textLength, frameLength: valid.count + 1), requestID: 0xABCD))
    }

    /// The method path must be UTF-8.
    @Test func textThatIsNotUTF8IsInvalidArgument() {
        var bytes = Self.valid()
        bytes[FrameHeader.fixedSize + 1] = 0xFF
        #expect(Self.decodeError(bytes) == FrameHeaderError(.textNotUTF8, requestID: 0xABCD))
    }

    /// A status on a REQUEST is a client bug.
    @Test func statusOnARequestIsInvalidArgument() {
        var bytes = Self.valid()
        bytes[6] = 3
        #expect(Self.decodeError(bytes) == FrameHeaderError(.statusNotAllowed(kind: .request, status: 3), requestID: 0xABCD))
    }

    /// A timeout on anything but a REQUEST is a client bug.
    @Test func timeoutOnACancelIsInvalidArgument() throws {
        var bytes = try FrameHeader.cancel(id: 0xABCD).encoded()
        bytes[16] = 10
        #expect(Self.decodeError(bytes) == FrameHeaderError(.timeoutNotAllowed(kind: .cancel, timeoutMilliseconds: 10), requestID: 0xABCD))
    }

    /// Text on a PING is a client bug.
    @Test func textOnAPingIsInvalidArgument() throws {
        var bytes = try FrameHeader.ping(id: 0xABCD).encoded()
        bytes[20] = 2
        bytes += Array("hi".utf8)
        #expect(Self.decodeError(bytes) == FrameHeaderError(.textNotAllowed(kind: .ping, length: 2), requestID: 0xABCD))
    }

    /// Every reason has a message a client author can act on.
    @Test func everyErrorHasAMessage() {
        let reasons: [FrameHeaderError.Reason] = [
            .tooShortForRequestID(length: 3), .badMagic(1, 2), .unsupportedVersion(2), .truncated(length: 18),
            .unknownKind(9), .nonZeroFlags(1), .textTooLong(length: 2000),
            .lengthMismatch(declaredTextLength: 4, frameLength: 30), .textNotUTF8,
            .statusNotAllowed(kind: .request, status: 1), .timeoutNotAllowed(kind: .ping, timeoutMilliseconds: 1),
            .textNotAllowed(kind: .pong, length: 1),
        ]
        for reason in reasons {
            #expect(FrameHeaderError(reason, requestID: 1).message.count > 20)
        }
    }
}
