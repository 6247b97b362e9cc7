import ArgumentParsing
import CommandLineSupport
import MQTTClient
import MQTTCodec
import MQTTSession
import Testing

@Suite("What the commands share")
struct CommandLineSupportTests {
    static let spec = CommandSpec(name: "tool pub", abstract: "Publishes.", arguments: ConnectionOptions.arguments)

    static func options(_ arguments: [String]) throws -> ConnectionOptions {
        guard case .arguments(let parsed) = try spec.parse(arguments) else { throw UsageError("help", command: "") }
        return try ConnectionOptions(parsed)
    }

    @Test("connection options make the client configuration: a persistent session gets a stable id")
    func connection() throws {
        let persistent = try Self.options([
            "--url", "mqtts://broker:8883", "--no-clean", "--protocol", "3.1.1", "-k", "15", "--connect-timeout", "2.5",
            "--will-topic", "status/me", "--will-payload", "gone", "--will-qos", "1", "--will-retain",
        ])
        let configuration = try persistent.configuration(identity: "pub|t", environment: ["MQTT_PASSWORD": "pw"])
        #expect(configuration.protocolVersion == .v311)
        #expect(!configuration.cleanStart && configuration.sessionExpiryInterval == 3_600)
        #expect(configuration.keepAlive == 15 && configuration.connectTimeout == .milliseconds(2_500))
        #expect(configuration.password == Array("pw".utf8))
        #expect(configuration.will?.topic == "status/me" && configuration.will?.qos == .atLeastOnce)
        #expect(configuration.will?.retain == true)
        #expect(
            configuration.clientIdentifier
                == (try persistent.configuration(identity: "pub|t", environment: [:])).clientIdentifier
        )
        let clean = try Self.options(["--url", "tcp://broker"]).configuration(identity: "pub|t", environment: [:])
        #expect(clean.cleanStart && clean.sessionExpiryInterval == 0 && clean.keepAlive == 60)
        #expect(clean.connectTimeout == .seconds(10))
        #expect(throws: UsageError("--cert and --key go together", command: "tool pub")) {
            try Self.options(["--url", "tcp://b", "--cert", "c.pem"])
        }
    }

    @Test("a client error becomes the exit status the README promises")
    func exitStatuses() {
        #expect(ExitStatus(.refused(.notAuthorized, reasonString: nil)) == .notPermitted)
        #expect(ExitStatus(.refused(.serverBusy, reasonString: nil)) == .unavailable)
        #expect(ExitStatus(.unreachable("no")) == .unavailable)
        #expect(ExitStatus(.tls("bad")) == .unavailable)
        #expect(ExitStatus(.protocolViolation("bad")) == .protocolError)
        #expect(ExitStatus(.invalidURL("x", "bad")) == .usage)
        #expect(ExitStatus(.rejected(.quotaExceeded, reasonString: nil)) == .failure)
    }

    @Test("hexadecimal text: whitespace ignored, a stray character or an odd digit named")
    func hex() throws {
        #expect(try HexText.bytes("30 08\n00 0a").get() == [0x30, 0x08, 0x00, 0x0A])
        #expect(throws: HexText.Malformed.self) { try HexText.bytes("30 0g").get() }
        #expect(throws: HexText.Malformed.self) { try HexText.bytes("300").get() }
    }
}
