import AgentProtocol
import Foundation
import TestSupport
import Testing

/// `protoc`, Google's own reader of the `.proto` files, agrees with our encoding of every frame.
@Suite("Proto/ read by protoc")
struct ProtocTests {
    /// The repository's Proto/ directory.
    static let protoDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Proto").path
    }()

    private func protoc(
        _ mode: String,
        input: [UInt8],
        type: String = "mqtt_discovery.v1.Frame"
    ) async throws -> ExternalProcess {
        let directory = try TemporaryDirectory()
        let file = try directory.write("input", bytes: input)
        let process = try ExternalProcess(
            Machine.which("protoc") ?? "/usr/bin/protoc",
            ["--\(mode)=\(type)", "-I", Self.protoDirectory, "local_socket.proto"],
            standardInput: file,
            separateStandardError: true
        )
        let status = await process.waitForExit(timeout: .seconds(20))
        #expect(status == 0, "protoc --\(mode): \(process.errorLog)")
        return process
    }

    @Test(
        "protoc --decode reads every kind of frame we write, and its re-encoding reads back the same",
        arguments: FrameTests.frames
    )
    func decode(_ frame: Frame) async throws {
        let text = try await protoc("decode", input: frame.serialized).log
        #expect(text.hasPrefix("\(frame.name) {"), "\(text)")
        let reencoded = try await protoc("encode", input: Array(text.utf8)).output
        #expect(try Frame(serialized: reencoded[...]) == frame)
    }

    @Test("protoc --decode shows every field where the .proto file says it is")
    func fields() async throws {
        let frame = Frame.event(
            InstanceEvent(
                .updated,
                Instance(
                    name: "plant-4294ea",
                    configuration: "plant",
                    device: .init(id: "my_shared_device", properties: ["MQTT_TOPIC": "a/b"]),
                    shared: true,
                    nodes: ["node-a"],
                    capacity: 2
                )
            )
        )
        let text = try await protoc("decode", input: frame.serialized).log
        #expect(
            text == """
                event {
                  kind: UPDATED
                  instance {
                    name: "plant-4294ea"
                    configuration: "plant"
                    device {
                      id: "my_shared_device"
                      properties {
                        key: "MQTT_TOPIC"
                        value: "a/b"
                      }
                    }
                    shared: true
                    nodes: "node-a"
                    capacity: 2
                  }
                }

                """
        )
    }

    @Test("our additions ride in Akri's DiscoverResponse: Akri's message skips them, ours reads them")
    func additions() async throws {
        let response = DiscoverResponse(
            devices: [.init(id: "a")],
            changes: true,
            removed: [.init(id: "b", reason: "silence")],
            more: true
        )
        let additions = try await protoc(
            "decode",
            input: response.serialized,
            type: "mqtt_discovery.v1.DiscoverResponseAdditions"
        ).log
        #expect(
            additions.contains("changes: true") && additions.contains("id: \"b\"")
                && additions.contains("reason: \"silence\"") && additions.contains("more: true"),
            "\(additions)"
        )
        // Akri's message (discovery.proto, untouched) sees its device and our fields only as unknown numbers.
        let akri = try await protoc("decode", input: response.serialized, type: "v0.DiscoverResponse").log
        #expect(akri.hasPrefix("devices {\n  id: \"a\"\n}\n100: 1\n101 {"), "\(akri)")
        let request = DiscoverRequest(discoveryDetails: "x", acceptsChanges: true)
        let read = try await protoc(
            "decode",
            input: request.serialized,
            type: "mqtt_discovery.v1.DiscoverRequestAdditions"
        )
        #expect(read.log.contains("changes: true\n"), "\(read.log)")
    }
}
