public import AgentProtocol
import GRPC
import GRPCService
public import IO
public import Logging
import MQTTClient
import MQTTSession

/// The local agent: what Akri's agent does on a node, for machines without Kubernetes.
///
/// It serves `DIR/agent-registration.sock`. A connection whose first frame is `register` is a
/// discovery handler: the agent answers `registered` and, for every Configuration naming that
/// handler, opens a Discover stream to the handler's endpoint. A connection whose first frame is
/// `watch` is a watcher: it gets `added` for every current instance, `synced`, then live events.
///
/// Instances are kept in an ``InstanceTable``. A stream that breaks keeps its devices for the
/// offline grace period while the agent dials again (at once when the handler registers again,
/// else with backoff while it stays registered); Akri instead drops and recreates them. A handler
/// that refuses the details (an `error` frame) is not asked again until it registers again.
///
/// Everything runs on one loop; events are handed to `onEvent` on the loop's thread.
///
/// `@unchecked Sendable`: everything runs on its loop; `start` and `stop` hop there before touching state.
public final class Agent: @unchecked Sendable {
    /// The loop everything runs on.
    public let eventLoop: EventLoop
    /// The registration (and watch) socket.
    public let socketPath: String
    /// What connections to the socket may hold of unfinished frames, together and each.
    private let frameLimits: FrameConnection.Limits
    /// Churn (thousands of devices coming and going, thousands of connections) must not flood
    /// the log: past ten a second, lines of these kinds go to debug and are counted.
    private var instanceLog = LogThrottle()
    private var connectionLog = LogThrottle()
    private var summaryScheduled = false
    private let configurations: [AgentConfiguration]
    let logger: Logger
    private let offlineGrace: Duration
    private let watcherBacklogLimit: Int
    private let onEvent: (InstanceEvent) -> Void
    /// Configurations that have had a whole list from a handler since the agent started.
    private var listed: Set<String> = []
    /// `synced` went to `onEvent`: every Configuration has had its first list.
    private var announcedSync = false
    private var observers: [(InstanceEvent) -> Void] = []
    private let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))

    private var table: InstanceTable
    private var listener: Listener?
    /// Connections that have not said what they are yet.
    private var pending: [ObjectIdentifier: FrameConnection] = [:]
    /// Connections whose first octets have not arrived yet.
    private lazy var router = ProtocolRouter { [weak self] connection, kind, bytes in
        self?.route(connection, kind, bytes)
    }
    /// Serves `/v0.Registration/RegisterDiscoveryHandler` to handlers that speak gRPC.
    private var grpcServer: GRPCServer?
    private var handlers: [String: RegisteredHandler] = [:]
    private var streams: [StreamKey: DiscoverStream] = [:]
    private var watchers: [ObjectIdentifier: Watcher] = [:]
    private var stopped = false

    private struct RegisteredHandler {
        var name: String
        var shared: Bool
        /// How its Discover is reached.
        var target: DiscoverStream.Endpoint
        /// A handler registered over frames holds its registration connection open: its end
        /// is the handler's. One registered over gRPC is gone when its endpoint cannot be dialled.
        var channel: FrameConnection?
    }

    private struct StreamKey: Hashable {
        var configuration: String
        var endpoint: String
    }

    private struct Watcher {
        var channel: FrameConnection
        var configuration: String
        /// Unsent bytes above which the watcher counts as behind.
        var limit: Int
        /// While behind: the instances as the watcher last heard of them. Nothing more is
        /// queued for it; when its connection drains it is sent the difference.
        var view: InstanceTable.View?
    }

    /// An agent serving `directory/agent-registration.sock` for `configurations`. `node` goes in
    /// every instance's `nodes` (and into the names of unshared devices); `offlineGrace` is how
    /// long a broken stream's devices are kept; a watcher with more than `watcherBacklogLimit`
    /// bytes unread (beyond its first snapshot) is behind: its changes are coalesced until it reads. `onEvent` hears every instance
    /// event, on the loop, and once `synced`: when every Configuration has had its first whole list.
    public init(
        directory: String,
        configurations: [AgentConfiguration],
        eventLoop: EventLoop,
        logger: Logger,
        node: String = Host.name,
        offlineGrace: Duration = .seconds(300),
        watcherBacklogLimit: Int = 4 << 20,
        frameLimits: FrameConnection.Limits = .standard(),
        onEvent: @escaping (InstanceEvent) -> Void = { _ in }
    ) {
        self.frameLimits = frameLimits
        self.eventLoop = eventLoop
        self.socketPath = "\(directory)/agent-registration.sock"
        self.configurations = configurations
        self.logger = logger
        self.offlineGrace = offlineGrace
        self.watcherBacklogLimit = watcherBacklogLimit
        self.onEvent = onEvent
        self.table = InstanceTable(
            node: node,
            terms: Dictionary(
                configurations.map {
                    ($0.name, InstanceTable.Terms(brokerProperties: $0.brokerProperties, capacity: $0.capacity))
                },
                uniquingKeysWith: { first, _ in first }
            )
        )
    }

    /// Binds the socket (replacing a stale one; mode 0660).
    public func start() async throws(IOError) {
        let result: Result<Void, IOError> = await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                grpcServer = GRPCServer(
                    eventLoop: eventLoop,
                    methods: [
                        "/v0.Registration/RegisterDiscoveryHandler": { [weak self] call, request in
                            self?.registerOverGRPC(call, request)
                        }
                    ],
                    limits: {
                        var limits = GRPCServer.Limits()
                        limits.requestDeadline = frameLimits.frameDeadline
                        return limits
                    }(),
                    onConnectionClosed: { [weak self] reason in self?.connectionClosed(reason) }
                )
                do throws(IOError) {
                    listener = try Listener.listen(
                        on: .unix(socketPath),
                        permissions: 0o660,
                        loop: eventLoop,
                        onAcceptPaused: { [logger, socketPath] error in
                            logger.warning(
                                "cannot accept connections on \(socketPath) (\(error.message)); pausing accepts, retrying every \(Listener.acceptPause)"
                            )
                        },
                        accept: { [self] connection in accept(connection) }
                    )
                    logger.info(
                        "agent serving",
                        ["socket": socketPath, "configurations": configurations.map(\.name).joined(separator: ",")]
                    )
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        try result.get()
    }

    /// Closes the socket, every stream (handlers stop discovering) and every watcher.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            eventLoop.execute { [self] in
                stopped = true
                listener?.close()
                listener = nil
                for stream in streams.values { stream.close(on: eventLoop) }
                streams = [:]
                for channel in pending.values { channel.close() }
                for handler in handlers.values { handler.channel?.close() }
                grpcServer?.shutdown()
                for watcher in watchers.values { watcher.channel.close() }
                continuation.resume()
            }
        }
    }

    /// For metrics and status, on the loop.
    /// Calls `observer` with every instance event from now on, on the loop. Call on the loop.
    public func observe(_ observer: @escaping (InstanceEvent) -> Void) {
        eventLoop.preconditionInEventLoop()
        observers.append(observer)
    }

    var isServing: Bool { listener != nil }
    var currentInstances: [Instance] { table.snapshot() }
    var configurationNames: [String] { configurations.map(\.name) }
    var openStreamCount: Int { streams.values.count { $0.isActive } }
    var watcherCount: Int { watchers.count }
    var registeredHandlers: [(name: String, endpoint: String, protocolName: String)] {
        handlers.sorted { $0.key < $1.key }.map { endpoint, handler in
            (handler.name, endpoint, handler.channel == nil ? "grpc" : "frames")
        }
    }

    /// The current instances (all Configurations).
    public func instances() async -> [Instance] {
        await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in continuation.resume(returning: table.snapshot()) }
        }
    }

    // MARK: - Connections on the socket

    private func accept(_ connection: Connection) {
        router.accept(connection)
    }

    private func route(_ connection: Connection, _ kind: SocketProtocol, _ bytes: [UInt8]) {
        switch kind {
        case .grpc: grpcServer?.serve(connection, initialBytes: bytes)
        case .frames: serveFrames(connection, initialBytes: bytes)
        }
    }

    private func serveFrames(_ connection: Connection, initialBytes: [UInt8]) {
        let channel = FrameConnection(
            connection,
            limits: frameLimits,
            onFrame: { [weak self] channel, frame in self?.received(frame, on: channel) },
            onClose: { [weak self] channel, reason in self?.closed(channel, reason) }
        )
        pending[ObjectIdentifier(channel)] = channel
        channel.connection(connection, didReceive: initialBytes)
    }

    private func connectionClosed(_ reason: String?) {
        guard let reason else { return }
        if connectionLog.admit() {
            logger.info("connection closed: \(reason)")
        } else {
            logger.debug("connection closed: \(reason)")
            summarizeLater()
        }
    }

    private func received(_ frame: Frame, on channel: FrameConnection) {
        let id = ObjectIdentifier(channel)
        guard pending.removeValue(forKey: id) != nil else {
            // Handlers and watchers say nothing after their first frame.
            channel.fail(Status(.failedPrecondition, "unexpected \(frame.name) frame: nothing is expected now"))
            return
        }
        switch frame {
        case .register(let request):
            if let status = register(request, over: .frames(channel)) { channel.fail(status) }
        case .watch(let request): watch(request, on: channel)
        default: channel.fail(Status(.failedPrecondition, "expected register or watch, got \(frame.name)"))
        }
    }

    private func closed(_ channel: FrameConnection, _ reason: String?) {
        let id = ObjectIdentifier(channel)
        if pending.removeValue(forKey: id) != nil {
            if let reason {
                if connectionLog.admit() {
                    logger.info("connection closed: \(reason)")
                } else {
                    logger.debug("connection closed: \(reason)")
                    summarizeLater()
                }
            }
            return
        }
        if watchers.removeValue(forKey: id) != nil {
            logger.debug("watcher left\(reason.map { ": \($0)" } ?? "")")
            return
        }
        if let (endpoint, handler) = handlers.first(where: { $0.value.channel === channel }) {
            handlers[endpoint] = nil
            // A handler leaving is routine (an upgrade, a restart); it is back when it registers.
            logger.info(
                "handler went away\(reason.map { " (\($0))" } ?? "")",
                ["handler": handler.name, "endpoint": endpoint]
            )
        }
    }

    // MARK: - Handlers and their streams

    /// How a registration arrived.
    private enum Registration {
        case frames(FrameConnection)
        case grpc
    }

    /// `/v0.Registration/RegisterDiscoveryHandler` from a handler that speaks gRPC: the answer
    /// is `v0.Empty`, or the status the registration was refused with.
    private func registerOverGRPC(_ call: GRPCServerCall, _ message: ArraySlice<UInt8>) {
        let request: RegisterDiscoveryHandlerRequest
        do {
            request = try RegisterDiscoveryHandlerRequest(serialized: message)
        } catch {
            call.finish(GRPCStatus(.invalidArgument, "the RegisterDiscoveryHandlerRequest does not decode: \(error)"))
            return
        }
        if let status = register(request, over: .grpc) {
            call.finish(GRPCStatus(GRPCStatus.Code(rawValue: Int(status.code.rawValue)), status.message))
        } else {
            call.send([])
            call.finish(.ok)
        }
    }

    /// Registers a handler (again) and opens a Discover stream to it for every Configuration that
    /// names it, in the protocol it registered with; or says why not.
    private func register(_ request: RegisterDiscoveryHandlerRequest, over registration: Registration) -> Status? {
        guard !request.name.isEmpty else {
            return Status(.invalidArgument, "register: the handler name is empty")
        }
        let target: DiscoverStream.Endpoint
        switch (request.endpointType, registration) {
        case (.uds, _):
            guard request.endpoint.hasPrefix("/") else {
                return Status(
                    .invalidArgument,
                    "register: a UDS endpoint must be an absolute socket path, got '\(request.endpoint)'"
                )
            }
            if case .frames = registration {
                target = .frames(request.endpoint)
            } else {
                target = .grpc(.unix(request.endpoint))
            }
        case (.network, .grpc):
            guard let endpoint = GRPCEndpoint(networkEndpoint: request.endpoint) else {
                return Status(
                    .invalidArgument,
                    "register: a NETWORK endpoint must be http://HOST:PORT, got '\(request.endpoint)'"
                )
            }
            target = .grpc(endpoint)
        case (.network, .frames):
            return Status(.unimplemented, "register: NETWORK endpoints are reached over gRPC; register over gRPC")
        default:
            return Status(.invalidArgument, "register: unknown endpoint type \(request.endpointType)")
        }
        var channel: FrameConnection?
        if case .frames(let registrationChannel) = registration { channel = registrationChannel }
        if let previous = handlers[request.endpoint]?.channel, previous !== channel { previous.close() }
        handlers[request.endpoint] = RegisteredHandler(
            name: request.name,
            shared: request.shared,
            target: target,
            channel: channel
        )
        channel?.send(.registered)
        logger.info(
            "handler registered",
            ["handler": request.name, "endpoint": request.endpoint, "protocol": channel == nil ? "gRPC" : "frames"]
        )
        for configuration in configurations where configuration.handlerName == request.name {
            let key = StreamKey(configuration: configuration.name, endpoint: request.endpoint)
            let stream =
                streams[key]
                ?? DiscoverStream(
                    configuration: configuration,
                    endpoint: request.endpoint,
                    target: target,
                    shared: request.shared,
                    onList: { [weak self] stream, bytes throws(AgentProtocolError) in
                        try self?.listReceived(bytes, on: stream)
                    },
                    onEnd: { [weak self] stream, end in self?.streamEnded(stream, end) }
                )
            streams[key] = stream
            stream.shared = request.shared
            stream.target = target
            stream.refusals = 0
            stream.open(on: eventLoop)
        }
        return nil
    }

    /// A response from a stream (a whole list, a piece of one, or a change): read for what changed.
    private func listReceived(_ response: ArraySlice<UInt8>, on stream: DiscoverStream) throws(AgentProtocolError) {
        stream.failures = 0
        stream.refusals = 0
        if let grace = stream.grace {
            eventLoop.cancelTimer(grace)
            stream.grace = nil
        }
        try change(removing: "the handler no longer reports the device") { table throws(AgentProtocolError) in
            try table.update(
                configuration: stream.configuration.name,
                endpoint: stream.endpoint,
                shared: stream.shared,
                serializedResponse: response
            )
        }
        if !announcedSync,
            table.hasCompleteList(configuration: stream.configuration.name, endpoint: stream.endpoint)
        {
            listed.insert(stream.configuration.name)
            if listed.isSuperset(of: configurations.map(\.name)) {
                // As a watcher's SYNCED: what the handlers knew at start is all in; live changes follow.
                announcedSync = true
                onEvent(InstanceEvent(.synced, nil))
            }
        }
    }

    private func streamEnded(_ stream: DiscoverStream, _ end: DiscoverStream.End) {
        guard !stopped else { return }
        let metadata = ["configuration": stream.configuration.name, "endpoint": stream.endpoint]
        switch end {
        case .refused(let status):
            // Akri's agent: INVALID_ARGUMENT (or any status) fails the reconcile, which is tried
            // again with a delay starting at 500 ms and doubled on every failure. The devices the
            // stream reported are gone meanwhile.
            stream.refusals += 1
            logger.error("the handler refused the configuration: \(status)", metadata)
            change(removing: "the handler refused the Configuration: \(status.message)") {
                $0.remove(configuration: stream.configuration.name, endpoint: stream.endpoint)
            }
            guard handlers[stream.endpoint] != nil else { return }
            let delay = Self.refusalDelay(stream.refusals)
            stream.retry = eventLoop.scheduleTimer(after: delay) { [weak self, weak stream] in
                guard let self, let stream else { return }
                stream.retry = nil
                if handlers[stream.endpoint] != nil { stream.open(on: eventLoop) }
            }
            return
        case .unreachable(let reason):
            stream.failures += 1
            // A handler registered over gRPC that cannot be dialled has gone: Akri's agent drops it
            // from its registry until it registers again. One over frames is gone when its
            // registration connection closes; until then it is dialled again.
            if let handler = handlers[stream.endpoint], handler.channel == nil {
                handlers[stream.endpoint] = nil
                logger.info("handler went away (\(reason))", ["handler": handler.name, "endpoint": stream.endpoint])
            } else if stream.failures == 1 || stream.failures % 10 == 0 {
                logger.warning("cannot reach the handler: \(reason)", metadata)
            }
        case .ended(let reason):
            stream.failures += 1
            // Worth a warning while the handler is registered; when it left, the end was expected.
            if handlers[stream.endpoint] == nil {
                logger.info("discover stream ended with its handler", metadata)
            } else if stream.failures == 1 || stream.failures % 10 == 0 {
                logger.warning("discover stream ended\(reason.map { ": \($0)" } ?? "")", metadata)
            }
        }
        if stream.grace == nil {
            stream.grace = eventLoop.scheduleTimer(after: offlineGrace) { [weak self, weak stream] in
                guard let self, let stream else { return }
                stream.grace = nil
                logger.warning(
                    "no Discover stream for the offline grace period; forgetting its devices",
                    ["configuration": stream.configuration.name, "endpoint": stream.endpoint]
                )
                change(removing: "no Discover stream from the handler for the offline grace (\(offlineGrace))") {
                    $0.remove(configuration: stream.configuration.name, endpoint: stream.endpoint)
                }
            }
        }
        // A handler still registered gets dialled again with backoff; one that went away is
        // dialled when it registers again.
        guard handlers[stream.endpoint] != nil else { return }
        let delay = backoff.delay(attempt: stream.failures - 1, randomUnit: Double.random(in: 0..<1))
        stream.retry = eventLoop.scheduleTimer(after: delay) { [weak self, weak stream] in
            guard let self, let stream else { return }
            stream.retry = nil
            if handlers[stream.endpoint] != nil { stream.open(on: eventLoop) }
        }
    }

    /// Akri's reconcile backoff after a refusal: 500 ms, doubled each time (Akri sets no cap;
    /// ours is 5 minutes, so a fixed handler is asked again within that).
    static func refusalDelay(_ refusals: Int) -> Duration {
        let delay = Duration.milliseconds(500 * (1 << min(max(refusals - 1, 0), 10)))
        return min(delay, .seconds(300))
    }

    // MARK: - Watchers

    private func watch(_ request: WatchRequest, on channel: FrameConnection) {
        let before = channel.bufferedOutboundBytes
        for instance in table.snapshot(configuration: request.configuration) {
            channel.send(.event(InstanceEvent(.added, instance)))
        }
        channel.send(.event(InstanceEvent(.synced, nil)))
        let snapshotBytes = channel.bufferedOutboundBytes - before
        watchers[ObjectIdentifier(channel)] = Watcher(
            channel: channel,
            configuration: request.configuration,
            limit: watcherBacklogLimit + snapshotBytes,
            view: nil
        )
        channel.drained = { [weak self, weak channel] in
            guard let self, let channel else { return }
            catchUp(ObjectIdentifier(channel))
        }
        logger.debug("watcher joined", ["configuration": request.configuration])
    }

    /// Applies a change to the table and tells everyone. Watchers whose backlog is over their
    /// limit are not queued more: they keep the view they have and catch up, coalesced, once
    /// their connection drains; so a watcher that stops reading costs bounded memory and never
    /// holds up the agent or other watchers.
    /// `reason` is given to the removals among them that have none of their own.
    private func change<Failure: Error>(
        removing reason: String,
        _ body: (inout InstanceTable) throws(Failure) -> [InstanceEvent]
    ) throws(Failure) {
        let lagging = watchers.filter {
            $0.value.view == nil && $0.value.channel.bufferedOutboundBytes > $0.value.limit
        }
        if !lagging.isEmpty {
            for (id, watcher) in lagging {
                watchers[id]?.view = table.view(configuration: watcher.configuration)
                logger.warning(
                    "a watcher is not keeping up (\(watcher.channel.bufferedOutboundBytes) bytes unsent); its changes are coalesced until it reads"
                )
            }
        }
        var events = try body(&table)
        guard !events.isEmpty else { return }
        for index in events.indices where events[index].kind == .removed && events[index].reason.isEmpty {
            events[index].reason = reason
        }
        for event in events {
            if let instance = event.instance {
                let metadata = [
                    "instance": instance.name, "configuration": instance.configuration, "device": instance.device.id,
                ]
                if instanceLog.admit() {
                    logger.info("instance \(event.kind)", metadata)
                } else {
                    logger.debug("instance \(event.kind)", metadata)
                    summarizeLater()
                }
            }
            onEvent(event)
            for observer in observers { observer(event) }
        }
        for watcher in watchers.values where watcher.view == nil {
            for event in events
            where watcher.configuration.isEmpty || watcher.configuration == event.instance?.configuration {
                watcher.channel.send(.event(event))
            }
        }
    }

    private func catchUp(_ id: ObjectIdentifier) {
        guard let watcher = watchers[id], let view = watcher.view else { return }
        watchers[id]?.view = nil
        let events = table.changes(since: view)
        logger.info("a watcher caught up (\(events.count) coalesced changes)")
        for event in events { watcher.channel.send(.event(event)) }
    }

    /// In a second, says how many instance and connection lines were held back meanwhile.
    private func summarizeLater() {
        guard !summaryScheduled else { return }
        summaryScheduled = true
        eventLoop.scheduleTimer(after: .seconds(1)) { [weak self] in
            guard let self else { return }
            summaryScheduled = false
            let instances = instanceLog.takeSuppressed()
            let connections = connectionLog.takeSuppressed()
            if instances > 0 { logger.info("\(instances) more instance changes (each at --log-level debug)") }
            if connections > 0 { logger.info("\(connections) more connections closed (each at --log-level debug)") }
        }
    }
}
