public import Discovery
import JSON
import Logging

/// Prints device changes, one line each, as the discoverer hands them over.
public struct ChangePrinter: Sendable {
    /// The two ways of printing a change.
    public enum Output: String, CaseIterable, Sendable {
        /// `added ID NAME=VALUE…`, `updated ID …`, `removed ID (WHY)`.
        case text
        /// One JSON object per line: change, id, properties, and for a removal its reason
        /// (``RemovalReason/name``).
        case json
    }

    private let output: Output

    /// A printer in `output` form.
    public init(output: Output) {
        self.output = output
    }

    /// Prints `changes`, in order, in one write.
    public func print(_ changes: [DeviceChange]) {
        var text = ""
        for change in changes {
            text += line(change)
            text += "\n"
        }
        StandardStream.output.write(text)
    }

    /// The line for `change`.
    public func line(_ change: DeviceChange) -> String {
        let device = change.device
        let properties = device.properties.sorted { $0.key < $1.key }
        let kind =
            switch change {
            case .added: "added"
            case .updated: "updated"
            case .removed: "removed"
            }
        switch output {
        case .text:
            guard let reason = change.removalReason else {
                return ([kind, device.id] + properties.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
            }
            return "\(kind) \(device.id) (\(reason))"
        case .json:
            let fields = properties.map { "\(JSONText.quote($0.key)):\(JSONText.quote($0.value))" }
            let reason = change.removalReason.map { ",\"reason\":\(JSONText.quote($0.name))" } ?? ""
            return
                "{\"change\":\"\(kind)\",\"id\":\(JSONText.quote(device.id)),\"properties\":{\(fields.joined(separator: ","))}\(reason)}"
        }
    }
}
