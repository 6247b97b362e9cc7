public import IO
public import Logging
public import MQTTClient
public import MQTTCodec
import MQTTSession
public import Monitor

/// Republishes the device's messages to an upstream broker, through the disk queue: every message
/// is on disk before the device's broker gets its acknowledgement, and leaves the queue only once
/// the upstream has acknowledged it (QoS 1, 2) or it was written to the network (QoS 0).
///
/// At most ``window`` messages are in flight at a time, read from the queue as confirmations come
/// back, so memory stays bounded however long the upstream is away. Lives on the event loop.
///
/// `@unchecked Sendable`: lives on the monitor's loop; completions from the upstream client arrive there too.
public final class Forwarder: @unchecked Sendable {
    /// Where messages go and how.
    public struct Settings: Sendable {
        /// The upstream topic of each message.
        public var topic: TopicTemplate
        /// The QoS to publish at.
        public var qos: QoS
        /// The device id that `{device}` expands to.
        public var device: String
        /// Messages in flight at most.
        public var window: Int

        /// Settings for `device`.
        public init(
            topic: TopicTemplate = TopicTemplate(),
            qos: QoS = .atLeastOnce,
            device: String,
            window: Int = 1_000
        ) {
            self.topic = topic
            self.qos = qos
            self.device = device
            self.window = window
        }
    }

    /// The upstream client.
    public let client: MQTTClient
    private let queue: DiskQueue
    private let settings: Settings
    private let logger: Logger
    /// Messages handed to the client, oldest first: their sequence, end in the queue, and whether done.
    private var inFlight: [(sequence: UInt64, end: DiskQueue.Position, done: Bool)] = []
    private var inFlightStart = 0
    private var nextSequence: UInt64 = 0
    /// Messages the upstream acknowledged.
    public private(set) var forwarded = 0
    /// Messages the upstream refused (a failure reason code): logged and counted, not retried.
    public private(set) var refused = 0

    /// A forwarder of `queue` through `client` (not started: call ``start()``).
    public init(client: MQTTClient, queue: DiskQueue, settings: Settings, logger: Logger) {
        self.client = client
        self.queue = queue
        self.settings = settings
        self.logger = logger
    }

    /// The queue behind it.
    public var diskQueue: DiskQueue { queue }

    /// Connects the upstream client and sends what the queue holds. Call on the loop.
    public func start() {
        client.start()
        pump()
    }

    /// Puts a message in the queue, to be sent in order. When this returns the message is on disk.
    public func enqueue(_ record: QueueRecord) throws(IOError) {
        try queue.append(record)
        pump()
    }

    private var inFlightCount: Int { inFlight.count - inFlightStart }

    private func pump() {
        while inFlightCount < settings.window {
            let next: (record: QueueRecord, end: DiskQueue.Position)?
            do {
                next = try queue.next()
            } catch {
                logger.error("upstream queue: cannot read: \(error)")
                return
            }
            guard let (record, end) = next else { return }
            nextSequence += 1
            let sequence = nextSequence
            inFlight.append((sequence, end, false))
            let message = Message(
                topic: settings.topic.expand(topic: record.topic, device: settings.device),
                payload: record.payload[...],
                qos: settings.qos,
                retain: record.retain
            )
            client.publish(message) { [self] result in
                completed(sequence, result)
            }
        }
    }

    private func completed(_ sequence: UInt64, _ result: Result<Void, MQTTClientError>) {
        switch result {
        case .success:
            forwarded += 1
        case .failure(.stopped):
            return
        case .failure(let error):
            refused += 1
            logger.error("the upstream refused a message; it is not retried", ["error": "\(error)"])
        }
        guard inFlightCount > 0, sequence >= inFlight[inFlightStart].sequence else { return }
        let index = inFlightStart + Int(sequence - inFlight[inFlightStart].sequence)
        guard index < inFlight.count, inFlight[index].sequence == sequence else { return }
        inFlight[index].done = true
        var confirmed: DiskQueue.Position?
        while inFlightStart < inFlight.count, inFlight[inFlightStart].done {
            confirmed = inFlight[inFlightStart].end
            inFlightStart += 1
        }
        if inFlightStart > 1_024, inFlightStart * 2 > inFlight.count {
            inFlight.removeFirst(inFlightStart)
            inFlightStart = 0
        }
        if let confirmed {
            do {
                try queue.confirm(upTo: confirmed)
            } catch {
                logger.error("upstream queue: cannot save its position: \(error)")
            }
        }
        pump()
    }
}
