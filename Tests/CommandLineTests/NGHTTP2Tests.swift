import Foundation
import TestSupport
import Testing

/// nghttp2's client (`nghttp`, Debian's nghttp2-client), an HTTP/2 peer we did not write,
/// against the handler's gRPC port (network mode): its HPACK indexes and Huffman-codes, ours
/// answers; three streams on one connection.
@Suite("HTTP/2 against nghttp2")
struct NGHTTP2Tests {
    @Test("nghttp calls Discover three times on one connection and reads each INVALID_ARGUMENT trailers-only answer")
    func nghttp() async throws {
        let nghttp = try Machine.require("nghttp")
        let directory = try TemporaryDirectory(prefix: "akri")
        let port = try HeldPort()
        var environment = ProcessInfo.processInfo.environment
        environment["POD_IP"] = "127.0.0.1"
        let handler = try Binary.start(
            ["handler", "--directory", directory.path, "--grpc-port", String(port.port)],
            environment: environment
        )
        try await handler.waitForLog(containing: "serving Discover over gRPC on the network")
        let details = Array("mqttBrokerUri: tcp://b\ntopics: [a/#/b]\n".utf8)
        let message = [0x0A, UInt8(details.count)] + details
        let body = [0, 0, 0, 0, UInt8(message.count)] + message
        let request = try directory.write("request.bin", String(decoding: body, as: UTF8.self))
        let process = try ExternalProcess(
            nghttp,
            [
                "-nv", "--no-dep", "-m", "3", "-H", ":method: POST", "-H", "content-type: application/grpc",
                "-H", "te: trailers", "-d", request, "http://127.0.0.1:\(port.port)/v0.DiscoveryHandler/Discover",
            ]
        )
        let status = await process.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "\(process.log)")
        let log = process.log
        #expect(log.components(separatedBy: "recv (stream_id=").count - 1 >= 12, "three heads of four fields")
        #expect(log.components(separatedBy: "grpc-status: 3").count - 1 == 3, "\(log)")
        #expect(log.contains("grpc-message: 2:12: topic filter 'a/#/b'"))
        #expect(log.contains("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]"))
        #expect(log.contains("recv SETTINGS frame <length=0, flags=0x01, stream_id=0>"), "our ACK of nghttp's SETTINGS")
        #expect(
            !log.contains(
                "GOAWAY frame <length=8, flags=0x00, stream_id=0>\n          (last_stream_id=0, error_code=PROTOCOL"
            )
        )
        #expect(handler.isRunning)
        #expect(await handler.stop() == 0)
    }
}
