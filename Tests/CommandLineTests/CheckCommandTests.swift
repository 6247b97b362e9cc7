import Foundation
import TestSupport
import Testing

@Suite("check")
struct CheckCommandTests {
    /// The repository's Configurations/ directory.
    static let configurations: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Configurations").path
    }()

    @Test("every file in Configurations/ is valid")
    func shippedConfigurations() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configurations)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "\(Self.configurations)/\($0)" }
        #expect(files.count >= 10)
        let result = try await Binary.run(["check"] + files)
        #expect(result.status == 0, "\(result.standardOutput)")
        let lines = result.standardOutput.split(separator: "\n")
        for file in files { #expect(lines.contains("\(file): ok") || lines.contains { $0.hasPrefix("\(file): ok (") }) }
        // The only remark: a secret outside Kubernetes.
        #expect(
            lines.filter { !$0.contains(": ok") }
                == [
                    "\(Self.configurations)/akri-configuration.yaml:28:9: warning: mqtt_broker_password: a Secret is resolved by Kubernetes; left out here (give --secrets-dir to resolve it from a directory)"
                ]
        )
    }

    @Test("problems inside a Configuration's details point into the file")
    func configurationPositions() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "bad.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata:
              name: broken
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
                  mqttBrokerUri: tcp://:1883
                  topics:
                    - ok/#
                    - a/#/b
                  timeoutSecond: 5

            """
        )
        let result = try await Binary.run(["check", file])
        #expect(result.status == 65)
        #expect(
            result.standardOutput == """
                \(file):9:22: broker URL 'tcp://:1883': it has no host
                \(file):12:13: topic filter 'a/#/b': '#' must be the last level and stand alone in it
                \(file):13:7: warning: unknown key 'timeoutSecond' in the discovery details is ignored; did you mean 'timeoutSeconds'?

                """
        )
    }

    @Test(
        "deeply nested YAML (60,000 levels) is refused with its position, at once, in bare details and inside a Configuration"
    )
    func deepNesting() async throws {
        let directory = try TemporaryDirectory()
        let bare = try directory.write("deep.yaml", "topics:\n  " + String(repeating: "- ", count: 60_000) + "x\n")
        let nested = try directory.write(
            "deep-configuration.yaml",
            """
            kind: Configuration
            metadata:
              name: deep
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
                  topics: \(String(repeating: "[", count: 60_000))

            """
        )
        let result = try await Binary.run(["check", bare, nested])
        #expect(result.status == 65)
        #expect(
            result.standardOutput == """
                \(bare):2:129: invalid YAML: collections nested deeper than 64 levels
                \(nested):8:78: invalid YAML: collections nested deeper than 64 levels

                """
        )
    }

    @Test(
        "exit statuses: bytes that are not UTF-8 are malformed input (65); a file a Configuration names that cannot be read is missing input (66)"
    )
    func exitStatuses() async throws {
        let directory = try TemporaryDirectory()
        let binary = try directory.write("binary.yaml", bytes: Array("topics:\n  - a/\u{00e9}".utf8) + [0xFF, 0x0A])
        let notText = try await Binary.run(["check", binary])
        #expect(notText.status == 65)
        #expect(notText.standardOutput == "\(binary):2:8: not UTF-8 text (byte 17)\n")
        let configuration = try directory.write(
            "secret.yaml",
            """
            kind: Configuration
            metadata:
              name: secret
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: "{mqttBrokerUri: 'tcp://b', topics: [a/#]}"
                discoveryProperties:
                  - name: mqtt_broker_password
                    valueFrom:
                      file: \(directory.file("absent"))

            """
        )
        for command in [["check", configuration], ["discover", configuration]] {
            let result = try await Binary.run(command)
            #expect(result.status == 66, "\(command[0]): \(result.standardOutput) \(result.standardError)")
        }
    }

    @Test("details given as a quoted string are mapped too")
    func quotedDetails() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "quoted.yaml",
            "kind: Configuration\nmetadata:\n  name: q\nspec:\n  discoveryHandler:\n    name: mqtt\n    discoveryDetails: \"{mqttBrokerUri: 'tcp://b', topics: [a/#/b]}\"\n"
        )
        let result = try await Binary.run(["check", file])
        #expect(result.status == 65)
        #expect(result.standardOutput.hasPrefix("\(file):7:62: topic filter 'a/#/b'"), "\(result.standardOutput)")
    }

    @Test("a Configuration without a name, and an unreadable file (which decides the status)")
    func configurationErrors() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("noname.yaml", "kind: Configuration\nmetadata: {}\nspec: {}\n")
        await #expect(try Binary.run(["check", file]).status == 65)
        let result = try await Binary.run(["check", file, directory.file("missing.yaml")])
        #expect(result.status == 66)
        #expect(result.standardOutput.contains("\(file):2:11: metadata.name is missing"))
        #expect(result.standardOutput.contains("missing.yaml: error: No such file or directory"))
    }
}
