import AgentProtocol
import Discovery
import DiscoveryService
import IO
import Logging

/// One Discover stream on the handler's socket: the agent sends `discover` with a Configuration's
/// details; the handler answers with `devices` frames, each the full current list, the first at
/// once and then one after every change, or with one `error` frame (code 3, with the problem's
/// line and column) when the details are invalid. The agent ends the stream by closing.
///
/// `@unchecked Sendable`: lives on the handler's loop; its discoverer reports changes there.
final class DiscoverySession: @unchecked Sendable {
    private let channel: FrameConnection
    private let pool: BrokerPool
    private let logger: Logger
    private let environment: [String: String]
    private let identity: String
    private let onEnd: (DiscoverySession) -> Void
    private var discoverer: Discoverer?
    /// Every present device, serialized as a `v0.Device`, by id: a change re-encodes only the
    /// devices it touched.
    private var encoded: [String: [UInt8]] = [:]
    /// A list is owed to the agent (a change happened since the last one was sent).
    private var owed = false
    private var sendScheduled = false
    /// Above this many unsent bytes the agent is slow: later lists wait, coalesced into one.
    private let backlogLimit = 1 << 20

    init(
        connection: Connection,
        pool: BrokerPool,
        identity: String,
        environment: [String: String],
        logger: Logger,
        frameLimits: FrameConnection.Limits,
        onEnd: @escaping (DiscoverySession) -> Void
    ) {
        self.pool = pool
        self.identity = identity
        self.environment = environment
        self.logger = logger
        self.onEnd = onEnd
        weak var session: DiscoverySession?
        channel = FrameConnection(
            connection,
            limits: frameLimits,
            onFrame: { _, frame in session?.received(frame) },
            onClose: { _, reason in session?.ended(reason) }
        )
        session = self
        channel.drained = { [weak self] in self?.sendIfOwed() }
    }

    private func received(_ frame: Frame) {
        guard case .discover(let request) = frame, discoverer == nil else {
            let expected = discoverer == nil ? "discover" : "nothing (the stream is open)"
            channel.fail(Status(.failedPrecondition, "expected \(expected), got \(frame.name)"))
            return
        }
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
            channel.fail(Status(.invalidArgument, problems.map(\.description).joined(separator: "\n")))
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
            discoverer.start()
            for device in discoverer.currentDevices { encoded[device.id] = Self.serialize(device) }
            owed = true
            sendIfOwed()
        } catch {
            channel.fail(Status(.invalidArgument, "\(error)"))
        }
    }

    private static func serialize(_ device: Device) -> [UInt8] {
        DiscoverResponse.Device(id: device.id, properties: device.properties).serialized
    }

    private func changed(_ changes: [DeviceChange]) {
        for change in changes {
            switch change {
            case .added(let device), .updated(let device): encoded[device.id] = Self.serialize(device)
            case .removed(let device): encoded[device.id] = nil
            }
        }
        owed = true
        guard !sendScheduled else { return }
        // Changes of one batch of reads leave as one list.
        sendScheduled = true
        pool.eventLoop.execute { [self] in
            sendScheduled = false
            sendIfOwed()
        }
    }

    private func sendIfOwed() {
        guard owed, discoverer != nil, channel.isOpen, channel.bufferedOutboundBytes < backlogLimit else { return }
        owed = false
        // In any order: each list replaces the last whole, and sorting a long list on every change costs.
        channel.sendFramed(Frame.framedDevices(encoded.values))
    }

    /// Ends the stream: closes the connection and stops discovering.
    func stop() async {
        let discoverer = await withCheckedContinuation { (continuation: CheckedContinuation<Discoverer?, Never>) in
            pool.eventLoop.execute { [self] in
                let discoverer = self.discoverer
                self.discoverer = nil
                channel.close()
                continuation.resume(returning: discoverer)
            }
        }
        await discoverer?.stop()
    }

    private func ended(_ reason: String?) {
        if let reason { logger.info("discover stream ended: \(reason)") } else { logger.debug("discover stream ended") }
        let discoverer = discoverer
        self.discoverer = nil
        if let discoverer { Task { await discoverer.stop() } }
        onEnd(self)
    }
}
