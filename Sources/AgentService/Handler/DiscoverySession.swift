import AgentProtocol
import Discovery
import DiscoveryService
import IO
import Logging

/// One Discover stream on the handler: a Configuration's details came with the request; the
/// handler answers with full device lists, the first at once and then one after every change,
/// or ends the stream with INVALID_ARGUMENT (the problems with their line and column) when the
/// details are invalid. The agent ends the stream (closing the connection, or cancelling the
/// call). The same over frames and gRPC (``DiscoverTransport``). What to send, whole lists to
/// Akri's agent or changes to ours, is a ``DiscoverFeed``'s to decide.
///
/// `@unchecked Sendable`: lives on the handler's loop; its discoverer reports changes there.
final class DiscoverySession: @unchecked Sendable {
    private let transport: any DiscoverTransport
    private let pool: BrokerPool
    private let logger: Logger
    private let environment: [String: String]
    private let identity: String
    private let onEnd: (DiscoverySession) -> Void
    private var discoverer: Discoverer?
    private var ended = false
    /// The devices, and what the agent is owed of them.
    private var feed = DiscoverFeed(sendsChanges: false)
    private var sendScheduled = false
    /// The newest list is over the agent's message limit: said once, until it fits again.
    private var overLimit = false
    /// Above this many unsent bytes the agent is slow: later lists wait, coalesced into one.
    private let backlogLimit = 1 << 20
    /// Responses sent, devices added and removed: for metrics.
    private(set) var listsSent = 0
    private(set) var added = 0
    private(set) var removed = 0
    /// The protocol the stream is in (`grpc` or `frames`), for metrics.
    var protocolName: String { transport is GRPCDiscoverTransport ? "grpc" : "frames" }
    /// Devices present now.
    private(set) var deviceCount = 0
    /// Whether the last list was held back for being over the agent's message limit.
    var isOverLimit: Bool { overLimit }

    init(
        transport: any DiscoverTransport,
        pool: BrokerPool,
        identity: String,
        environment: [String: String],
        logger: Logger,
        onEnd: @escaping (DiscoverySession) -> Void
    ) {
        self.transport = transport
        self.pool = pool
        self.identity = identity
        self.environment = environment
        self.logger = logger
        self.onEnd = onEnd
    }

    /// Starts discovering what `request` asks for, or refuses it.
    func start(_ request: DiscoverRequest) {
        let details: DiscoveryDetails
        do {
            let parsed = try DiscoveryDetails.parse(
                request.discoveryDetails,
                properties: request.discoveryProperties
            )
            details = parsed.details
            for warning in parsed.warnings { logger.warning("discovery details: \(warning)") }
        } catch {
            let problems = error.problems.filter { $0.severity == .error }
            logger.warning("refused discovery details: \(problems.map(\.description).joined(separator: "; "))")
            transport.refuse(Status(.invalidArgument, problems.map(\.description).joined(separator: "\n")))
            return
        }
        do {
            let discoverer = try Discoverer(
                details: details,
                identity: identity,
                environment: environment,
                eventLoop: pool.eventLoop,
                pool: pool,
                logger: logger
            ) { [weak self] changes in
                self?.changed(changes)
            }
            self.discoverer = discoverer
            feed = DiscoverFeed(sendsChanges: request.acceptsChanges)
            discoverer.start()
            for device in discoverer.currentDevices {
                feed.upsert(id: device.id, bytes: Self.serialize(device))
                deviceCount += 1
            }
            sendIfOwed()
        } catch {
            transport.refuse(Status(.invalidArgument, "\(error)"))
        }
    }

    private static func serialize(_ device: Device) -> [UInt8] {
        DiscoverResponse.Device(id: device.id, properties: device.properties).serialized
    }

    private func changed(_ changes: [DeviceChange]) {
        for change in changes {
            switch change {
            case .added(let device):
                added += 1
                deviceCount += 1
                feed.upsert(id: device.id, bytes: Self.serialize(device))
            case .updated(let device):
                feed.upsert(id: device.id, bytes: Self.serialize(device))
            case .removed(let device, let reason):
                removed += 1
                deviceCount -= 1
                feed.remove(id: device.id, reason: reason.name)
            }
        }
        guard !sendScheduled else { return }
        // Changes of one batch of reads leave as one list.
        sendScheduled = true
        pool.eventLoop.execute { [self] in
            sendScheduled = false
            sendIfOwed()
        }
    }

    /// The transport has room again.
    func writable() {
        sendIfOwed()
    }

    /// Sends what is owed while the agent keeps up.
    private func sendIfOwed() {
        guard discoverer != nil else { return }
        while transport.isOpen, transport.backlog < backlogLimit,
            let response = feed.next(limit: transport.responseLimit)
        {
            switch response {
            case .overLimit(let length):
                if !overLimit, let limit = transport.responseLimit {
                    overLimit = true
                    logger.error(
                        "the device list of \(deviceCount) devices is \(length) bytes, over the \(limit) bytes the agent accepts in one gRPC message (tonic's default is 4 MiB); holding lists back until one fits (--grpc-max-message raises it for agents configured for more)"
                    )
                }
                return
            case .send(let devices, let extensions):
                if overLimit {
                    overLimit = false
                    logger.info(
                        "the device list fits the agent's gRPC message limit again (\(deviceCount) devices)"
                    )
                }
                listsSent += 1
                transport.send(devices: devices, extensions: extensions)
            }
        }
    }

    /// Ends the stream: closes it and stops discovering.
    func stop() async {
        let discoverer = await withCheckedContinuation { (continuation: CheckedContinuation<Discoverer?, Never>) in
            pool.eventLoop.execute { [self] in
                let discoverer = self.discoverer
                self.discoverer = nil
                transport.close()
                continuation.resume(returning: discoverer)
            }
        }
        await discoverer?.stop()
    }

    /// The agent ended the stream (or the connection broke), with why when it was not clean.
    func ended(_ reason: String?) {
        guard !ended else { return }
        ended = true
        if let reason { logger.info("discover stream ended: \(reason)") } else { logger.debug("discover stream ended") }
        let discoverer = discoverer
        self.discoverer = nil
        if let discoverer { Task { await discoverer.stop() } }
        onEnd(self)
    }
}
