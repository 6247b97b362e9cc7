import Logging
import Testing

@Suite("Logging")
struct LoggingTests {
    @Test("records below the level are dropped without evaluating the message")
    func levels() {
        let memory = InMemoryLogHandler()
        var logger = Logger(label: "test", level: .info, handler: memory)
        logger[metadata: "broker"] = "tcp://h:1883"
        logger.debug(
            { () -> String in
                Issue.record("a debug message was built while the level is info")
                return "no"
            }()
        )
        logger.warning("reconnecting", ["attempt": "2"])
        #expect(
            memory.all == [
                LogRecord(
                    level: .warning,
                    label: "test",
                    message: "reconnecting",
                    metadata: ["broker": "tcp://h:1883", "attempt": "2"]
                )
            ]
        )
    }

    @Test("text and JSON lines")
    func rendering() {
        let record = LogRecord(
            level: .warning,
            label: "mqtt",
            message: "refused \"x\"",
            metadata: ["reason": "bad password"]
        )
        #expect(
            StreamLogHandler(format: .text).render(record, time: "T")
                == "T warning mqtt: refused \"x\" reason=\"bad password\""
        )
        #expect(
            StreamLogHandler(format: .json).render(record, time: "T")
                == #"{"time":"T","level":"warning","label":"mqtt","message":"refused \"x\"","reason":"bad password"}"#
        )
    }

    @Test(
        "RFC 3339 UTC timestamps",
        arguments: [
            (Int64(0), 0, "1970-01-01T00:00:00.000Z"),
            (951_782_400, 5, "2000-02-29T00:00:00.005Z"),
            (1_795_426_445, 123, "2026-11-23T09:34:05.123Z"),
            (-1, 999, "1969-12-31T23:59:59.999Z"),
        ]
    )
    func timestamps(_ seconds: Int64, _ milliseconds: Int, _ expected: String) {
        #expect(RFC3339.format(seconds: seconds, milliseconds: milliseconds) == expected)
    }

    @Test("JSON quoting escapes control characters")
    func quoting() {
        #expect(JSONText.quote("a\u{1}b\n\"\\") == #""a\u0001b\n\"\\""#)
    }

    @Test("level names parse", arguments: LogLevel.allCases)
    func levelNames(_ level: LogLevel) {
        #expect(LogLevel(name: level.description) == level)
        #expect(LogLevel(name: level.description.uppercased()) == level)
    }
}

@Suite("Log throttle")
struct LogThrottleTests {
    @Test("a burst per interval goes through; the rest is counted, and a new interval starts afresh")
    func throttle() {
        var throttle = LogThrottle(burst: 3, interval: .seconds(1))
        let start = ContinuousClock.now
        var admitted: [Bool] = []
        for _ in 0..<10 { admitted.append(throttle.admit(now: start)) }
        #expect(admitted == [true, true, true] + Array(repeating: false, count: 7))
        let suppressed = throttle.takeSuppressed()
        let again = throttle.takeSuppressed()
        #expect(suppressed == 7 && again == 0)
        let late = throttle.admit(now: start + .milliseconds(999))
        let next = throttle.admit(now: start + .seconds(1))
        #expect(!late && next)
        #expect(throttle.takeSuppressed() == 1)
    }
}
