public import HPACK
public import HTTP2
public import IO

/// An ``HTTP2Connection`` driven over a ``Connection``: octets read go into the state machine,
/// its output is written, and its events go to `onEvent`. Lives on its connection's loop.
///
/// A connection error (ours or the peer's GOAWAY with an error) closes the connection once the
/// GOAWAY is written. A peer that does not finish the preface and its first SETTINGS within
/// `handshakeDeadline` is closed: an idle socket costs a descriptor and nothing more.
///
/// `@unchecked Sendable`: a connection's delegate, on its loop only.
public final class HTTP2Channel: ConnectionDelegate, @unchecked Sendable {
    /// The connection.
    public let connection: Connection
    /// The protocol state.
    public private(set) var state: HTTP2Connection
    private let onEvent: (HTTP2Channel, HTTP2Event) -> Void
    private let onClose: (HTTP2Channel, String?) -> Void
    private let start = ContinuousClock.now
    private var closed = false
    private var failure: String?
    private var handshake: TimerID?
    /// Whether the peer's first SETTINGS arrived: it speaks HTTP/2.
    public private(set) var peerSpeaksHTTP2 = false
    /// Whether the peer sent GOAWAY.
    public private(set) var peerWentAway = false
    private var delivering = false

    /// Takes over `connection` (becoming its delegate) as `role`, writes this end's preface,
    /// and reads `initialBytes` (already read from the socket by whoever decided it is HTTP/2).
    public init(
        _ connection: Connection,
        role: HTTP2Connection.Role,
        configuration: HTTP2Connection.Configuration = .init(),
        initialBytes: [UInt8] = [],
        handshakeDeadline: Duration = .seconds(10),
        onEvent: @escaping (HTTP2Channel, HTTP2Event) -> Void,
        onClose: @escaping (HTTP2Channel, String?) -> Void
    ) {
        self.connection = connection
        self.state = HTTP2Connection(role: role, configuration: configuration)
        self.onEvent = onEvent
        self.onClose = onClose
        connection.delegate = self
        handshake = connection.eventLoop.scheduleTimer(after: handshakeDeadline) { [weak self] in
            guard let self, !peerSpeaksHTTP2 else { return }
            handshake = nil
            failure = "no HTTP/2 preface and SETTINGS within \(handshakeDeadline)"
            close()
        }
        flush()
        if !initialBytes.isEmpty { self.connection(connection, didReceive: initialBytes) }
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { !closed }

    /// Octets written and not yet taken by the peer.
    public var bufferedOutboundBytes: Int { connection.bufferedOutboundBytes }

    /// Opens a stream with a request head (client).
    public func openStream(_ fields: [HeaderField], endStream: Bool) throws(HTTP2Error) -> UInt32 {
        defer { flush() }
        return try state.openStream(fields, endStream: endStream)
    }

    /// Sends a field section on a stream.
    public func sendHeaders(_ streamID: UInt32, _ fields: [HeaderField], endStream: Bool) throws(HTTP2Error) {
        defer { flush() }
        try state.sendHeaders(streamID, fields, endStream: endStream)
    }

    /// Queues DATA on a stream (sent as flow control allows).
    public func sendData(_ streamID: UInt32, _ bytes: [UInt8], endStream: Bool) throws(HTTP2Error) {
        defer { flush() }
        try state.sendData(streamID, bytes, endStream: endStream)
    }

    /// Resets a stream.
    public func resetStream(_ streamID: UInt32, _ code: HTTP2ErrorCode) {
        state.resetStream(streamID, code)
        flush()
    }

    /// Gives back flow-control credit for `count` octets of a stream's DATA, now consumed.
    public func consume(_ streamID: UInt32, _ count: Int) {
        state.consume(streamID, count)
        flush()
    }

    /// Octets of DATA queued on a stream for want of flow-control credit.
    public func queuedBytes(_ streamID: UInt32) -> Int { state.queuedBytes(streamID) }

    /// Sends GOAWAY and closes once everything is written.
    public func goAway(_ code: HTTP2ErrorCode = .noError, debug: String = "") {
        guard !closed else { return }
        state.goAway(code, debug: debug)
        flush()
        connection.closeAfterFlush()
    }

    /// Closes at once.
    public func close() {
        guard !closed else { return }
        connection.close()
    }

    /// Writes what the state machine has to send, and delivers events of sending.
    public func flush() {
        guard !closed else { return }
        if state.hasOutput {
            connection.write(state.takeOutput())
            connection.flush()
        }
        guard !delivering else { return }
        deliver(state.takeEvents())
    }

    private func deliver(_ events: [HTTP2Event]) {
        delivering = true
        defer { delivering = false }
        var pending = events
        while !pending.isEmpty {
            for event in pending {
                switch event {
                case .settings:
                    if !peerSpeaksHTTP2, let handshake { connection.eventLoop.cancelTimer(handshake) }
                    handshake = nil
                    peerSpeaksHTTP2 = true
                case .connectionError(let error):
                    failure = "\(error)"
                case .goAway(_, let code, let debug):
                    peerWentAway = true
                    if code != .noError { failure = "the peer sent GOAWAY \(code)\(debug.isEmpty ? "" : ": \(debug)")" }
                default:
                    break
                }
                onEvent(self, event)
                if closed { return }
            }
            if state.hasOutput {
                connection.write(state.takeOutput())
                connection.flush()
            }
            pending = state.takeEvents()
        }
        if state.failure != nil { connection.closeAfterFlush() }
    }

    // MARK: - ConnectionDelegate

    /// Feeds the state machine.
    public func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        guard !closed, state.failure == nil else { return }
        let events = state.receive(bytes, at: ContinuousClock.now - start)
        if state.hasOutput { connection.write(state.takeOutput()) }
        deliver(events)
    }

    /// Streams may have room again: the state machine decides, on the next WINDOW_UPDATE.
    public func connectionDidDrain(_ connection: Connection) {
        drained?()
    }

    /// Called when everything written has reached the kernel after a slow peer.
    public var drained: (() -> Void)?

    /// Reports the end once.
    public func connectionDidClose(_ connection: Connection, error: IOError?) {
        guard !closed else { return }
        closed = true
        if let handshake { connection.eventLoop.cancelTimer(handshake) }
        handshake = nil
        onClose(self, failure ?? error.map { "\($0)" })
    }
}
