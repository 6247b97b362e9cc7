public import IO
import JSON
import Logging
import MQTTCodec
public import MQTTSession

/// Formats messages onto standard output, on the client's event loop.
///
/// `@unchecked Sendable`: handed to the client, which calls it on the loop only; its state
/// (the count, the buffer) is touched there and nowhere else.
public final class MessagePrinter: @unchecked Sendable {
    private let loop: EventLoop
    private let output: Output
    private var remaining: Int?
    private let reachedLimit: @Sendable () -> Void
    private let buffer = OutputBuffer()
    private var flushScheduled = false

    /// The two ways of printing a message.
    public enum Output: String, CaseIterable, Sendable {
        /// `TOPIC PAYLOAD`, the payload in base64 after `base64:` when it is not UTF-8.
        case text
        /// One JSON object per line: topic, payload (and encoding), QoS, retain.
        case json
    }

    /// A printer on `loop`; after `limit` messages it calls `reachedLimit` and declines the rest.
    public init(loop: EventLoop, output: Output, limit: Int?, reachedLimit: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.output = output
        self.remaining = limit
        self.reachedLimit = reachedLimit
    }

    /// Prints a message; past the limit, declines it (so it stays with the broker).
    public func handle(_ message: Message) -> Bool {
        if let remaining, remaining <= 0 { return false }
        format(message)
        if let left = remaining {
            remaining = left - 1
            if left == 1 {
                flush()
                reachedLimit()
                return true
            }
        }
        if !flushScheduled {
            // Flushed once the loop has handled this batch of reads.
            flushScheduled = true
            loop.execute { [self] in
                flushScheduled = false
                buffer.flush()
            }
        }
        return true
    }

    /// Writes what is buffered. Call on the loop.
    public func flush() {
        buffer.flush()
    }

    private func format(_ message: Message) {
        let text = String(validating: message.payload, as: UTF8.self)
        switch output {
        case .text:
            buffer.append(message.topic + " " + (text ?? "base64:" + Base64.encode(message.payload)))
        case .json:
            var line = "{\"topic\":\(JSONText.quote(message.topic)),\"payload\":"
            if let text {
                line += JSONText.quote(text)
            } else {
                line += "\"\(Base64.encode(message.payload))\",\"encoding\":\"base64\""
            }
            line += ",\"qos\":\(message.qos.rawValue),\"retain\":\(message.retain)"
            let userProperties = message.properties.userProperties
            if !userProperties.isEmpty {
                // A list, not an object: MQTT 5.0 allows a name more than once (§3.3.2.3.7).
                line += ",\"userProperties\":["
                line += userProperties.map {
                    "{\"name\":\(JSONText.quote($0.name)),\"value\":\(JSONText.quote($0.value))}"
                }
                .joined(separator: ",")
                line += "]"
            }
            line += "}"
            buffer.append(line)
        }
    }
}
