public import AgentProtocol
import Logging

extension InstanceEvent {
    /// The event as one JSON object, as `watch --output json` prints it and the instances page
    /// reads it: `event`, then for an instance `instance`, `configuration`, `id`, `properties`,
    /// `capacity`, and `reason` when there is one; `time` (milliseconds since 1970) when given.
    public func json(time: Int64? = nil) -> String {
        var text = "{\"event\":\(JSONText.quote("\(kind)"))"
        if let instance {
            let properties = instance.device.properties.sorted { $0.key < $1.key }
                .map { "\(JSONText.quote($0.key)):\(JSONText.quote($0.value))" }
            text +=
                ",\"instance\":\(JSONText.quote(instance.name)),"
                + "\"configuration\":\(JSONText.quote(instance.configuration)),\"id\":\(JSONText.quote(instance.device.id)),"
                + "\"properties\":{\(properties.joined(separator: ","))},\"capacity\":\(instance.capacity)"
        }
        if !reason.isEmpty { text += ",\"reason\":\(JSONText.quote(reason))" }
        if let time { text += ",\"time\":\(time)" }
        return text + "}"
    }
}
