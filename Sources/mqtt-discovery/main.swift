// The `mqtt-discovery` executable: parse the command line, run one command, exit with its status.
// Everything else lives in the library modules.

import CommandLineSupport
import IO

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

let tool = CommandLineTool(
    name: "mqtt-discovery",
    version: "0.1.0",
    abstract: "Discover MQTT devices for Akri and keep watch on them.",
    discussion: """
        mqtt-discovery finds devices from the traffic on MQTT brokers, tracks whether each is alive,
        and reports the live set to an Akri agent. It is also a toolbox for the MQTT wire protocol.

        EXIT STATUS: 0 success, 1 failure, 64 wrong command line, 65 malformed input data,
        66 an input file could not be read, 69 the broker cannot be reached (or TLS failed),
        76 the broker broke the protocol, 77 the broker refused us (credentials, authorisation).
        """,
    commands: [
        RunCommand.self, DiscoverCommand.self, HandlerCommand.self, AgentCommand.self, WatchCommand.self,
        StatusCommand.self,
        MonitorCommand.self, CheckCommand.self, SimulateCommand.self, SubCommand.self, PubCommand.self,
        DecodeCommand.self,
    ]
)
Host.raiseOpenFileLimit()
let status = await tool.run(Array(CommandLine.arguments.dropFirst()), environment: Environment.current())
exit(status.rawValue)
