import Foundation
import TestSupport
import Testing

@Suite("The mqtt-discovery binary")
struct CommandLineTests {
    @Test("--version prints the version and exits 0")
    func version() async throws {
        let result = try await Binary.run(["--version"])
        #expect(result.status == 0)
        #expect(result.standardOutput.hasPrefix("mqtt-discovery "))
        #expect(result.standardOutput.split(separator: " ").last?.split(separator: ".").count == 3)
    }

    @Test("--help lists the subcommands and exits 0")
    func help() async throws {
        let result = try await Binary.run(["--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("USAGE: mqtt-discovery SUBCOMMAND"))
        #expect(result.standardOutput.contains("decode"))
    }

    @Test("every subcommand answers --help")
    func subcommandHelp() async throws {
        let root = try await Binary.run(["--help"]).standardOutput
        let section = root.components(separatedBy: "SUBCOMMANDS:")[1].components(separatedBy: "See '")[0]
        let names = section.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(!names.isEmpty)
        for name in names {
            let result = try await Binary.run([name, "--help"])
            #expect(result.status == 0, "\(name) --help")
            #expect(result.standardOutput.contains("USAGE: mqtt-discovery \(name)"))
        }
    }

    @Test("no arguments prints help to stderr and exits 64")
    func noArguments() async throws {
        let result = try await Binary.run([])
        #expect(result.status == 64)
        #expect(result.standardError.contains("USAGE:"))
    }

    @Test("an unknown command exits 64 with a pointer to --help")
    func unknownCommand() async throws {
        let result = try await Binary.run(["frobnicate"])
        #expect(result.status == 64)
        #expect(
            result.standardError
                == "error: mqtt-discovery: unknown command 'frobnicate' (see 'mqtt-discovery --help')\n"
        )
    }

    @Test("decode prints each packet")
    func decodePackets() async throws {
        let result = try await Binary.run(["decode", "--protocol", "3.1.1", "30 07 00 03 61 2F 62 68 69", "C0 00"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "PUBLISH topic=\"a/b\" qos=0 payload=\"hi\"\nPINGREQ\n")
        #expect(result.standardError.isEmpty)
    }

    @Test("decode reads standard input when given no arguments")
    func decodeStandardInput() async throws {
        let result = try await Binary.run(["decode"], input: "82 0B 00 02 02 0B 05 00 03 61 2F 23 2D\n")
        #expect(result.status == 0)
        #expect(
            result.standardOutput.hasPrefix(
                "SUBSCRIBE id=2 \"a/#\"(qos=1,no-local,retain-as-published,retain-handling=2)"
            )
        )
    }

    @Test("decode explains a malformed packet, goes on, and exits 65")
    func decodeMalformed() async throws {
        let result = try await Binary.run(["decode", "--protocol", "3.1.1", "30 05 00 03 61 2F 2B", "D0 00"])
        #expect(result.status == 65)
        #expect(result.standardOutput == "PINGRESP\n")
        #expect(
            result.standardError
                == "error: PUBLISH Topic Name: contains a wildcard ('+' or '#') (MQTT 3.1.1 §3.3.2.1 [MQTT-3.3.2-2])\n"
        )
    }

    @Test("decode reports input that ends inside a packet")
    func decodeTruncated() async throws {
        let result = try await Binary.run(["decode", "30 07 00"])
        #expect(result.status == 65)
        #expect(result.standardError.contains("ends inside a packet (3 bytes left over)"))
    }

    @Test("decode refuses text that is not hexadecimal")
    func decodeNotHex() async throws {
        let result = try await Binary.run(["decode", "C0 0G"])
        #expect(result.status == 65)
        #expect(result.standardError.contains("'G' at character 5 is not a hexadecimal digit"))
    }

    @Test("a bad option value exits 64 and names the allowed values")
    func badOption() async throws {
        let result = try await Binary.run(["decode", "--protocol", "4", "C0 00"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("--protocol must be one of 3.1.1, 5, not '4'"))
    }
}
