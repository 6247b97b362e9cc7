import ArgumentParsing
import Testing

@Suite("Parsing command lines")
struct ArgumentParsingTests {
    enum Output: String, CaseIterable {
        case text, json
    }

    let spec = CommandSpec(
        name: "tool sub",
        abstract: "Does things.",
        arguments: [
            .option("--url", value: "URL", help: "Broker URL.", required: true, environment: "TOOL_URL"),
            .option("-t", "--topic", value: "FILTER", help: "Topic filter.", repeatable: true),
            .option("-q", "--qos", value: "QOS", help: "QoS.", default: "1"),
            .option("--output", value: "FORMAT", help: "Output format.", default: "text"),
            .flag("--insecure", help: "Skip verification.", environment: "TOOL_INSECURE"),
            .positional("files", value: "FILE", help: "Files.", repeatable: true),
        ]
    )

    private func parse(_ arguments: [String], environment: [String: String] = [:]) throws(UsageError) -> ParsedArguments
    {
        switch try spec.parse(arguments, environment: environment) {
        case .arguments(let parsed): return parsed
        case .help: throw UsageError("unexpected help", command: "test")
        }
    }

    @Test("long, short, inline and repeated options, flags and positionals")
    func forms() throws {
        let parsed = try parse(["--url=tcp://h", "-t", "a/#", "--topic", "b/+", "x.yaml", "--insecure", "--", "--odd"])
        #expect(parsed.value("url") == "tcp://h")
        #expect(parsed.values("topic") == ["a/#", "b/+"])
        #expect(parsed.flag("insecure"))
        #expect(parsed.values("files") == ["x.yaml", "--odd"])
        #expect(try parsed.integer("qos", as: Int.self, in: 0...2) == 1)
        #expect(try parsed.choice("output", as: Output.self) == .text)
    }

    @Test("environment variables fill in what the command line leaves out")
    func environment() throws {
        let parsed = try parse([], environment: ["TOOL_URL": "tcp://env", "TOOL_INSECURE": "yes"])
        #expect(parsed.value("url") == "tcp://env")
        #expect(parsed.flag("insecure"))
        let overridden = try parse(["--url", "tcp://flag"], environment: ["TOOL_URL": "tcp://env"])
        #expect(overridden.value("url") == "tcp://flag")
    }

    @Test(
        "usage errors say what is wrong",
        arguments: [
            (["--bogus"], "unknown option '--bogus'"),
            (["--url"], "'--url' needs a value (URL)"),
            ([] as [String], "missing --url URL"),
            (["--url", "a", "--url", "b"], "'--url' may be given only once"),
            (["--url", "a", "--insecure=1"], "'--insecure' takes no value"),
        ]
    )
    func usageErrors(_ arguments: [String], _ message: String) {
        do {
            _ = try parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.message == message)
            #expect(error.description.hasSuffix("(see 'tool sub --help')"))
        }
    }

    @Test("typed values are checked")
    func typedValues() throws {
        let parsed = try parse(["--url", "u", "-q", "3", "--output", "xml"])
        #expect(throws: UsageError("--qos must be between 0 and 2, not 3", command: "tool sub")) {
            try parsed.integer("qos", as: Int.self, in: 0...2)
        }
        #expect(throws: UsageError("--output must be one of text, json, not 'xml'", command: "tool sub")) {
            try parsed.choice("output", as: Output.self)
        }
        let notNumber = try parse(["--url", "u", "-q", "one"])
        #expect(throws: UsageError("--qos must be a whole number, not 'one'", command: "tool sub")) {
            try notNumber.integer("qos", as: Int.self)
        }
    }

    @Test("-h and --help return the help text, listing environment variables and defaults")
    func help() throws {
        guard case .help(let text) = try spec.parse(["--url", "x", "--help"]) else {
            Issue.record("no help")
            return
        }
        #expect(
            text.contains("USAGE: tool sub --url URL [-t FILTER ...] [-q QOS] [--output FORMAT] [--insecure] [FILE...]")
        )
        #expect(text.contains("[env: TOOL_URL]"))
        #expect(text.contains("(default: 1)"))
        #expect(text.contains("-h, --help"))
    }
}
