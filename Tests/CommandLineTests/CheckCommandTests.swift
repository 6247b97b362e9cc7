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

    static let crd = Peers.root + "/Tests/Fixtures/akri-configuration-crd.yaml"

    @Test("every Configuration in Configurations/ is one Akri's CRD accepts (jsonschema), and check notes nothing")
    func akriSchema() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configurations)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "\(Self.configurations)/\($0)" }
        let results = try await Peers.run("akri_schema.py", [Self.crd] + files)
        #expect(results.count >= 2, "\(results)")
        for result in results { #expect(result["valid"] as? Bool == true, "\(result)") }
        let check = try await Binary.run(["check"] + files)
        #expect(!check.standardOutput.contains("note:"), "\(check.standardOutput)")
    }

    @Test(
        "what Akri's CRD refuses, check accepts with a note naming it: valueFrom.file, numbers for strings, value and valueFrom"
    )
    func extensionsNoted() async throws {
        let directory = try TemporaryDirectory(prefix: "check")
        let secret = try directory.write("secret", "s3cret")
        let file = try directory.write(
            "ours.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata: {name: ours}
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
                  mqttBrokerUri: tcp://b:1883
                  topics: [a/#]
                discoveryProperties:
                  - name: mqtt_broker_password
                    valueFrom:
                      file: \(secret)
                  - name: flag
              brokerProperties:
                WIDTH: 800
              capacity: 2
            """
        )
        let schema = try await Peers.run("akri_schema.py", [Self.crd, file])
        let errors = try #require(schema.first?["errors"] as? [String])
        #expect(schema.first?["valid"] as? Bool == false)
        #expect(errors.count == 3, "\(errors)")
        let check = try await Binary.run(["check", file])
        #expect(check.status == 0, "\(check.standardOutput)")
        #expect(
            check.standardOutput.split(separator: "\n").filter { $0.contains("note:") }.map(String.init) == [
                "\(file):13:11: note: valueFrom.file is mqtt-discovery's own (for machines without Kubernetes): Akri's CRD accepts only secretKeyRef or configMapKeyRef",
                "\(file):14:9: note: discovery property 'flag' needs exactly one of value and valueFrom",
                "\(file):16:12: note: brokerProperties.WIDTH is a YAML number, not a string: Akri's CRD would refuse it; quote it",
            ]
        )
        let badCapacity = try directory.write(
            "capacity.yaml",
            try String(contentsOfFile: file, encoding: .utf8).replacing("capacity: 2", with: "capacity: two")
        )
        let refused = try await Binary.run(["check", badCapacity])
        #expect(refused.status == 65)
        #expect(
            refused.standardOutput.contains("17:13: spec.capacity must be a whole number of 1 or more"),
            "\(refused.standardOutput)"
        )
    }

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
