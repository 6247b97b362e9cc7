public import AgentProtocol
import AgentService
import Logging

/// Prints instance events for `watch` and `run`: a table for people (aligned columns that widen
/// as longer names arrive, one row per change as it happens) or one JSON object per line.
///
/// `@unchecked Sendable`: called on the agent's (or the watcher's) loop only; its column widths change there alone.
public final class InstanceEventPrinter: @unchecked Sendable {
    /// The two ways of printing.
    public enum Output: String, CaseIterable, Sendable {
        /// Aligned columns, for people.
        case table
        /// One JSON object per line, for programs.
        case json
    }

    private let output: Output
    private var headerPrinted = false
    private var widths = (event: 7, instance: 24, configuration: 13, device: 24)

    /// A printer in `output` form.
    public init(output: Output) {
        self.output = output
    }

    /// Prints `event` and flushes standard output (a live view must not wait in a buffer).
    public func print(_ event: InstanceEvent) {
        StandardStream.output.write(render(event) + "\n")
    }

    /// The line for `event`.
    public func render(_ event: InstanceEvent) -> String {
        switch output {
        case .json: event.json()
        case .table: tableRows(event)
        }
    }

    private func tableRows(_ event: InstanceEvent) -> String {
        var lines: [String] = []
        if !headerPrinted {
            headerPrinted = true
            lines.append(row("TIME (UTC)", "EVENT", "INSTANCE", "CONFIGURATION", "DEVICE", "PROPERTIES"))
        }
        let time = String(RFC3339.now().dropFirst(11).dropLast())
        guard let instance = event.instance else {
            lines.append("\(time)  -- in sync; live changes follow --")
            return lines.joined(separator: "\n")
        }
        widths.instance = max(widths.instance, instance.name.count)
        widths.configuration = max(widths.configuration, instance.configuration.count)
        widths.device = max(widths.device, min(instance.device.id.count, 48))
        let properties =
            event.kind == .removed
            ? (event.reason.isEmpty ? "" : "(\(event.reason))")
            : instance.device.properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: " ")
        lines.append(
            row(time, "\(event.kind)", instance.name, instance.configuration, instance.device.id, properties)
        )
        return lines.joined(separator: "\n")
    }

    private func row(
        _ time: String,
        _ event: String,
        _ instance: String,
        _ configuration: String,
        _ device: String,
        _ properties: String
    ) -> String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        return [
            pad(time, 12), pad(event, widths.event), pad(instance, widths.instance),
            pad(configuration, widths.configuration), pad(device, widths.device), properties,
        ].joined(separator: "  ").trimmingTrailingSpaces()
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
