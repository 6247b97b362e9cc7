import JSON
import Logging

/// A message the monitor received from the device, as it keeps and serves it.
public struct StoredMessage: Hashable, Sendable {
    /// Counts up from 1 in the order messages arrived (the SSE event id).
    public var sequence: UInt64
    /// The topic it was published on.
    public var topic: String
    /// The payload.
    public var payload: [UInt8]
    /// Its QoS as delivered (0, 1 or 2).
    public var qos: UInt8
    /// Whether it came as a retained message.
    public var retain: Bool
    /// When it arrived: milliseconds since 1970 (UTC).
    public var receivedAt: Int64

    /// A message as received.
    public init(sequence: UInt64, topic: String, payload: [UInt8], qos: UInt8, retain: Bool, receivedAt: Int64) {
        self.sequence = sequence
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.receivedAt = receivedAt
    }

    /// What the message costs to keep, for the history's byte bound.
    public var footprint: Int { topic.utf8.count + payload.count + 64 }

    /// The message as a JSON object: `topic`, `payload` (UTF-8 text, or base64 with `"encoding":
    /// "base64"`), `qos`, `retain`, `received` (RFC 3339), `sequence`, and `numbers` when the
    /// payload has any (the numbers `/metrics` and InfluxDB get: ``NumericFields``).
    public var json: String {
        var text = "{\"topic\":\(JSONText.quote(topic)),\"payload\":"
        if let utf8 = String(validating: payload, as: UTF8.self) {
            text += JSONText.quote(utf8)
        } else {
            text += "\"\(Base64.encode(payload))\",\"encoding\":\"base64\""
        }
        let received = RFC3339.format(
            seconds: receivedAt >= 0 ? receivedAt / 1000 : (receivedAt - 999) / 1000,
            milliseconds: Int(((receivedAt % 1000) + 1000) % 1000)
        )
        text += ",\"qos\":\(qos),\"retain\":\(retain),\"received\":\"\(received)\",\"sequence\":\(sequence)"
        let numbers = NumericFields.extract(payload).filter(\.value.isFinite)  // JSON has no infinity
        if !numbers.isEmpty {
            text += ",\"numbers\":{"
            text += numbers.map { "\(JSONText.quote($0.name)):\($0.value)" }.joined(separator: ",")
            text += "}"
        }
        return text + "}"
    }
}
