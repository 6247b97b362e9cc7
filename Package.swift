// swift-tools-version:6.2
import PackageDescription

// mqtt-discovery takes no third-party Swift packages: the codec, client, protobuf, CLI parsing and
// logging are our own. C libraries come from Debian through `systemLibrary` targets.

let package = Package(
    name: "mqtt-discovery",
    products: [
        .executable(name: "mqtt-discovery", targets: ["mqtt-discovery"])
    ],
    targets: [
        // MARK: - C: system libraries and shims (the bottom layer)
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "CShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // A CPU cache hint for the discovery engine's hot path; no I/O, no state.
        .target(name: "CPrefetch"),
        // OpenSSL (Debian's libssl3, the headers of COpenSSL's libssl-dev), loaded with dlopen by
        // the first TLS connection: a process that never speaks TLS never maps it.
        .target(name: "COpenSSLLoader"),

        // MARK: - Pure wire codecs (no I/O, no Foundation)
        .target(name: "MQTTCodec"),
        .target(name: "Protobuf"),
        .target(name: "JSON"),
        // CRC-32, for records in files that must notice damage.
        .target(name: "Checksum"),
        // Prometheus's text exposition format.
        .target(name: "Metrics"),
        // HTTP/1.1 messages, for the monitor's server and its InfluxDB client.
        .target(name: "HTTP"),
        // HTTP/2 header compression (RFC 7541).
        .target(name: "HPACK"),
        // HTTP/2 (RFC 9113): frames and a connection as a state machine, octets in, events out.
        .target(name: "HTTP2", dependencies: ["HPACK"]),
        // gRPC's part of HTTP/2: message prefixes, statuses, timeouts and the heads of a call.
        .target(name: "GRPC", dependencies: ["HPACK"]),
        // The local socket protocol: Akri's discovery messages and ours, in length-prefixed frames.
        .target(name: "AgentProtocol", dependencies: ["Protobuf"]),

        // MARK: - I/O: the only module that touches sockets, epoll and OpenSSL
        .target(name: "IO", dependencies: ["CShims", "COpenSSLLoader"]),

        // MARK: - An HTTP/1.1 server on the event loop (the monitor's pages, the daemons' metrics)
        .target(name: "HTTPService", dependencies: ["HTTP", "IO", "Logging"]),

        // MARK: - gRPC served and called on the event loop, over our HTTP/2
        .target(name: "GRPCService", dependencies: ["GRPC", "HTTP2", "HPACK", "IO"]),

        // MARK: - The MQTT client
        // Pure: the client's half of a session as a state machine, and the values it deals in
        // (messages, broker URLs, instants, errors). No I/O, no clock of its own.
        .target(name: "MQTTSession", dependencies: ["MQTTCodec"]),
        // The session driven on the event loop: connections, TLS, timers, reconnects, a store on disk.
        .target(name: "MQTTClient", dependencies: ["MQTTSession", "MQTTCodec", "IO", "Logging", "Checksum"]),

        // MARK: - Configuration
        .target(name: "YAML", dependencies: ["CYAML"]),

        // MARK: - Discovery: details, topic matching, identity, liveness (pure; clock injected)
        .target(
            name: "Discovery",
            dependencies: ["MQTTCodec", "MQTTSession", "Protobuf", "YAML", "JSON", "CPrefetch"]
        ),
        // The engine driven live: one MQTT client per broker, on one event loop.
        .target(
            name: "DiscoveryService",
            dependencies: ["Discovery", "MQTTClient", "MQTTSession", "MQTTCodec", "IO", "Logging"]
        ),

        // MARK: - The local socket protocol's two ends: the handler daemon, the agent
        .target(
            name: "AgentService",
            dependencies: [
                "AgentProtocol", "Discovery", "DiscoveryService", "MQTTClient", "MQTTSession", "IO", "Logging", "GRPC",
                "GRPCService", "HTTP", "HTTPService", "Metrics", "HPACK",
            ]
        ),

        // MARK: - The monitoring broker: one device's data kept, served and forwarded
        // Pure: the message store, numbers in payloads, metrics text, line protocol, queue records.
        .target(name: "Monitor", dependencies: ["JSON", "Logging", "Checksum"]),
        .target(
            name: "MonitorService",
            dependencies: [
                "Monitor", "Metrics", "HTTP", "HTTPService", "MQTTClient", "MQTTSession", "MQTTCodec", "IO", "Logging",
                "Checksum",
                "ArgumentParsing",
            ]
        ),

        // MARK: - Support
        .target(name: "ArgumentParsing"),
        .target(name: "Logging"),
        // Simulated devices, each with its own MQTT connection and will.
        .target(name: "Simulator", dependencies: ["MQTTClient", "MQTTSession", "MQTTCodec", "IO", "Logging"]),
        // What the commands share: option groups, output formats, signals, exit statuses.
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "ArgumentParsing", "Logging", "IO", "MQTTClient", "MQTTSession", "MQTTCodec", "JSON", "Discovery",
                "AgentProtocol", "AgentService",
            ]
        ),

        // MARK: - Executables
        .executableTarget(
            name: "mqtt-discovery",
            dependencies: [
                "MQTTCodec", "MQTTClient", "MQTTSession", "Discovery", "DiscoveryService", "AgentProtocol",
                "AgentService", "IO", "CommandLineSupport", "Simulator",
                "Logging", "ArgumentParsing", "JSON", "HTTP", "HTTPService", "Monitor", "MonitorService", "Metrics",
            ]
        ),
        .executableTarget(
            name: "mqtt-discovery-bench",
            dependencies: [
                "MQTTCodec", "MQTTClient", "MQTTSession", "Discovery", "IO", "ArgumentParsing", "CShims",
                "AgentProtocol", "AgentService", "TestSupport", "HTTP2", "HPACK",
            ],
            path: "Sources/Benchmarks"
        ),
        // Fuzzers (Scripts/fuzz): libFuzzer under the sanitizers, or replaying files.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "mqtt-codec-fuzzer",
            dependencies: ["MQTTCodec", "FuzzDriver"],
            path: "Sources/MQTTCodecFuzzer"
        ),
        .executableTarget(
            name: "details-fuzzer",
            dependencies: ["Discovery", "YAML", "FuzzDriver"],
            path: "Sources/DetailsFuzzer"
        ),
        .executableTarget(
            name: "http2-fuzzer",
            dependencies: ["HTTP2", "HPACK", "FuzzDriver"],
            path: "Sources/HTTP2Fuzzer"
        ),
        .executableTarget(
            name: "decoders-fuzzer",
            dependencies: [
                "AgentProtocol", "Protobuf", "HTTP", "JSON", "Logging", "Discovery", "MQTTSession", "FuzzDriver",
            ],
            path: "Sources/DecodersFuzzer"
        ),

        // MARK: - Tests
        .testTarget(name: "MQTTCodecTests", dependencies: ["MQTTCodec"]),
        .testTarget(name: "ProtobufTests", dependencies: ["Protobuf"]),
        .testTarget(name: "AgentProtocolTests", dependencies: ["AgentProtocol", "Protobuf", "TestSupport"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "HPACKTests", dependencies: ["HPACK"]),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "HPACK"]),
        .testTarget(name: "GRPCTests", dependencies: ["GRPC", "HPACK"]),
        .testTarget(name: "HTTP2InteropTests", dependencies: ["HTTP2", "HPACK", "TestSupport"]),
        .testTarget(name: "GRPCServiceTests", dependencies: ["GRPCService", "GRPC", "IO", "TestSupport"]),
        .testTarget(name: "MonitorTests", dependencies: ["Monitor", "Metrics", "JSON", "Checksum"]),
        .testTarget(
            name: "MonitorServiceTests",
            dependencies: [
                "MonitorService", "Monitor", "MQTTClient", "MQTTSession", "ArgumentParsing", "IO", "Logging",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "DiscoveryTests",
            dependencies: ["Discovery", "MQTTSession", "MQTTCodec", "YAML", "Protobuf"]
        ),
        .testTarget(
            name: "DiscoveryServiceTests",
            dependencies: ["DiscoveryService", "Discovery", "MQTTSession", "IO", "Protobuf", "TestSupport"]
        ),
        .testTarget(name: "AgentServiceTests", dependencies: ["AgentService", "AgentProtocol"]),
        .testTarget(name: "ArgumentParsingTests", dependencies: ["ArgumentParsing"]),
        .testTarget(
            name: "CommandLineSupportTests",
            dependencies: ["CommandLineSupport", "ArgumentParsing", "MQTTClient", "MQTTSession", "MQTTCodec"]
        ),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"]),
        .testTarget(name: "IOTests", dependencies: ["IO", "TestSupport"]),
        .testTarget(name: "MQTTSessionTests", dependencies: ["MQTTSession", "MQTTCodec"]),
        .testTarget(
            name: "MQTTClientTests",
            dependencies: ["MQTTClient", "MQTTSession", "MQTTCodec", "IO", "TestSupport"]
        ),
        // Helpers shared by the test suites: temporary directories, external processes, certificates.
        .target(name: "TestSupport", dependencies: ["CShims"], path: "Tests/TestSupport"),
        .testTarget(name: "SystemLibrariesTests", dependencies: ["COpenSSL", "COpenSSLLoader", "CYAML", "CShims"]),
        .testTarget(
            name: "CommandLineTests",
            dependencies: [
                "mqtt-discovery", "MQTTClient", "MQTTSession", "MQTTCodec", "IO", "AgentProtocol", "AgentService",
                "TestSupport", "CShims",
            ]
        ),
    ]
)

// One set of language settings for every Swift target: Swift 6 language mode with complete
// concurrency checking (the tools version's default), the upcoming features we build against, and
// warnings as errors.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

for target in package.targets
where target.type != .system && !["CShims", "CPrefetch", "COpenSSLLoader"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
