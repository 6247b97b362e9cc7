extension CommandSpec {
    /// The text `--help` prints: usage, description, subcommands and every argument with its
    /// environment variable and default.
    public var helpText: String {
        var lines: [String] = []
        lines.append("OVERVIEW: \(abstract)")
        lines.append("")
        lines.append("USAGE: \(usage)")
        if let discussion {
            lines.append("")
            lines.append(discussion)
        }
        if !subcommands.isEmpty {
            lines.append("")
            lines.append("SUBCOMMANDS:")
            let width = subcommands.map(\.name.count).max() ?? 0
            for (name, abstract) in subcommands {
                lines.append("  \(pad(name, to: width))  \(abstract)")
            }
            lines.append("")
            lines.append("  See '\(name) SUBCOMMAND --help' for each one.")
        }
        let positionals = arguments.filter { if case .positional = $0.kind { true } else { false } }
        let options = arguments.filter { if case .positional = $0.kind { false } else { true } }
        if !positionals.isEmpty {
            lines.append("")
            lines.append("ARGUMENTS:")
            lines += rows(for: positionals)
        }
        lines.append("")
        lines.append("OPTIONS:")
        lines += rows(for: options + [.flag("-h", "--help", help: "Show this help and exit.")])
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line: `mqtt-discovery sub --url URL -t FILTER... [-q QOS]`.
    public var usage: String {
        var parts = [name]
        if !subcommands.isEmpty { parts.append("SUBCOMMAND") }
        for argument in arguments {
            var shown = argument.kind == .flag ? argument.names[0] : usageName(argument)
            if argument.repeatable, case .option = argument.kind { shown += " ..." }
            parts.append(argument.required ? shown : "[\(shown)]")
        }
        return parts.joined(separator: " ")
    }

    private func usageName(_ argument: ArgumentSpec) -> String {
        switch argument.kind {
        case .flag: argument.names[0]
        case .option(let valueName): "\(argument.names[0]) \(valueName)"
        case .positional: argument.displayName
        }
    }

    private func rows(for arguments: [ArgumentSpec]) -> [String] {
        let labels = arguments.map { argument -> String in
            switch argument.kind {
            case .flag: argument.names.joined(separator: ", ")
            case .option(let valueName): argument.names.joined(separator: ", ") + " \(valueName)"
            case .positional: argument.displayName
            }
        }
        let width = min(labels.map(\.count).max() ?? 0, 32)
        var lines: [String] = []
        for (label, argument) in zip(labels, arguments) {
            var help = argument.help
            if let defaultValue = argument.defaultValue { help += " (default: \(defaultValue))" }
            if let variable = argument.environment { help += " [env: \(variable)]" }
            if label.count > width {
                lines.append("  \(label)")
                lines.append("  \(pad("", to: width))  \(help)")
            } else {
                lines.append("  \(pad(label, to: width))  \(help)")
            }
        }
        return lines
    }

    private func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
