package import MQTTCodec

/// Identifies an application request (publish, subscribe, unsubscribe) so its completion can
/// find its caller.
package typealias RequestToken = UInt64

/// How a request ended.
package enum RequestResult: Hashable, Sendable {
    /// A publish was acknowledged (QoS 1, 2) or written (QoS 0).
    case published
    /// A subscribe was acknowledged, one code per filter in the request's order.
    case subscribed([ReasonCode])
    /// An unsubscribe was acknowledged, one code per filter.
    case unsubscribed([ReasonCode])
    /// The request failed.
    case failed(MQTTClientError)
}

/// What the session state machine asks its driver to do, in order.
package enum SessionAction: Hashable, Sendable {
    /// Send a packet.
    case send(Packet)
    /// Hand a received message to the application, then send `acknowledgement` (PUBACK or PUBREC)
    /// if the application accepted it; if it declined, report that with
    /// ``SessionState/declined(_:)`` so the message comes again in the next session.
    case deliver(Message, acknowledgement: Packet?)
    /// Write this change to the session store before sending what follows (only when the
    /// session is ``SessionState/persistent``).
    case store(SessionStoreChange)
    /// Complete an application request.
    case complete(RequestToken, RequestResult)
    /// The broker accepted the connection.
    case connected(sessionPresent: Bool)
    /// A message larger than the maximum packet size was skipped (MQTT 3.1.1, where the broker
    /// cannot be told the maximum), and acknowledged if its QoS asks for it: the driver says so.
    case skipped(MQTTCodecError.SkippedPublish)
    /// Close the network connection for this reason; the driver then reports the loss back with
    /// ``SessionState/connectionClosed(_:now:into:)``.
    case close(MQTTClientError)
}
