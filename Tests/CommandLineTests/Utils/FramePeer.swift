import AgentProtocol
import AgentService
import IO
import Synchronization
import TestSupport

/// One end of a local-socket connection, driven from a test: send frames, await the next one.
final class FramePeer: Sendable {
    private let loop: EventLoop
    /// Shared with the loop's callbacks, which must not hold the peer itself.
    private let inbox = Inbox()

    private final class Inbox: Sendable {
        let state = Mutex(State())
    }

    private struct State {
        var frames: [Frame] = []
        var closed = false
        var channel: FrameConnection?
    }

    private init(loop: EventLoop, connection: Connection) async {
        self.loop = loop
        let inbox = inbox
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                let channel = FrameConnection(
                    connection,
                    onFrame: { _, frame in inbox.state.withLock { $0.frames.append(frame) } },
                    onClose: { _, _ in inbox.state.withLock { $0.closed = true } }
                )
                inbox.state.withLock { $0.channel = channel }
                done.resume()
            }
        }
    }

    /// Connects to the socket at `path`.
    static func connect(_ path: String, loop: EventLoop) async throws -> FramePeer {
        let connection = try await withCheckedThrowingContinuation { continuation in
            Connection.connect(unixPath: path, on: loop) { continuation.resume(with: $0) }
        }
        return await FramePeer(loop: loop, connection: connection)
    }

    /// Takes over a connection a listener accepted.
    static func accepted(_ connection: Connection, loop: EventLoop) async -> FramePeer {
        await FramePeer(loop: loop, connection: connection)
    }

    /// Sends a frame.
    func send(_ frame: Frame) {
        sendRaw(frame.framed)
    }

    /// Sends raw bytes (malformed input).
    func sendRaw(_ bytes: [UInt8]) {
        let channel = inbox.state.withLock { $0.channel }
        loop.execute {
            channel?.connection.write(bytes)
            channel?.connection.flush()
        }
    }

    /// Closes the connection.
    func close() {
        let channel = inbox.state.withLock { $0.channel }
        loop.execute { channel?.close() }
    }

    /// Whether the other side closed the connection (and every frame was taken).
    var isClosed: Bool { inbox.state.withLock { $0.closed && $0.frames.isEmpty } }

    /// The next frame; nil once the connection is closed and drained. Fails after `timeout`.
    func next(timeout: Duration = .seconds(10)) async throws -> Frame? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let (frame, closed): (Frame?, Bool) = inbox.state.withLock { state in
                state.frames.isEmpty ? (nil, state.closed) : (state.frames.removeFirst(), false)
            }
            if let frame { return frame }
            if closed { return nil }
            guard clock.now < deadline else { throw TestSupportError("no frame within \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// A Unix socket listener whose every connection becomes a ``FramePeer`` for a test to take.
final class PeerListener: Sendable {
    let loop: EventLoop
    let path: String
    private let listener: Mutex<Listener?> = Mutex(nil)
    /// Connections accepted and not taken yet; shared with the accept callback.
    private let accepted = Accepted()

    private final class Accepted: Sendable {
        let peers: Mutex<[FramePeer]> = Mutex([])
    }

    init(path: String, loop: EventLoop) async throws {
        self.loop = loop
        self.path = path
        let accepted = accepted
        let made: Result<Listener, IOError> = await withCheckedContinuation { continuation in
            loop.execute {
                continuation.resume(
                    returning: Result { () throws(IOError) in
                        try Listener.listen(on: .unix(path), loop: loop) { connection in
                            Task {
                                let peer = await FramePeer.accepted(connection, loop: loop)
                                accepted.peers.withLock { $0.append(peer) }
                            }
                        }
                    }
                )
            }
        }
        listener.withLock { $0 = try? made.get() }
        _ = try made.get()
    }

    /// The next connection and its first frame.
    func next(timeout: Duration) async throws -> (FramePeer, Frame?) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let peer = accepted.peers.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                return (peer, try await peer.next(timeout: deadline - clock.now))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestSupportError("nobody connected to \(path) within \(timeout)")
    }

    /// Stops listening (the socket file goes).
    func close() async {
        let listener = listener.withLock { $0 }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                listener?.close()
                done.resume()
            }
        }
    }
}

