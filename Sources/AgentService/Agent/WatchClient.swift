public import AgentProtocol
public import IO

/// The watcher's end of the agent's socket: sends `watch` and hands over each event as it comes
/// (`added` for every current instance, `synced`, then live ones). Lives on its loop.
///
/// `@unchecked Sendable`: lives on its loop; `close` must be called there.
public final class WatchClient: @unchecked Sendable {
    private var channel: FrameConnection?
    private var ended = false
    private let onEvent: (InstanceEvent) -> Void
    private let onEnd: (String?) -> Void

    private init(onEvent: @escaping (InstanceEvent) -> Void, onEnd: @escaping (String?) -> Void) {
        self.onEvent = onEvent
        self.onEnd = onEnd
    }

    /// Connects to the agent's socket at `path` and watches `configuration` (empty: all).
    /// `onEvent` hears each event, and `onEnd` once why it ended (the agent closed, an `error`
    /// frame, the socket could not be reached), both on the loop.
    public static func watch(
        socket path: String,
        configuration: String = "",
        on loop: EventLoop,
        onEvent: @escaping (InstanceEvent) -> Void,
        onEnd: @escaping (String?) -> Void
    ) -> WatchClient {
        let client = WatchClient(onEvent: onEvent, onEnd: onEnd)
        Connection.connect(unixPath: path, on: loop) { [client] result in
            switch result {
            case .success(let connection):
                guard !client.ended else { return connection.close() }
                let channel = FrameConnection(
                    connection,
                    onFrame: { [weak client] channel, frame in client?.received(frame, on: channel) },
                    onClose: { [weak client] _, reason in client?.end(reason ?? "the agent closed the connection") }
                )
                client.channel = channel
                channel.send(.watch(WatchRequest(configuration: configuration)))
            case .failure(let error):
                client.end("cannot reach the agent at \(path): \(error)")
            }
        }
        return client
    }

    /// Stops watching. Call on the loop.
    public func close() {
        ended = true
        channel?.close()
        channel = nil
    }

    private func received(_ frame: Frame, on channel: FrameConnection) {
        switch frame {
        case .event(let event): onEvent(event)
        case .error(let status): end("the agent refused: \(status)")
        default: channel.fail(Status(.failedPrecondition, "expected event, got \(frame.name)"))
        }
    }

    private func end(_ reason: String?) {
        guard !ended else { return }
        ended = true
        channel?.close()
        channel = nil
        onEnd(reason)
    }
}
