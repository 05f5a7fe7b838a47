/// The first frame of every v1 message: what the message is, which request it belongs to, and (on
/// requests) the method and deadline or (on replies) the status.
///
/// Layout (all integers little-endian), exactly as in docs/protocol.md:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | magic `0x53 0x42` ("SB") |
/// | 2 | 1 | protocol version (1) |
/// | 3 | 1 | kind |
/// | 4 | 2 | flags (reserved, 0) |
/// | 6 | 2 | status code (RESPONSE and STREAM_END; 0 elsewhere) |
/// | 8 | 8 | request id |
/// | 16 | 4 | timeout in milliseconds (REQUEST; 0 = none, and 0 elsewhere) |
/// | 20 | 2 | text length N (≤ 1024) |
/// | 22 | N | text: method path (REQUEST), status message (RESPONSE, STREAM_END), empty elsewhere |
///
/// Decoding is strict: every field that the spec fixes for a kind is checked, so a client bug shows
/// up as a clear INVALID_ARGUMENT on the first request rather than as odd behaviour later.
public struct FrameHeader: Hashable, Sendable {
    /// What a message is. The raw values are the byte at offset 3.
    public enum Kind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Client → server: call a method. Text is the method path.
        case request = 1
        /// Server → client: the one reply to a unary request. Carries a status.
        case response = 2
        /// Server → client: one element of a server stream.
        case streamMessage = 3
        /// Server → client: the end of a server stream, with its status.
        case streamEnd = 4
        /// Client → server: stop the stream with this request id.
        case cancel = 5
        /// Client → server: are you there? Answered by PONG with the same request id.
        case ping = 6
        /// Server → client: the answer to a PING.
        case pong = 7

        /// The name used in docs/protocol.md and in logs.
        public var description: String {
            switch self {
            case .request: "REQUEST"
            case .response: "RESPONSE"
            case .streamMessage: "STREAM_MESSAGE"
            case .streamEnd: "STREAM_END"
            case .cancel: "CANCEL"
            case .ping: "PING"
            case .pong: "PONG"
            }
        }

