import AgentProtocol
import IO
import MQTTClient
import MQTTSession

/// The agent's end of one Discover stream: one Configuration at one handler endpoint. It dials
/// the endpoint, sends `discover` and hands each `devices` list to the agent. When the stream
/// breaks the agent decides what happens next (retry, grace period); this class only keeps the
/// bookkeeping: the connection, the retry and grace timers, and how many attempts failed.
///
/// `@unchecked Sendable`: owned by the agent and used on its loop only.
final class DiscoverStream: @unchecked Sendable {
    /// What is discovered.
    let configuration: AgentConfiguration
    /// Where.
    let endpoint: String
    /// Whether the handler registered its devices as shared.
    var shared: Bool
    /// The open stream, if any.
    private(set) var channel: FrameConnection?
    /// A pending reconnect.
    var retry: TimerID?
    /// When it fires, the stream's devices are forgotten.
    var grace: TimerID?
    /// Failed connections since the last list.
    var failures = 0
    /// The handler refused the details: no retry until it registers again.
    var refused = false

    private let onFrame: (DiscoverStream, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void
    private let onEnd: (DiscoverStream, String?) -> Void

    /// A stream, not yet open; `onFrame` hears each frame's bytes (undecoded: a `devices` list
    /// is read for what changed), `onEnd` the end of each connection (with why), both on the loop.
    init(
        configuration: AgentConfiguration,
        endpoint: String,
        shared: Bool,
        onFrame: @escaping (DiscoverStream, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void,
        onEnd: @escaping (DiscoverStream, String?) -> Void
    ) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.shared = shared
        self.onFrame = onFrame
        self.onEnd = onEnd
    }

    /// Closed by the agent: nothing more is reported.
    private var isClosed = false

    /// Whether a connection is open or being made.
    private(set) var isActive = false

    /// Dials the endpoint and sends `discover`. Call on the loop.
    func open(on loop: EventLoop) {
        guard !isActive else { return }
        isActive = true
        if let retry {
            loop.cancelTimer(retry)
            self.retry = nil
        }
        Connection.connect(unixPath: endpoint, on: loop) { [self] result in
            switch result {
            case .success(let connection):
                guard isActive, !isClosed else { return connection.close() }
                let channel = FrameConnection(
                    connection,
                    onSerializedFrame: { [weak self] _, bytes throws(AgentProtocolError) in
                        guard let self, !isClosed else { return }
                        try self.onFrame(self, bytes)
                    },
                    onClose: { [weak self] _, reason in
                        guard let self, !isClosed else { return }
                        self.channel = nil
                        isActive = false
                        self.onEnd(self, reason)
                    }
                )
                self.channel = channel
                channel.send(.discover(configuration.request))
            case .failure(let error):
                isActive = false
                guard !isClosed else { return }
                onEnd(self, "\(error)")
            }
        }
    }

    /// Ends the stream (the agent closes the connection; Akri semantics) and cancels timers.
    func close(on loop: EventLoop) {
        isClosed = true
        isActive = false
        for timer in [retry, grace].compactMap({ $0 }) { loop.cancelTimer(timer) }
        retry = nil
        grace = nil
        let channel = self.channel
        self.channel = nil
        channel?.close()
    }
}
