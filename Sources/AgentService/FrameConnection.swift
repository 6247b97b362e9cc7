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
    private let limits: Limits?
    /// Bytes of an unfinished frame this connection holds, as counted in the shared budget.
    private var held = 0
    private var deadline: TimerID?

    /// What a server's connections may hold of frames not yet complete: bytes over all of them
    /// (``FrameBudget``), and time for any one frame to be finished. A client that sends part of a
    /// large frame and stops would otherwise pin memory for as long as it likes; thirty of them,
    /// half a gigabyte.
    public struct Limits: Sendable {
        /// Shared by every connection of one server.
        public let budget: FrameBudget
        /// How long a frame may stay unfinished.
        public let frameDeadline: Duration

        /// Limits.
        public init(budget: FrameBudget, frameDeadline: Duration) {
            self.budget = budget
            self.frameDeadline = frameDeadline
        }

        /// A budget of its own of ``FrameBudget/defaultLimit``, and `frameDeadline` (30 s).
        public static func standard(frameDeadline: Duration = .seconds(30)) -> Limits {
            Limits(budget: FrameBudget(limit: FrameBudget.defaultLimit), frameDeadline: frameDeadline)
        }
    }

    /// Takes over `connection` (becoming its delegate): `onFrame` hears each frame, `onClose`
    /// the end (with why, when it was not a clean close).
    public convenience init(
        _ connection: Connection,
        maximumFrameSize: Int = FrameDecoder.defaultMaximumFrameSize,
        limits: Limits? = nil,
        onFrame: @escaping (FrameConnection, Frame) -> Void,
        onClose: @escaping (FrameConnection, String?) -> Void
    ) {
        self.init(
            connection,
            maximumFrameSize: maximumFrameSize,
            limits: limits,
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
        limits: Limits? = nil,
        onSerializedFrame: @escaping (FrameConnection, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void,
        onClose: @escaping (FrameConnection, String?) -> Void
    ) {
        self.connection = connection
        self.limits = limits
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
        release()
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
            return
        }
        account()
    }

    /// Counts what this connection holds of unfinished frames against the shared budget, and
    /// keeps the deadline running while it holds any.
    private func account() {
        guard let limits, !closed, failure == nil else { return }
        let holding = decoder.bufferedBytes
        limits.budget.used += holding - held
        held = holding
        if limits.budget.used > limits.budget.limit {
            fail(
                Status(
                    .resourceExhausted,
                    "unfinished frames of all connections would hold more than \(limits.budget.limit) bytes"
                )
            )
            return
        }
        if held == 0 {
            if let deadline { connection.eventLoop.cancelTimer(deadline) }
            deadline = nil
        } else if deadline == nil {
            deadline = connection.eventLoop.scheduleTimer(after: limits.frameDeadline) { [weak self] in
                guard let self else { return }
                self.deadline = nil
                fail(Status(.deadlineExceeded, "a frame was left unfinished for \(limits.frameDeadline)"))
            }
        }
    }

    /// Gives back what this connection held of the budget.
    private func release() {
        guard let limits else { return }
        limits.budget.used -= held
        held = 0
        if let deadline { connection.eventLoop.cancelTimer(deadline) }
        deadline = nil
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
        release()
        closed = true
        onClose(self, failure ?? error.map { "\($0)" })
    }
}

/// Bytes of unfinished frames the connections of one server hold together, and the most they
/// may. Lives on the server's loop.
///
/// `@unchecked Sendable`: created anywhere, counted only on its server's loop.
public final class FrameBudget: @unchecked Sendable {
    /// The most bytes of unfinished frames over all connections.
    public let limit: Int
    /// Bytes held now.
    public internal(set) var used = 0

    /// A budget of `limit` bytes.
    public init(limit: Int) {
        self.limit = limit
    }

    /// 64 MiB: four of the largest frames at once.
    public static let defaultLimit = 64 << 20
}