        /// Kinds whose header carries a status code and a status message.
        public var carriesStatus: Bool { self == .response || self == .streamEnd }
    }

    /// The two bytes every header starts with: "SB".
    public static let magic: (UInt8, UInt8) = (0x53, 0x42)
    /// The protocol version this code speaks and writes.
    public static let protocolVersion: UInt8 = 1
    /// The size of the header without its text.
    public static let fixedSize = 22
    /// The bytes a header must have for its request id to be readable (magic through request id).
    /// These 16 bytes keep their layout in every future protocol version, so a server can always
    /// answer an unsupported version with the caller's request id.
    public static let requestIDEnd = 16
    /// The longest header there is: the fixed part plus the longest text.
    public static let maxSize = fixedSize + WireLimits.maxHeaderTextLength

    /// What this message is.
    public var kind: Kind
    /// The status (RESPONSE and STREAM_END); `.ok` on every other kind.
    public var status: StatusCode
    /// The request this message belongs to, chosen by the client and echoed by the server.
    public var requestID: UInt64
    /// The request's deadline as a timeout from when the server reads it, in milliseconds; 0 = none.
    /// Only on REQUEST.
    public var timeoutMilliseconds: UInt32
    /// The method path (REQUEST), the status message (RESPONSE, STREAM_END), or empty.
    public var text: String

    /// A header with every field given. Prefer the named constructors (`request`, `response`, ...),
    /// which fill in the fields a kind fixes.
    public init(kind: Kind, status: StatusCode = .ok, requestID: UInt64, timeoutMilliseconds: UInt32 = 0, text: String = "") {
        self.kind = kind
        self.status = status
        self.requestID = requestID
        self.timeoutMilliseconds = timeoutMilliseconds
        self.text = text
    }

    /// A request for `method` (a path such as `/switchboard.v1.Health/Check`), with a timeout in
    /// milliseconds (0 = no deadline).
    public static func request(id: UInt64, method: String, timeoutMilliseconds: UInt32 = 0) -> FrameHeader {
        FrameHeader(kind: .request, requestID: id, timeoutMilliseconds: timeoutMilliseconds, text: method)
    }

    /// The reply to a unary request. A message longer than the header allows is cut (at a character
    /// boundary) rather than refused: an error must always be deliverable.
    public static func response(id: UInt64, status: StatusCode = .ok, message: String = "") -> FrameHeader {
        FrameHeader(kind: .response, status: status, requestID: id, text: truncatedText(message))
    }

    /// The reply to a unary request that failed.
    public static func response(id: UInt64, error: WireError) -> FrameHeader {
        .response(id: id, status: error.status, message: error.message)
    }

    /// One element of a server stream.
    public static func streamMessage(id: UInt64) -> FrameHeader {
        FrameHeader(kind: .streamMessage, requestID: id)
    }

    /// The end of a server stream. The message is cut like a response's when too long.
    public static func streamEnd(id: UInt64, status: StatusCode = .ok, message: String = "") -> FrameHeader {
        FrameHeader(kind: .streamEnd, status: status, requestID: id, text: truncatedText(message))
    }

    /// A client's request to end the stream `id`.
    public static func cancel(id: UInt64) -> FrameHeader { FrameHeader(kind: .cancel, requestID: id) }
    /// A liveness probe; `id` is any nonce, echoed in the PONG.
    public static func ping(id: UInt64) -> FrameHeader { FrameHeader(kind: .ping, requestID: id) }
    /// The answer to a PING.
    public static func pong(id: UInt64) -> FrameHeader { FrameHeader(kind: .pong, requestID: id) }

    /// `text` cut to at most `WireLimits.maxHeaderTextLength` UTF-8 bytes, ending on a whole character.
    public static func truncatedText(_ text: String) -> String {
        let limit = WireLimits.maxHeaderTextLength
        guard text.utf8.count > limit else { return text }
        let bytes = Array(text.utf8.prefix(limit + 1))
        // bytes[limit] is the first byte left out; while it continues a UTF-8 sequence, the cut
        // would split a character, so move the cut back to that character's first byte.
        var cut = limit
        while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return String(decoding: bytes[..<cut], as: UTF8.self)
    }
}

// MARK: - Encoding

extension FrameHeader {
    /// The header's bytes. Fails only for a header that breaks a rule the decoder enforces (text too
    /// long, a status on a kind without one, a timeout or text on a kind that has none), so that we
    /// never send what we would refuse to read.
    public func encoded() throws(FrameHeaderError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(into: &bytes)
        return bytes
    }

    /// Appends the header's bytes to `bytes` (reuse one buffer on hot paths).
    public func encode(into bytes: inout [UInt8]) throws(FrameHeaderError) {
        try validateFields()
        let textLength = text.utf8.count
        guard textLength <= WireLimits.maxHeaderTextLength else {
            throw FrameHeaderError(.textTooLong(length: textLength), requestID: requestID)
        }
        bytes.reserveCapacity(bytes.count + Self.fixedSize + textLength)
        bytes.append(Self.magic.0)
        bytes.append(Self.magic.1)
        bytes.append(Self.protocolVersion)
        bytes.append(kind.rawValue)
        appendLittleEndian(UInt16(0), to: &bytes)
        appendLittleEndian(status.rawValue, to: &bytes)
        appendLittleEndian(requestID, to: &bytes)
        appendLittleEndian(timeoutMilliseconds, to: &bytes)
        appendLittleEndian(UInt16(textLength), to: &bytes)
        bytes.append(contentsOf: text.utf8)
    }

    /// The per-kind rules, shared by the encoder and the decoder.
    private func validateFields() throws(FrameHeaderError) {
        if !kind.carriesStatus && status != .ok {
            throw FrameHeaderError(.statusNotAllowed(kind: kind, status: status.rawValue), requestID: requestID)
        }
        if kind != .request && timeoutMilliseconds != 0 {
            throw FrameHeaderError(.timeoutNotAllowed(kind: kind, timeoutMilliseconds: timeoutMilliseconds), requestID: requestID)
        }
        if kind != .request && !kind.carriesStatus && !text.isEmpty {
            throw FrameHeaderError(.textNotAllowed(kind: kind, length: text.utf8.count), requestID: requestID)
        }
    }
}

