// mqtt-discovery-bench: performance figures, each printed next to a reference measured in the
// same run. Build in release mode; `Scripts/bench` does that.

import ArgumentParsing

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

let benchmarks: [(name: String, spec: CommandSpec)] = [
    ("codec", CodecBenchmark.spec), ("engine", EngineBenchmark.spec), ("drain", DrainBenchmark.spec),
    ("latency", LatencyBenchmark.spec), ("forward", ForwardBenchmark.spec), ("scale", ScaleBenchmark.spec),
]
let root = CommandSpec(
    name: "mqtt-discovery-bench",
    abstract: "Benchmarks for mqtt-discovery, each against a reference measured in the same run.",
    subcommands: benchmarks.map { ($0.name, $0.spec.abstract) }
)

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, let benchmark = benchmarks.first(where: { $0.name == command }) else {
    if arguments.first == "--help" || arguments.first == "-h" {
        print(root.helpText)
        exit(0)
    }
    fputs(root.helpText, Glibc.stderr)
    exit(64)
}
do {
    switch try benchmark.spec.parse(Array(arguments.dropFirst())) {
    case .help(let text):
        print(text)
    case .arguments(let parsed):
        switch command {
        case "codec": try CodecBenchmark.run(parsed)
        case "engine": try EngineBenchmark.run(parsed)
        case "latency": try await LatencyBenchmark.run(parsed)
        case "forward": try await ForwardBenchmark.run(parsed)
        case "scale": try await ScaleBenchmark.run(parsed)
        default: try await DrainBenchmark.run(parsed)
        }
    }
} catch {
    fputs("error: \(error)\n", Glibc.stderr)
    exit(1)
}
