// The `mqtt-discovery` executable: parse the command line, run one command, exit with its status.
// Everything else lives in the library modules.

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

let status = await CommandLineTool.run(Array(CommandLine.arguments.dropFirst()), environment: Environment.current())
exit(status.rawValue)
