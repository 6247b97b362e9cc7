public import AgentProtocol
public import IO

/// A connection that speaks the local socket protocol: bytes in, frames out, and frames in,
/// length-prefixed bytes out. Lives on its connection's loop.
///
/// A peer that sends a frame over the limit, or bytes that are not a frame, gets an `error` frame
/// saying so and the connection is closed; nothing else is disturbed.
///
/// `@unchecked Sendable`: a connection's delegate, on its loop only.
public final class FrameConnection: ConnectionDelegate, @unchecked Sendable {
    /// The connection.
    public let connection: Connection
    private var decoder: FrameDecoder
    private let onFrame: (FrameConnection, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void
    private let onClose: (FrameConnection, String?) -> Void
    private var closed = false
    private var failure: String?

    /// Takes over `connection` (becoming its delegate): `onFrame` hears each frame, `onClose`
    /// the end (with why, when it was not a clean close).
    public convenience init(
        _ connection: Connection,
        maximumFrameSize: Int = FrameDecoder.defaultMaximumFrameSize,
        onFrame: @escaping (FrameConnection, Frame) -> Void,
        onClose: @escaping (FrameConnection, String?) -> Void
    ) {
        self.init(
            connection,
            maximumFrameSize: maximumFrameSize,
            onSerializedFrame: { channel, bytes throws(AgentProtocolError) in
                onFrame(channel, try Frame(serialized: bytes))
            },
            onClose: onClose
        )
    }

    /// Takes over `connection` like ``init(_:maximumFrameSize:onFrame:onClose:)``, handing over
    /// each frame's bytes undecoded, for a reader that can skip work (`devices` lists). An error
    /// `onSerializedFrame` throws fails the connection as a frame that does not decode does.
    public init(
        _ connection: Connection,
        maximumFrameSize: Int = FrameDecoder.defaultMaximumFrameSize,
        onSerializedFrame: @escaping (FrameConnection, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void,
        onClose: @escaping (FrameConnection, String?) -> Void
    ) {
        self.connection = connection
        self.decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
        self.onFrame = onSerializedFrame
        self.onClose = onClose
        connection.delegate = self
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { !closed }

    /// Bytes written but not yet taken by the peer.
    public var bufferedOutboundBytes: Int { connection.bufferedOutboundBytes }

    /// Sends a frame.
    public func send(_ frame: Frame) {
        sendFramed(frame.framed)
    }

    /// Sends a frame already on its wire form (see ``Frame/framedDevices(_:)``).
    public func sendFramed(_ bytes: [UInt8]) {
        guard !closed else { return }
        connection.write(bytes)
        connection.flush()
    }

    /// Sends an `error` frame, then closes once it is written.
    public func fail(_ status: Status) {
        guard !closed else { return }
        failure = "\(status)"
        send(.error(status))
        connection.closeAfterFlush()
    }

    /// Closes at once.
    public func close() {
        guard !closed else { return }
        connection.close()
    }

    // MARK: - ConnectionDelegate

    /// Decodes what arrived and hands over every complete frame.
    public func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        guard !closed, failure == nil else { return }
        decoder.append(bytes)
        do {
            while failure == nil, !closed, let frame = try decoder.nextSerialized() {
                try onFrame(self, frame)
            }
        } catch {
            fail(Status(error.statusCode, "\(error)"))
        }
    }

    /// Nothing to do: writers look at ``bufferedOutboundBytes``.
    public func connectionDidDrain(_ connection: Connection) {
        drained?()
    }

    /// Called when everything written has reached the kernel after a slow peer.
    public var drained: (() -> Void)?

    /// Reports the end once.
    public func connectionDidClose(_ connection: Connection, error: IOError?) {
        guard !closed else { return }
        closed = true
        onClose(self, failure ?? error.map { "\($0)" })
    }
}
