import AgentProtocol
import AgentService
import ArgumentParsing
import CommandLineSupport
import IO
import Logging
import Synchronization

/// `mqtt-discovery watch`: a live view of the agent's instances.
enum WatchCommand: Command {
    static let directory = Option<String>.text(
        "--directory",
        value: "DIR",
        help: "Directory of the agent's socket.",
        environment: "DISCOVERY_HANDLERS_DIRECTORY",
        default: "/var/lib/akri"
    )
    static let socket = Option<String?>.text(
        "--socket",
        value: "PATH",
        help: "The agent's socket (instead of DIR/agent-registration.sock)."
    )
    static let configuration = Option<String?>.text(
        "--configuration",
        value: "NAME",
        help: "Only this Configuration's instances."
    )
    static let output = Option<InstanceEventPrinter.Output>.choice(
        "--output",
        help: "How events are printed.",
        default: .table
    )
    static let once = Option<Bool>.flag("--once", help: "Print the current instances and exit.")
    static let logging = LoggingOptions(defaultLevel: .warning)

    static let spec = CommandSpec(
        name: "mqtt-discovery watch",
        abstract: "Watch instances appear, change and disappear at a local agent.",
        discussion: """
            Connects to the agent's socket (DIR/agent-registration.sock, or --socket) and prints every current
            instance, a line saying the view is in sync, then each change as it happens.
            --output table: aligned columns (time, event, instance, configuration, device, properties).
            --output json: one object per line:
              {"event": "added"|"updated"|"removed"|"synced", "instance", "configuration", "id", "properties"}
            With --once it exits 0 after the current instances (at "synced"). Exits 69 when the agent cannot
            be reached or goes away, 0 on SIGINT or SIGTERM.
            """,
        arguments: [directory.spec, socket.spec, configuration.spec, output.spec, once.spec] + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        _ = try logging.logger(arguments, label: "watch")
        let output = try arguments(output)
        let once = try arguments(once)
        let path = try arguments(socket) ?? "\(FileSystem.absolute(try arguments(directory)))/agent-registration.sock"
        let only = try arguments(configuration) ?? ""
        let printer = InstanceEventPrinter(output: output)
        let loop = try EventLoop(name: "watch")
        defer { loop.shutdown() }
        let (finished, finish) = AsyncStream<ExitStatus>.makeStream()
        let signals = Signals.onTermination { finish.yield(.success) }
        defer { _ = signals }
        let client = Mutex<WatchClient?>(nil)
        loop.execute {
            let watcher = WatchClient.watch(
                socket: path,
                configuration: only,
                on: loop,
                onEvent: { event in
                    printer.print(event)
                    if once, event.kind == .synced { finish.yield(.success) }
                },
                onEnd: { reason in
                    Console.error("error: \(reason ?? "the agent closed the connection")")
                    finish.yield(.unavailable)
                }
            )
            client.withLock { $0 = watcher }
        }
        var status = ExitStatus.success
        for await result in finished {
            status = result
            break
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                client.withLock { $0?.close() }
                continuation.resume()
            }
        }
        return status
    }
}
