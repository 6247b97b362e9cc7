import ArgumentParsing
import Testing

@Suite("Typed options")
struct OptionTests {
    enum Output: String, CaseIterable, Sendable {
        case text, json
    }

    static let keepAlive = Option<UInt16>.integer(
        "-k",
        "--keepalive",
        value: "SECONDS",
        help: "Keep alive.",
        default: 60
    )
    static let qos = Option<UInt8>.integer("-q", "--qos", value: "QOS", help: "QoS.", in: 0...2, default: 0)
    static let count = Option<Int?>.integer("-C", value: "COUNT", help: "How many.", in: 1...Int.max)
    static let grace = Option<Duration>.seconds("--grace", help: "Grace.", in: 0...3_600, default: .seconds(300))
    static let interval = Option<Duration?>.seconds("--interval", help: "Interval.", in: 0.001...60)
    static let output = Option<Output>.choice("--output", help: "Output.", environment: "TOOL_OUTPUT", default: .text)
    static let name = Option<String?>.text("--name", value: "NAME", help: "Name.")
    static let topics = Option<[String]>.list("-t", "--topic", value: "FILTER", help: "Filters.")
    static let insecure = Option<Bool>.flag("--insecure", help: "Skip checks.", environment: "TOOL_INSECURE")
    static let files = Option<[String]>.positionals("files", value: "FILE", help: "Files.")

    let spec = CommandSpec(
        name: "tool",
        abstract: "Does things.",
        arguments: [
            keepAlive.spec, qos.spec, count.spec, grace.spec, interval.spec, output.spec, name.spec, topics.spec,
            insecure.spec, files.spec,
        ]
    )

    private func parse(_ arguments: [String], environment: [String: String] = [:]) throws(UsageError) -> ParsedArguments
    {
        switch try spec.parse(arguments, environment: environment) {
        case .arguments(let parsed): return parsed
        case .help: throw UsageError("unexpected help", command: "tool")
        }
    }

    @Test("defaults are values, declared once: read as such and shown by --help")
    func defaults() throws {
        let parsed = try parse([])
        #expect(try parsed(Self.keepAlive) == 60)
        #expect(try parsed(Self.grace) == .seconds(300))
        #expect(try parsed(Self.output) == .text)
        #expect(try parsed(Self.count) == nil)
        #expect(try parsed(Self.interval) == nil)
        #expect(try parsed(Self.name) == nil)
        #expect(try parsed(Self.topics) == [])
        #expect(try parsed(Self.insecure) == false)
        #expect(try parsed(Self.files) == [])
        #expect(spec.helpText.contains("(default: 60)"))
        #expect(spec.helpText.contains("(default: 300)"))
        #expect(spec.helpText.contains("--output text|json"))
    }

    @Test("values given, from variables, repeated and positional")
    func given() throws {
        let parsed = try parse(
            [
                "-k", "5", "-C", "3", "--grace=0.5", "--interval", "0.25", "-t", "a/#", "--topic", "b", "x.yaml",
                "y.yaml",
            ],
            environment: ["TOOL_OUTPUT": "json", "TOOL_INSECURE": "yes"]
        )
        #expect(try parsed(Self.keepAlive) == 5)
        #expect(try parsed(Self.count) == 3)
        #expect(try parsed(Self.grace) == .milliseconds(500))
        #expect(try parsed(Self.interval) == .milliseconds(250))
        #expect(try parsed(Self.output) == .json)
        #expect(try parsed(Self.insecure))
        #expect(try parsed(Self.topics) == ["a/#", "b"])
        #expect(try parsed(Self.files) == ["x.yaml", "y.yaml"])
    }

    @Test(
        "an unusable value names the option, what it takes and what it got",
        arguments: [
            (["-q", "3"], "-q"), (["--keepalive", "x"], "--keepalive"), (["--grace", "-1"], "--grace"),
            (["--output", "xml"], "--output"), (["-C", "0"], "-C"),
        ]
    )
    func unusable(_ arguments: [String], _ name: String) throws {
        let parsed = try parse(arguments)
        let expected: [String: String] = [
            "-q": "--qos must be a whole number from 0 to 2, not '3'",
            "--keepalive": "--keepalive must be a whole number, not 'x'",
            "--grace": "--grace must be a number of seconds from 0 to 3600, not '-1'",
            "--output": "--output must be one of text, json, not 'xml'",
            "-C": "-C must be a whole number from 1 to \(Int.max), not '0'",
        ]
        func read() throws(UsageError) {
            switch name {
            case "-q": _ = try parsed(Self.qos)
            case "--keepalive": _ = try parsed(Self.keepAlive)
            case "--grace": _ = try parsed(Self.grace)
            case "--output": _ = try parsed(Self.output)
            default: _ = try parsed(Self.count)
            }
        }
        #expect(throws: UsageError(expected[name]!, command: "tool")) { try read() }
    }
}
