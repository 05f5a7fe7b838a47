/// The size limits of the v1 protocol, in one place so the server, the client and the docs agree.
public enum WireLimits {
    /// The largest ZeroMQ frame a peer may send: 1 MiB. The server sets `ZMQ_MAXMSGSIZE` to this, so
    /// libzmq disconnects a peer that sends a bigger frame (header or body) before we ever see it;
    /// nothing is answered.
    public static let maxFrameSize = 1 << 20

    /// The largest protobuf body decoded: the same as the frame limit. Checked again when decoding,
    /// so a body that reached us another way (a file, a test) is held to the same bound.
    public static let maxBodySize = maxFrameSize

    /// The longest header text (method path or status message), in UTF-8 bytes.
    public static let maxHeaderTextLength = 1024

    /// How deeply messages may nest in a body. Our deepest message nests 4 levels; 32 leaves room
    /// for growth while stopping a hostile body from recursing the decoder's stack away.
    public static let messageDepthLimit = 32
}
