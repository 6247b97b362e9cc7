public import MQTTCodec

/// A message received from the broker (or one to send).
///
/// A received payload is a slice of the buffer the network read went into: no byte was copied on
/// its way to the application.
public struct Message: Hashable, Sendable {
    /// The PUBLISH the message came in (topic aliases already resolved). Visible to inlined
    /// accessors, so reading a field of a received message is a load, not a call.
    @usableFromInline package var packet: PublishPacket

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
