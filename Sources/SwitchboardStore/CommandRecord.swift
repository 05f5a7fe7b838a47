import SwitchboardDomain

/// One state-changing input the reactor applied to the engine, as it is kept in the command log.
///
/// The store never interprets a record: `kind` names the input (`"PushContact"`, `"Timer"`, ...) and
/// `payload` holds whatever bytes the server chose to write (the protobuf request). Replaying every
/// record, in `sequence` order, through the same deterministic engine rebuilds the exact state the
/// engine had when the last one was applied.
public struct CommandRecord: Hashable, Sendable {
    /// Position in the log. The first record is 1; each next record is the previous plus one. The
    /// caller assigns it when it applies the input, so the engine and the log agree on the order.
    public var sequence: Int64
    /// The `now` the engine was given with this input. Replay passes it back unchanged.
    public var at: Instant
    /// What kind of input this is, for the server's replay dispatch. Stored as text, never parsed here.
    public var kind: String
    /// The input itself, opaque to the store.
    public var payload: [UInt8]

    public init(sequence: Int64, at: Instant, kind: String, payload: [UInt8]) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.payload = payload
    }
}
