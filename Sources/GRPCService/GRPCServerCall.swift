public import GRPC
public import HPACK
import HTTP2
import IO

/// One call on a ``GRPCServer``: the method's side of a stream. A unary method sends one message
/// and finishes with OK; a server-streaming method sends as many as it likes, then finishes.
/// Lives on the server's loop.
///
/// `@unchecked Sendable`: used on its server's loop only.
public final class GRPCServerCall: @unchecked Sendable {
    /// The method called, `/package.Service/Method`.
    public let path: String
    /// The caller's deadline (`grpc-timeout`), if any.
    public let timeout: Duration?
    /// The request's custom metadata.
    public let metadata: [HeaderField]
    /// Called once when the call ends without ``finish(_:)``: the client cancelled (RST_STREAM),
    /// its deadline passed, or the connection closed. Says why.
    public var onCancel: ((String) -> Void)?
    /// Called when what was sent has left the stream's queue (after flow control held it back).
    public var onWritable: (() -> Void)?

    let streamID: UInt32
    private weak var channel: HTTP2Channel?
    private var sentHead = false
    private(set) var isFinished = false
    var reader: GRPCMessageReader
    var request: ArraySlice<UInt8>?
    var deadline: TimerID?
    var dispatched = false

    init(
        path: String,
        timeout: Duration?,
        metadata: [HeaderField],
        streamID: UInt32,
        channel: HTTP2Channel,
        maximumMessageSize: Int
    ) {
        self.path = path
        self.timeout = timeout
        self.metadata = metadata
        self.streamID = streamID
        self.channel = channel
        self.reader = GRPCMessageReader(maximumMessageSize: maximumMessageSize)
    }

    /// Whether the call can still send.
    public var isOpen: Bool { !isFinished && channel?.isOpen == true }

    /// Octets sent and not yet taken by the client: queued on the stream for flow control, or
    /// in the connection's buffer.
    public var backlog: Int {
        guard let channel else { return 0 }
        return channel.queuedBytes(streamID) + channel.bufferedOutboundBytes
    }

    /// Sends one message (the response head goes first, once).
    public func send(_ message: some Collection<UInt8>) {
        sendFramed(GRPCMessageReader.framed(message))
    }

    /// Sends messages already prefixed (``GRPCMessageReader/framed(_:)``).
    public func sendFramed(_ bytes: [UInt8]) {
        guard isOpen, let channel else { return }
        do {
            if !sentHead {
                sentHead = true
                try channel.sendHeaders(streamID, GRPCHeaders.response, endStream: false)
            }
            try channel.sendData(streamID, bytes, endStream: false)
        } catch {
            channel.resetStream(streamID, .internalError)
            cancelled("\(error)")
        }
    }

    /// Ends the call with `status`: trailers after what was sent, or a trailers-only response.
    public func finish(_ status: GRPCStatus) {
        guard isOpen, let channel else { return }
        isFinished = true
        stopDeadline()
        let fields = sentHead ? GRPCHeaders.trailers(status) : GRPCHeaders.trailersOnly(status)
        do {
            try channel.sendHeaders(streamID, fields, endStream: true)
        } catch {
            // Over the peer's header list limit: the status without its message still fits.
            let bare =
                sentHead
                ? GRPCHeaders.trailers(GRPCStatus(status.code)) : GRPCHeaders.trailersOnly(GRPCStatus(status.code))
            do { try channel.sendHeaders(streamID, bare, endStream: true) } catch {
                channel.resetStream(streamID, .internalError)
            }
        }
    }

    /// Gives back the flow-control credit of `count` octets of request dropped unread.
    func release(_ count: Int) {
        guard count > 0 else { return }
        channel?.consume(streamID, count)
    }

    /// The deadline passed: the method hears it (``onCancel``), then the client gets `status`.
    func expire(_ status: GRPCStatus) {
        let onCancel = onCancel
        self.onCancel = nil
        onCancel?(status.message)
        finish(status)
    }

    /// The call ended without finishing.
    func cancelled(_ reason: String) {
        guard !isFinished else { return }
        isFinished = true
        stopDeadline()
        let onCancel = onCancel
        self.onCancel = nil
        onCancel?(reason)
    }

    func stopDeadline() {
        if let deadline, let loop = channel?.connection.eventLoop { loop.cancelTimer(deadline) }
        deadline = nil
    }
}