@inline(__always)
private func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    var v = value.littleEndian
    withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
}

// MARK: - Decoding

extension FrameHeader {
    /// Decodes a header frame, checking every field. The error says what is wrong, carries the
    /// request id when the frame is long enough to hold one (so the server can answer), and knows
    /// the status to answer with.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(FrameHeaderError) {
        let count = bytes.count
        guard count >= Self.requestIDEnd else {
            throw FrameHeaderError(.tooShortForRequestID(length: count), requestID: nil)
        }
        let requestID = readLittleEndian(UInt64.self, bytes, at: 8)
        guard bytes[0] == Self.magic.0, bytes[1] == Self.magic.1 else {
            throw FrameHeaderError(.badMagic(bytes[0], bytes[1]), requestID: requestID)
        }
        guard bytes[2] == Self.protocolVersion else {
            throw FrameHeaderError(.unsupportedVersion(bytes[2]), requestID: requestID)
        }
        guard count >= Self.fixedSize else {
            throw FrameHeaderError(.truncated(length: count), requestID: requestID)
        }
        guard let kind = Kind(rawValue: bytes[3]) else {
            throw FrameHeaderError(.unknownKind(bytes[3]), requestID: requestID)
        }
        let flags = readLittleEndian(UInt16.self, bytes, at: 4)
        guard flags == 0 else {
            throw FrameHeaderError(.nonZeroFlags(flags), requestID: requestID)
        }
        let rawStatus = readLittleEndian(UInt16.self, bytes, at: 6)
        let timeout = readLittleEndian(UInt32.self, bytes, at: 16)
        let textLength = Int(readLittleEndian(UInt16.self, bytes, at: 20))
        guard textLength <= WireLimits.maxHeaderTextLength else {
            throw FrameHeaderError(.textTooLong(length: textLength), requestID: requestID)
        }
        guard count == Self.fixedSize + textLength else {
            throw FrameHeaderError(.lengthMismatch(declaredTextLength: textLength, frameLength: count), requestID: requestID)
        }
        if !kind.carriesStatus && rawStatus != 0 {
            throw FrameHeaderError(.statusNotAllowed(kind: kind, status: rawStatus), requestID: requestID)
        }
        let textBytes = UnsafeRawBufferPointer(rebasing: bytes[Self.fixedSize...])
        guard let text = String(validating: textBytes, as: UTF8.self) else {
            throw FrameHeaderError(.textNotUTF8, requestID: requestID)
        }
        // A status number from a newer peer that we do not know reads as UNKNOWN, as gRPC does.
        self.init(
            kind: kind,
            status: StatusCode(rawValue: rawStatus) ?? .unknown,
            requestID: requestID,
            timeoutMilliseconds: timeout,
            text: text
        )
        try validateFields()
    }

    /// Decodes a header frame held in an array.
    public init(decoding bytes: [UInt8]) throws(FrameHeaderError) {
        // `withUnsafeBytes` rethrows untyped errors, so decode inside and throw outside.
        let result: Result<FrameHeader, FrameHeaderError> = bytes.withUnsafeBytes { raw in
            do throws(FrameHeaderError) { return .success(try FrameHeader(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }
}

@inline(__always)
private func readLittleEndian<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
}

// MARK: - Errors

/// Why a header frame could not be decoded (or encoded), with what the server should do about it.
public struct FrameHeaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What exactly is wrong.
    public enum Reason: Hashable, Sendable {
        /// Fewer than 16 bytes: not even the request id is there. Cannot be answered.
        case tooShortForRequestID(length: Int)
        /// The frame does not start with "SB": not a Switchboard frame.
        case badMagic(UInt8, UInt8)
        /// A protocol version this server does not speak.
        case unsupportedVersion(UInt8)
        /// Holds a request id but not the whole 22-byte fixed header.
        case truncated(length: Int)
        /// A kind byte outside 1...7.
        case unknownKind(UInt8)
        /// The reserved flags are not 0.
        case nonZeroFlags(UInt16)
        /// The text length field exceeds 1024.
        case textTooLong(length: Int)
        /// The frame is not exactly 22 + text length bytes long.
        case lengthMismatch(declaredTextLength: Int, frameLength: Int)
        /// The text is not valid UTF-8.
        case textNotUTF8
        /// A non-zero status on a kind that has none (only RESPONSE and STREAM_END carry one).
        case statusNotAllowed(kind: FrameHeader.Kind, status: UInt16)
        /// A non-zero timeout on a kind other than REQUEST.
        case timeoutNotAllowed(kind: FrameHeader.Kind, timeoutMilliseconds: UInt32)
        /// Text on a kind that has none (STREAM_MESSAGE, CANCEL, PING, PONG).
        case textNotAllowed(kind: FrameHeader.Kind, length: Int)
    }

    /// What is wrong.
    public var reason: Reason
    /// The request id read from bytes 8..<16, when the frame had them; nil means the frame cannot
    /// be answered (drop it and log, rate-limited).
    public var requestID: UInt64?

    public init(_ reason: Reason, requestID: UInt64?) {
        self.reason = reason
        self.requestID = requestID
    }

    /// The status to answer with: FAILED_PRECONDITION for an unsupported protocol version (the client
    /// must change what it speaks), INVALID_ARGUMENT for everything else.
    public var status: StatusCode {
        if case .unsupportedVersion = reason { return .failedPrecondition }
        return .invalidArgument
    }

    /// The answer to send, when there is a request id to send it to.
    public var wireError: WireError { WireError(status, message) }

    /// What is wrong and what to do, for the status message and logs.
    public var message: String {
        switch reason {
        case .tooShortForRequestID(let length):
            "header frame is \(length) bytes; a v1 header is at least 22 bytes (16 to hold the request id)"
        case .badMagic(let a, let b):
            "header does not start with the magic bytes 0x53 0x42 (\"SB\") but with \(hex(a)) \(hex(b)): not a Switchboard v1 frame"
        case .unsupportedVersion(let version):
            "protocol version \(version) is not supported; this server speaks version \(FrameHeader.protocolVersion): set byte 2 of the header to \(FrameHeader.protocolVersion)"
        case .truncated(let length):
            "header frame is \(length) bytes; the fixed part of a v1 header is \(FrameHeader.fixedSize) bytes"
        case .unknownKind(let kind):
            "header kind \(kind) is unknown; kinds are 1 REQUEST, 2 RESPONSE, 3 STREAM_MESSAGE, 4 STREAM_END, 5 CANCEL, 6 PING, 7 PONG"
        case .nonZeroFlags(let flags):
            "header flags are \(hex(flags)); flags are reserved in v1 and must be 0"
        case .textTooLong(let length):
            "header text is \(length) bytes; at most \(WireLimits.maxHeaderTextLength) are allowed"
        case .lengthMismatch(let textLength, let frameLength):
            "header frame is \(frameLength) bytes but its text length field says \(textLength), so it must be \(FrameHeader.fixedSize + textLength) bytes (22 + text length)"
        case .textNotUTF8:
            "header text (method path or status message) is not valid UTF-8"
        case .statusNotAllowed(let kind, let status):
            "header status is \(status) on a \(kind); only RESPONSE and STREAM_END carry a status, others must send 0"
        case .timeoutNotAllowed(let kind, let timeout):
            "header timeout is \(timeout) ms on a \(kind); only REQUEST carries a timeout, others must send 0"
        case .textNotAllowed(let kind, let length):
            "header text is \(length) bytes on a \(kind), which carries no text; send text length 0"
        }
    }

    public var description: String { message }
}

private func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, T.bitWidth / 4 - digits.count)) + digits
}
