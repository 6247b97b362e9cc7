import AgentProtocol
import HPACK
import HTTP2

/// How fast a full device list is put on the wire: a `devices` frame, and a gRPC message in
/// HTTP/2 DATA frames (through our connection state machine, the peer's windows wide open).
enum ListEncodeRate {
    static func report(devices count: Int) {
        let devices = (0..<count).map { index in
            DiscoverResponse.Device(
                id: "plant/line-\(index / 100)/sensor-\(index)",
                properties: [
                    "MQTT_BROKER_URI": "tcp://broker.plant.example:1883",
                    "MQTT_TOPIC": "plant/line-\(index / 100)/sensor-\(index)/telemetry",
                    "MQTT_DEVICE_ID": "sensor-\(index)",
                ]
            ).serialized
        }
        var byID: [String: [UInt8]] = [:]
        for (index, device) in devices.enumerated() { byID["\(index)"] = device }
        let values = byID.values

        var size = 0
        let frames = rate {
            size = Frame.framedDevices(values).count
            return size
        }
        var connection = openConnection()
        let grpc = rate {
            let message = DiscoverResponse.grpcMessage(devices: values).bytes
            do {
                try connection.sendData(1, message, endStream: false)
            } catch {
                fatalError("the benchmark's stream closed: \(error)")
            }
            // The peer reads everything at once: credit comes straight back.
            _ = connection.receive(
                HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: UInt32(message.count))).encoded
                    + HTTP2Frame(streamID: 1, payload: .windowUpdate(increment: UInt32(message.count))).encoded
            )
            return connection.takeOutput().count
        }
        print(
            "full list of \(count) devices (\(size) bytes): frames \(Int(frames)) lists/s, gRPC over HTTP/2 \(Int(grpc)) lists/s (\(twoDecimals(grpc / frames))×)"
        )
    }

    /// Lists encoded per second over about a second.
    private static func rate(_ encode: () -> Int) -> Double {
        var sink = 0
        let start = ContinuousClock.now
        var lists = 0
        while ContinuousClock.now - start < .seconds(1) {
            sink &+= encode()
            lists += 1
        }
        let elapsed = ContinuousClock.now - start
        if sink == 42 { print("") }
        return Double(lists) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// A server connection with one open stream and the client's windows as large as they go.
    private static func openConnection() -> HTTP2Connection {
        var server = HTTP2Connection(role: .server)
        _ = server.receive(
            HTTP2Connection.clientPreface
                + HTTP2Frame(streamID: 0, payload: .settings([HTTP2Setting(HTTP2Setting.initialWindowSize, 1 << 30)]))
                .encoded
                + HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: (1 << 30) - 65_535)).encoded
                + HTTP2Frame(
                    streamID: 1,
                    payload: .headers(
                        HPACKEncoder().encode([
                            HeaderField(":method", "POST"), HeaderField(":scheme", "http"),
                            HeaderField(":path", "/v0.DiscoveryHandler/Discover"),
                            HeaderField("content-type", "application/grpc"),
                        ])[...],
                        endStream: true,
                        endHeaders: true
                    )
                ).encoded
        )
        do {
            try server.sendHeaders(1, [HeaderField(":status", "200")], endStream: false)
        } catch {
            fatalError("cannot open the benchmark's stream: \(error)")
        }
        _ = server.takeOutput()
        return server
    }
}

/// `1.23`.
func twoDecimals(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = abs(hundredths % 100)
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