/// A stand-in for the agent's registration socket: accepts handlers, answers `register` with
/// `registered`, and remembers every request.
final class FakeRegistrationServer: Sendable {
    private let listener: PeerListener
    private let connected: Mutex<[FramePeer]> = Mutex([])

    init(path: String, loop: EventLoop) async throws {
        listener = try await PeerListener(path: path, loop: loop)
    }

    /// Connections that did not register: an HTTP/2 preface (a handler trying gRPC first),
    /// refused by the frame reader with an `error` frame, as an agent that speaks only frames does.
    let refusedConnections = Mutex(0)

    /// Waits for a handler to connect and register; answers `registered`.
    func nextRegistration(timeout: Duration = .seconds(15)) async throws -> RegisterDiscoveryHandlerRequest {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (peer, frame) = try await listener.next(timeout: deadline - ContinuousClock.now)
            guard case .register(let request)? = frame else {
                refusedConnections.withLock { $0 += 1 }
                continue
            }
            peer.send(.registered)
            connected.withLock { $0.append(peer) }
            return request
        }
    }

    /// Goes away as a restarting agent does: stops listening and drops every connection.
    func shutdown() async {
        await listener.close()
        for peer in connected.withLock({ $0 }) { peer.close() }
    }
}

/// A stand-in for a discovery handler's socket: the agent dials it for Discover streams; each
/// accepted stream is a ``FramePeer`` the test answers.
final class FakeHandlerEndpoint: Sendable {
    private let listener: PeerListener
    /// The socket's path.
    var path: String { listener.path }

    init(path: String, loop: EventLoop) async throws {
        listener = try await PeerListener(path: path, loop: loop)
    }

    /// Waits for the agent to open a stream and send `discover`; returns the stream and request.
    func nextStream(timeout: Duration = .seconds(15)) async throws -> (FramePeer, DiscoverRequest) {
        let (peer, frame) = try await listener.next(timeout: timeout)
        guard case .discover(let request)? = frame else {
            throw TestSupportError("the agent connected without sending discover")
        }
        return (peer, request)
    }

    /// Stops listening (the socket file goes).
    func shutdown() async {
        await listener.close()
    }
}

/// Collects a watcher's events (over ``WatchClient``) for a test to await.
final class EventCollector: Sendable {
    /// Shared with the loop's callbacks, which must not hold the collector itself.
    private final class Inbox: Sendable {
        let state = Mutex<(events: [InstanceEvent], ended: String??)>(([], nil))
        let client: Mutex<WatchClient?> = Mutex(nil)
    }

    private let inbox = Inbox()
    private let loop: EventLoop

    /// Watches the agent at `socket`.
    init(socket: String, configuration: String = "", loop: EventLoop) {
        self.loop = loop
        let inbox = inbox
        loop.execute {
            let watcher = WatchClient.watch(
                socket: socket,
                configuration: configuration,
                on: loop,
                onEvent: { event in inbox.state.withLock { $0.events.append(event) } },
                onEnd: { reason in inbox.state.withLock { $0.ended = .some(reason) } }
            )
            inbox.client.withLock { $0 = watcher }
        }
    }

    /// Every event so far.
    var events: [InstanceEvent] { inbox.state.withLock { $0.events } }

    /// Whether the agent ended the watch.
    var hasEnded: Bool { inbox.state.withLock { $0.ended != nil } }

    /// The current instances by name, as the events so far say.
    var instances: [String: Instance] {
        var current: [String: Instance] = [:]
        for event in events {
            guard let instance = event.instance else { continue }
            current[instance.name] = event.kind == .removed ? nil : instance
        }
        return current
    }

    /// Waits until `condition` holds for the events so far.
    func wait(
        timeout: Duration = .seconds(15),
        _ what: String,
        until condition: ([InstanceEvent]) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(events) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestSupportError(
            "\(what): not within \(timeout); events: \(events.map { "\($0.kind) \($0.instance?.device.id ?? "")" })"
        )
    }

    /// Waits until the current instances' device ids are `ids`.
    func wait(forDevices ids: Set<String>, timeout: Duration = .seconds(15)) async throws {
        try await wait(timeout: timeout, "devices \(ids.sorted())") { _ in
            Set(instances.values.map(\.device.id)) == ids && events.contains { $0.kind == .synced }
        }
    }

    /// Stops watching.
    func close() {
        let inbox = inbox
        loop.execute { inbox.client.withLock { $0?.close() } }
    }
}
