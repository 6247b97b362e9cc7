import AgentProtocol
import Protobuf
import Testing

@Suite("Frames and framing")
struct FrameTests {
    static let frames: [Frame] = [
        .register(RegisterDiscoveryHandlerRequest(name: "mqtt", endpoint: "/var/lib/akri/mqtt.sock", shared: true)),
        .registered,
        .discover(DiscoverRequest(discoveryDetails: "topics: [a/#]", discoveryProperties: ["k": [1, 2], "n": nil])),
        .devices(DiscoverResponse(devices: [.init(id: "a/b", properties: ["MQTT_TOPIC": "a/b"])])),
        .devices(DiscoverResponse(devices: [])),
        .error(Status(.invalidArgument, "3:13: topic filter 'a/#/b': '#' must be the last level")),
        .watch(WatchRequest(configuration: "plant")),
        .watch(WatchRequest()),
        .event(
            InstanceEvent(
                .updated,
                Instance(
                    name: "plant-4294ea",
                    configuration: "plant",
                    device: .init(id: "my_shared_device", properties: ["A": "1"]),
                    shared: true,
                    nodes: ["node-a", "node-b"]
                )
            )
        ),
        .event(InstanceEvent(.synced, nil)),
    ]

    @Test("a devices frame from devices already serialized is byte for byte the frame encoded whole")
    func framedDevices() throws {
        let devices = [
            DiscoverResponse.Device(id: "a", properties: ["MQTT_TOPIC": "x/a", "Z": ""]),
            DiscoverResponse.Device(id: "b/c"),
            DiscoverResponse.Device(id: ""),
        ]
        let frame = Frame.devices(DiscoverResponse(devices: devices))
        #expect(Frame.framedDevices(devices.map(\.serialized)) == frame.framed)
        #expect(Frame.framedDevices([]) == Frame.devices(DiscoverResponse(devices: [])).framed)
    }

    @Test("every kind of frame round-trips through its bytes", arguments: frames)
    func roundTrip(_ frame: Frame) throws {
        #expect(try Frame(serialized: frame.serialized[...]) == frame)
        var decoder = FrameDecoder()
        decoder.append(frame.framed)
        #expect(try decoder.next() == frame)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedBytes == 0)
    }

    @Test("registered is an empty v0.Empty; a frame with no message is an error")
    func emptyMessages() throws {
        #expect(Frame.registered.framed == [0, 0, 0, 2, 0x12, 0])
        #expect(throws: AgentProtocolError.emptyFrame) { try Frame(serialized: [][...]) }
        #expect(throws: AgentProtocolError.emptyFrame) { try Frame(serialized: [0x48, 0x01][...]) }
    }

    @Test("a stream of frames decodes the same however it is cut")
    func splits() throws {
        let stream = Self.frames.flatMap(\.framed)
        for cut in [1, 2, 3, 5, 7, 64, stream.count] {
            var decoder = FrameDecoder()
            var decoded: [Frame] = []
            var index = 0
            while index < stream.count {
                decoder.append(stream[index..<min(index + cut, stream.count)])
                index += cut
                while let frame = try decoder.next() { decoded.append(frame) }
            }
            #expect(decoded == Self.frames, "cut into \(cut)-byte reads")
        }
    }

    @Test("a length over the limit is refused from its four bytes, before any body arrives")
    func tooLarge() {
        var decoder = FrameDecoder(maximumFrameSize: 1_000)
        decoder.append([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: AgentProtocolError.frameTooLarge(length: 4_294_967_295, limit: 1_000)) { try decoder.next() }
        // watch{configuration: "abcd"} is 8 bytes: 32 06 0a 04 61 62 63 64.
        let frame = Frame.watch(WatchRequest(configuration: "abcd"))
        var exact = FrameDecoder(maximumFrameSize: 8)
        exact.append(frame.framed)
        #expect(throws: Never.self) { try exact.next() }
        var short = FrameDecoder(maximumFrameSize: 7)
        short.append(frame.framed.prefix(4))
        #expect(throws: AgentProtocolError.frameTooLarge(length: 8, limit: 7)) { try short.next() }
        #expect(AgentProtocolError.frameTooLarge(length: 8, limit: 7).statusCode == .resourceExhausted)
    }

    @Test("bytes that are not a frame are an error naming the problem")
    func malformed() {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 3, 0x0a, 0x05, 0x6d])
        #expect(throws: AgentProtocolError.malformedFrame(ProtobufError(.truncated, at: 1))) { try decoder.next() }
        #expect(AgentProtocolError.emptyFrame.statusCode == .invalidArgument)
    }
}
