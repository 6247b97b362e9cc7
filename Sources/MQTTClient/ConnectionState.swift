public import MQTTCodec

/// Where a client's connection to its broker stands. Every change is reported, with its reason,
/// so a daemon can tell users why a broker is not connected.
public enum ConnectionState: Hashable, Sendable, CustomStringConvertible {
    /// Connecting: attempt 1 is the first.
    case connecting(attempt: Int)
    /// Connected; `sessionPresent` says whether the broker resumed the session.
    case connected(sessionPresent: Bool)
    /// The connection failed or was lost; a retry follows after `retryIn` (nil: no retry).
    case disconnected(MQTTClientError, retryIn: Duration?)
    /// Stopped for good.
    case stopped

    /// E.g. `disconnected (cannot reach the broker: …), retrying in 2.1 s`.
    public var description: String {
        switch self {
        case .connecting(let attempt): attempt == 1 ? "connecting" : "connecting (attempt \(attempt))"
        case .connected(let present): present ? "connected (session resumed)" : "connected (new session)"
        case .disconnected(let error, let retry):
            "disconnected (\(error))" + (retry.map { ", retrying in \(Self.seconds($0))" } ?? "")
        case .stopped: "stopped"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = (attoseconds / 100_000_000_000_000_000) % 10
        return "\(seconds).\(tenths) s"
    }
}

/// A message received from the broker (or one to send).
///
/// A received payload is a slice of the buffer the network read went into: no byte was copied on
/// its way to the application.
public struct Message: Hashable, Sendable {
    /// The PUBLISH the message came in (topic aliases already resolved). Visible to inlined
    /// accessors, so reading a field of a received message is a load, not a call.
    @usableFromInline var packet: PublishPacket

    init(_ packet: PublishPacket) {
        self.packet = packet
    }

    /// A message to publish.
    public init(
        topic: String,
        payload: ArraySlice<UInt8>,
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        properties: PublishProperties = PublishProperties()
    ) {
        packet = PublishPacket(topicName: topic, payload: payload, qos: qos, retain: retain, properties: properties)
    }

    /// The topic. Each read makes a `String`; ``topicUTF8`` does not.
    @inlinable public var topic: String { packet.topicName }
    /// The topic's UTF-8 bytes (well-formed), a slice of the read the message came in.
    @inlinable public var topicUTF8: ArraySlice<UInt8> { packet.topicUTF8 }
    /// The payload.
    @inlinable public var payload: ArraySlice<UInt8> { packet.payload }
    /// The quality of service it was delivered at.
    @inlinable public var qos: QoS { packet.qos }
    /// Whether the broker sent it from its retained store (a replay, not fresh traffic).
    @inlinable public var retain: Bool { packet.retain }
    /// MQTT 5.0 properties.
    public var properties: PublishProperties { packet.properties }
}
