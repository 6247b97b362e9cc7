// mqtt-discovery-bench: performance figures, each printed next to a reference measured in the
// same run. Build in release mode; `Scripts/bench` does that.

import ArgumentParsing

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

let root = CommandSpec(
    name: "mqtt-discovery-bench",
    abstract: "Benchmarks for mqtt-discovery, each against a reference measured in the same run.",
    subcommands: [(CodecBenchmark.spec.name.split(separator: " ").last.map(String.init)!, CodecBenchmark.spec.abstract)]
)

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, command == "codec" else {
    if arguments.first == "--help" || arguments.first == "-h" {
        print(root.helpText)
        exit(0)
    }
    fputs(root.helpText, Glibc.stderr)
    exit(64)
}
do {
    switch try CodecBenchmark.spec.parse(Array(arguments.dropFirst())) {
    case .help(let text): print(text)
    case .arguments(let parsed): try CodecBenchmark.run(parsed)
    }
} catch {
    fputs("error: \(error)\n", Glibc.stderr)
    exit(64)
}
