import ArgumentParsing
import CommandLineSupport
import Discovery
import DiscoveryService
import IO
import Logging

/// `mqtt-discovery discover`: runs discovery for one configuration and prints each device as it
/// appears, changes and disappears — the handler's view, without an agent.
enum DiscoverCommand: Command {
    static let file = Option<String?>.positional(
        "file",
        value: "FILE",
        help: "Discovery details or an Akri Configuration.",
        required: true
    )
    static let configuration = Option<String?>.text(
        "--configuration",
        value: "NAME",
        help: "Which mqtt Configuration of FILE, when it has several."
    )
    static let output = Option<ChangePrinter.Output>.choice("--output", help: "Output format.", default: .text)
    static let duration = Option<Duration?>.seconds(
        "--duration",
        help: "Stop after SECONDS (default: run until signalled).",
        in: 0.001...Double(Int32.max)
    )
    static let logging = LoggingOptions(defaultLevel: .info)

    static let spec = CommandSpec(
        name: "mqtt-discovery discover",
        abstract: "Discover devices on MQTT brokers and print each change as it is decided.",
        discussion: """
            FILE holds discovery details, or an Akri Configuration for the mqtt handler (its discovery
            properties are resolved as the agent would: values, and files named by valueFrom.file). The
            command connects to every broker with a persistent session whose client id is stable for this
            host, broker and configuration, subscribes, and prints one line per change:
              added ID NAME=VALUE ...      (the properties a workload would get)
              updated ID NAME=VALUE ...
              removed ID
            With --output json each change is one object per line: {"change", "id", "properties"}.
            Brokers that cannot be reached are retried with backoff; their state is logged on standard error.
            SIGINT or SIGTERM (or the end of --duration) disconnects cleanly and exits 0. Exits 65 when the
            file has errors (each printed as FILE:LINE:COLUMN: message), 66 when it or a secret it names
            cannot be read, 64 for a wrong command line.
            """,
        arguments: [file.spec, configuration.spec, output.spec, duration.spec] + ConfigurationFiles.arguments
            + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "discover")
        let output = try arguments(output)
        let duration = try arguments(duration)
        let path = try arguments(file) ?? ""
        let file: ConfigurationFile
        switch ConfigurationFiles.load(path, bareDetails: .allowed, mounts: try ConfigurationFiles.mounts(arguments)) {
        case .success(let loaded): file = loaded
        case .failure(let error):
            Console.error("error: \(error)")
            return .noInput
        }
        for line in ConfigurationFiles.lines(file, severity: .error) { Console.error(line) }
        if file.hasErrors { return file.hasUnreadableFiles ? .noInput : .dataError }
        let entry: ConfigurationFile.Entry
        switch file.mqttEntry(named: try arguments(configuration)) {
        case .success(let chosen): entry = chosen
        case .failure(let error):
            Console.error("error: \(error)")
            return .dataError
        }
        for line in ConfigurationFiles.lines(file, severity: .warning) { Console.error(line) }
        guard let details = entry.details else { return .dataError }

        let loop = try EventLoop(name: "discovery")
        defer { loop.shutdown() }
        let printer = ChangePrinter(output: output)
        let discoverer: Discoverer
        do {
            discoverer = try Discoverer(
                details: details,
                // What keeps the client identifiers of different configurations apart.
                identity: entry.isBareDetails ? path : entry.name,
                environment: environment,
                eventLoop: loop,
                logger: logger,
                onChanges: printer.print
            )
        } catch {
            Console.error("error: \(error)")
            if case .secret = error { return .noInput }
            return .dataError
        }
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        let timer = duration.map { duration in
            Task {
                try? await Task.sleep(for: duration)
                finish.yield()
            }
        }
        discoverer.start()
        for await _ in finished { break }
        timer?.cancel()
        await discoverer.stop()
        return .success
    }
}
