public import HPACK

/// What a connection's peer did, as far as the user of an ``HTTP2Connection`` is concerned.
/// Control frames (SETTINGS, PING, WINDOW_UPDATE) are answered by the connection itself.
public enum HTTP2Event: Hashable, Sendable {
    /// The peer's SETTINGS, now in effect. The first one completes the handshake.
    case settings(HTTP2Settings)
    /// A complete field section: a request or response head, or trailers.
    case headers(streamID: UInt32, [HeaderField], endStream: Bool)
    /// Data on a stream. Its flow-control credit goes back to the peer once the user says it was
    /// consumed (``HTTP2Connection/consume(_:_:)``).
    case data(streamID: UInt32, ArraySlice<UInt8>, endStream: Bool)
    /// Both sides have ended the stream, the peer last.
    case streamClosed(streamID: UInt32)
    /// The peer reset the stream with RST_STREAM, or its GOAWAY left it unprocessed.
    case streamReset(streamID: UInt32, HTTP2ErrorCode)
    /// The peer broke the rules on one stream: we sent RST_STREAM with the error's code.
    case streamError(HTTP2Error)
    /// Everything queued on the stream has been sent: it may send more without piling up.
    case streamWritable(streamID: UInt32)
    /// The peer answered our PING.
    case pingAcknowledged(UInt64)
    /// The peer is going away: streams above `lastStreamID` that we opened were not processed.
    case goAway(lastStreamID: UInt32, HTTP2ErrorCode, debug: String)
    /// The peer broke the rules for the connection: we sent GOAWAY with the error's code and
    /// read nothing more. Close once the output is written.
    case connectionError(HTTP2Error)
}
