import HPACK
import Testing

@testable import HTTP2

/// A client and a server state machine wired to each other in memory.
struct Pair {
    var client: HTTP2Connection
    var server: HTTP2Connection
    var clientEvents: [HTTP2Event] = []
    var serverEvents: [HTTP2Event] = []

    init(client: HTTP2Connection.Configuration = .init(), server: HTTP2Connection.Configuration = .init()) {
        self.client = HTTP2Connection(role: .client, configuration: client)
        self.server = HTTP2Connection(role: .server, configuration: server)
        pump()
    }

    /// Moves output both ways until neither side has anything to say; each side consumes the
    /// DATA it gets at once, as an application reading every message would.
    mutating func pump() {
        while client.hasOutput || server.hasOutput {
            let toServer = client.takeOutput()
            if !toServer.isEmpty { serverEvents += Self.consuming(server.receive(toServer), by: &server) }
            let toClient = server.takeOutput()
            if !toClient.isEmpty { clientEvents += Self.consuming(client.receive(toClient), by: &client) }
        }
        clientEvents += client.takeEvents()
        serverEvents += server.takeEvents()
    }
}

extension Pair {
    static func consuming(_ events: [HTTP2Event], by connection: inout HTTP2Connection) -> [HTTP2Event] {
        for case .data(let id, let bytes, _) in events { connection.consume(id, bytes.count) }
        return events
    }
}

let request = [
    HeaderField(":method", "POST"), HeaderField(":scheme", "http"),
    HeaderField(":path", "/v0.DiscoveryHandler/Discover"),
    HeaderField(":authority", "[::1]:50051"), HeaderField("content-type", "application/grpc"),
    HeaderField("te", "trailers"),
]

/// A server fed raw frames, as a hostile client would send them.
struct RawClient {
    var server = HTTP2Connection(role: .server)
    var events: [HTTP2Event] = []
    var output: [HTTP2Frame] = []

    init(configuration: HTTP2Connection.Configuration = .init(), settings: [HTTP2Setting] = []) {
        server = HTTP2Connection(role: .server, configuration: configuration)
        send(HTTP2Connection.clientPreface + HTTP2Frame(streamID: 0, payload: .settings(settings)).encoded)
    }

    mutating func send(_ bytes: [UInt8], at now: Duration = .zero) {
        events += server.receive(bytes, at: now)
        var reader = HTTP2FrameReader(maximumFrameSize: 1 << 24)
        reader.append(server.takeOutput())
        while let frame = try? reader.next() { output.append(frame) }
    }

    mutating func send(_ frames: HTTP2Frame..., at now: Duration = .zero) {
        send(frames.flatMap(\.encoded), at: now)
    }

    mutating func headers(_ stream: UInt32, _ fields: [HeaderField] = request, endStream: Bool = false) {
        send(
            HTTP2Frame(
                streamID: stream,
                payload: .headers(HPACKEncoder().encode(fields)[...], endStream: endStream, endHeaders: true)
            )
        )
    }

    var goAway: (lastStreamID: UInt32, code: HTTP2ErrorCode)? {
        for frame in output {
            if case .goAway(let last, let code, _) = frame.payload { return (last, code) }
        }
        return nil
    }

    func resets(_ stream: UInt32) -> [HTTP2ErrorCode] {
        output.compactMap { frame in
            if frame.streamID == stream, case .rstStream(let code) = frame.payload { return code }
            return nil
        }
    }
}

@Suite("HTTP/2 connection state machine (RFC 9113)")
struct HTTP2ConnectionTests {
    @Test("Preface, SETTINGS both ways and acknowledged; a request and its response, trailers included")
    func exchange() throws {
        var pair = Pair()
        #expect(pair.clientEvents.contains { if case .settings = $0 { true } else { false } })
        #expect(pair.serverEvents.contains { if case .settings = $0 { true } else { false } })
        let id = try pair.client.openStream(request, endStream: false)
        try pair.client.sendData(id, [0, 0, 0, 0, 1, 42], endStream: true)
        pair.pump()
        #expect(pair.serverEvents.contains(.headers(streamID: 1, request, endStream: false)))
        #expect(pair.serverEvents.contains(.data(streamID: 1, [0, 0, 0, 0, 1, 42], endStream: true)))
        try pair.server.sendHeaders(1, [HeaderField(":status", "200")], endStream: false)
        try pair.server.sendData(1, [1, 2, 3], endStream: false)
        try pair.server.sendHeaders(1, [HeaderField("grpc-status", "0")], endStream: true)
        pair.pump()
        #expect(pair.clientEvents.contains(.headers(streamID: 1, [HeaderField(":status", "200")], endStream: false)))
        #expect(pair.clientEvents.contains(.data(streamID: 1, [1, 2, 3], endStream: false)))
        #expect(pair.clientEvents.contains(.headers(streamID: 1, [HeaderField("grpc-status", "0")], endStream: true)))
        #expect(pair.clientEvents.contains(.streamClosed(streamID: 1)))
        #expect(pair.client.openStreamCount == 0)
        #expect(pair.server.openStreamCount == 0)
    }

    @Test("DATA never passes the peer's window, is split at its SETTINGS_MAX_FRAME_SIZE, and resumes on WINDOW_UPDATE")
    func flowControl() throws {
        var client = HTTP2Connection.Configuration()
        client.initialWindowSize = 65_535
        client.connectionWindowSize = 65_535
        var pair = Pair(client: client)
        let id = try pair.client.openStream(request, endStream: true)
        pair.pump()
        try pair.server.sendHeaders(id, [HeaderField(":status", "200")], endStream: false)
        var frames: [HTTP2Frame] = []
        try pair.server.sendData(id, [UInt8](repeating: 1, count: 100_000), endStream: true)
        var reader = HTTP2FrameReader()
        reader.append(pair.server.takeOutput())
        while let frame = try reader.next() { frames.append(frame) }
        let sizes = frames.map(\.flowControlledLength).filter { $0 > 0 }
        #expect(sizes.allSatisfy { $0 <= 16_384 })
        #expect(sizes.reduce(0, +) == 65_535)
        #expect(pair.server.queuedBytes(id) == 100_000 - 65_535)
        // The client consumes what arrived and gives credit back; the rest follows.
        for frame in frames {
            pair.clientEvents += Pair.consuming(pair.client.receive(frame.encoded), by: &pair.client)
        }
        pair.pump()
        let received = pair.clientEvents.reduce(0) { total, event in
            if case .data(_, let bytes, _) = event { return total + bytes.count }
            return total
        }
        #expect(received == 100_000)
        #expect(pair.clientEvents.contains(.streamClosed(streamID: id)))
        #expect(pair.serverEvents.contains(.streamWritable(streamID: id)))
    }

    @Test("A smaller SETTINGS_INITIAL_WINDOW_SIZE makes a window negative; sending waits until it is positive (§6.9.2)")
    func windowShrinks() throws {
        var pair = Pair()
        let id = try pair.client.openStream(request, endStream: true)
        pair.pump()
        try pair.server.sendHeaders(id, [HeaderField(":status", "200")], endStream: false)
        _ = pair.server.receive(
            HTTP2Frame(streamID: 0, payload: .settings([HTTP2Setting(HTTP2Setting.initialWindowSize, 10)])).encoded
        )
        _ = pair.server.takeOutput()
        try pair.server.sendData(id, [UInt8](repeating: 1, count: 30), endStream: false)
        #expect(pair.server.queuedBytes(id) == 20)
        _ = pair.server.receive(
            HTTP2Frame(streamID: 0, payload: .settings([HTTP2Setting(HTTP2Setting.initialWindowSize, 0)])).encoded
        )
        _ = pair.server.receive(HTTP2Frame(streamID: id, payload: .windowUpdate(increment: 15)).encoded)
        #expect(pair.server.queuedBytes(id) == 15)
    }

    @Test("A bad preface and a first frame that is not SETTINGS are PROTOCOL_ERROR (§3.4)")
    func preface() {
        var server = HTTP2Connection(role: .server)
        let events = server.receive(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(events.count == 1)
        #expect(server.failure?.code == .protocolError)
        var raw = RawClient()
        raw.server = HTTP2Connection(role: .server)
        raw.send(HTTP2Connection.clientPreface + HTTP2Frame(streamID: 0, payload: .ping(1, ack: false)).encoded)
        #expect(raw.goAway?.code == .protocolError)
    }

    @Test("PING is answered with the same data; SETTINGS are acknowledged; PRIORITY and unknown frames are ignored")
    func control() {
        var raw = RawClient()
        raw.send(
            HTTP2Frame(streamID: 0, payload: .ping(0xDEAD_BEEF, ack: false)),
            HTTP2Frame(streamID: 0, payload: .settings([HTTP2Setting(HTTP2Setting.maxFrameSize, 32_768)])),
            HTTP2Frame(streamID: 5, payload: .priority(.init(exclusive: false, dependency: 0, weight: 1))),
            HTTP2Frame(streamID: 0, payload: .unknown(type: 0xEE, flags: 0xFF, payload: [1, 2, 3]))
        )
        #expect(raw.output.contains(HTTP2Frame(streamID: 0, payload: .ping(0xDEAD_BEEF, ack: true))))
        #expect(raw.output.filter { $0.payload == .settingsAcknowledgement }.count == 2)
        #expect(raw.server.peerSettings.maxFrameSize == 32_768)
        #expect(raw.goAway == nil)
    }

    @Test("DATA past the stream's window is a stream error; past the connection's, a connection error (§6.9)")
    func dataPastWindow() {
        var configuration = HTTP2Connection.Configuration()
        configuration.initialWindowSize = 100
        configuration.connectionWindowSize = 65_535
        var raw = RawClient(configuration: configuration)
        raw.headers(1)
        raw.send(HTTP2Frame(streamID: 1, payload: .data([UInt8](repeating: 0, count: 101)[...], endStream: false)))
        #expect(raw.resets(1) == [.flowControlError])
        #expect(raw.goAway == nil)
        for stream in stride(from: UInt32(3), through: 11, by: 2) {
            raw.headers(stream)
            raw.send(
                HTTP2Frame(streamID: stream, payload: .data([UInt8](repeating: 0, count: 100)[...], endStream: false))
            )
        }
        var many = RawClient(configuration: configuration)
        many.send(HTTP2Frame(streamID: 1, payload: .data([UInt8](repeating: 0, count: 10)[...], endStream: false)))
        #expect(many.goAway?.code == .protocolError)  // DATA on an idle stream
        // Credit comes back only for DATA consumed: five streams holding 16,000 octets each
        // pass the connection's 65,535.
        configuration.initialWindowSize = 1 << 20
        var connection = RawClient(configuration: configuration)
        for stream in stride(from: UInt32(1), through: 9, by: 2) {
            connection.headers(stream)
            connection.send(
                HTTP2Frame(
                    streamID: stream,
                    payload: .data([UInt8](repeating: 0, count: 16_000)[...], endStream: false)
                )
            )
        }
        #expect(connection.goAway?.code == .flowControlError)
    }

    @Test("Consumed DATA gives credit back in WINDOW_UPDATEs once half a window is owed; padding at once")
    func credit() {
        var configuration = HTTP2Connection.Configuration()
        configuration.initialWindowSize = 1_000
        configuration.connectionWindowSize = 65_535
        var raw = RawClient(configuration: configuration)
        raw.headers(1)
        raw.send(
            HTTP2Frame(
                streamID: 1,
                payload: .data([UInt8](repeating: 0, count: 400)[...], endStream: false, padding: 100)
            )
        )
        raw.server.consume(1, 399)
        raw.send([])
        #expect(!raw.output.contains { $0.streamID == 1 && $0.payload == .windowUpdate(increment: 499) })
        raw.server.consume(1, 1)
        raw.send([])
        #expect(raw.output.contains { $0.streamID == 1 && $0.payload == .windowUpdate(increment: 500) })
        raw.send(HTTP2Frame(streamID: 1, payload: .data([UInt8](repeating: 0, count: 600)[...], endStream: false)))
        #expect(raw.resets(1) == [], "500 were given back: 400 + 600 fit the window of 1,000 + 500")
    }

    @Test(
        "HEADERS on a stream both sides closed is STREAM_CLOSED; after our RST_STREAM, late frames are ignored (§5.1)"
    )
    func closedStreams() throws {
        var raw = RawClient()
        raw.headers(1, endStream: true)
        try raw.server.sendHeaders(1, [HeaderField(":status", "200")], endStream: true)
        raw.headers(3)
        raw.server.resetStream(3, .cancel)
        raw.send(HTTP2Frame(streamID: 3, payload: .data([1][...], endStream: true)))
        #expect(raw.goAway == nil)
        raw.headers(1, endStream: true)
        #expect(raw.goAway?.code == .streamClosed)
    }

    @Test("A client stream with an even identifier, or one lower than before, is PROTOCOL_ERROR (§5.1.1)")
    func streamIdentifiers() {
        var even = RawClient()
        even.headers(2)
        #expect(even.goAway?.code == .protocolError)
        var lower = RawClient()
        lower.headers(5)
        lower.headers(3)
        #expect(lower.goAway?.code == .streamClosed || lower.goAway?.code == .protocolError)
    }

    @Test(
        "CONTINUATION without end is cut off at 64 frames with ENHANCE_YOUR_CALM; anything else inside a block is PROTOCOL_ERROR"
    )
    func continuationFlood() {
        var raw = RawClient()
        raw.send(HTTP2Frame(streamID: 1, payload: .headers([0x82], endStream: false, endHeaders: false)))
        for _ in 0..<100 { raw.send(HTTP2Frame(streamID: 1, payload: .continuation([], endHeaders: false))) }
        #expect(raw.goAway?.code == .enhanceYourCalm)
        var interleaved = RawClient()
        interleaved.send(HTTP2Frame(streamID: 1, payload: .headers([0x82], endStream: false, endHeaders: false)))
        interleaved.send(HTTP2Frame(streamID: 0, payload: .ping(1, ack: false)))
        #expect(interleaved.goAway?.code == .protocolError)
        var orphan = RawClient()
        orphan.send(HTTP2Frame(streamID: 1, payload: .continuation([0x82], endHeaders: true)))
        #expect(orphan.goAway?.code == .protocolError)
    }

    @Test(
        "HPACK errors are COMPRESSION_ERROR: an index past the table, a table size over the setting, bad Huffman padding"
    )
    func compression() {
        for block: [UInt8] in [[0xBF, 0x7F], [0x3F, 0xE2, 0x1F], [0x00, 0x81, 0xFF, 0x81, 0x00]] {
            var raw = RawClient()
            raw.send(HTTP2Frame(streamID: 1, payload: .headers(block[...], endStream: true, endHeaders: true)))
            #expect(raw.goAway?.code == .compressionError, "\(block)")
        }
    }

    @Test("Streams past SETTINGS_MAX_CONCURRENT_STREAMS are refused with REFUSED_STREAM (§5.1.2)")
    func concurrency() {
        var configuration = HTTP2Connection.Configuration()
        configuration.maxConcurrentStreams = 2
        var raw = RawClient(configuration: configuration)
        raw.headers(1)
        raw.headers(3)
        raw.headers(5)
        #expect(raw.resets(5) == [.refusedStream])
        #expect(raw.server.openStreamCount == 2)
        #expect(raw.goAway == nil)
    }

    @Test("Rapid reset: 1,000 streams reset at once are allowed, the next one ends the connection; 33 a second go on")
    func rapidReset() {
        var raw = RawClient()
        for index in 0..<1_000 {
            let id = UInt32(2 * index + 1)
            raw.headers(id)
            raw.send(HTTP2Frame(streamID: id, payload: .rstStream(.cancel)))
        }
        #expect(raw.goAway == nil)
        raw.headers(2_001)
        raw.send(HTTP2Frame(streamID: 2_001, payload: .rstStream(.cancel)))
        #expect(raw.goAway?.code == .enhanceYourCalm)
        var paced = RawClient()
        for index in 0..<3_000 {
            let id = UInt32(2 * index + 1)
            paced.headers(id)
            paced.send(HTTP2Frame(streamID: id, payload: .rstStream(.cancel)), at: .milliseconds(30 * index))
        }
        #expect(paced.goAway == nil)
    }

    @Test("Malformed requests are stream errors: uppercase names, connection-specific fields, a missing :path (§8)")
    func malformed() {
        let cases: [[HeaderField]] = [
            request + [HeaderField("Content-Type", "x")],
            request + [HeaderField("connection", "close")],
            request.filter { $0.name != ":path" },
            [HeaderField("x", "1")] + request,
            request.map { $0.name == "te" ? HeaderField("te", "gzip") : $0 },
        ]
        for fields in cases {
            var raw = RawClient()
            raw.headers(1, fields)
            #expect(raw.resets(1) == [.protocolError], "\(fields)")
            #expect(raw.goAway == nil)
        }
    }

    @Test("The peer's GOAWAY: our streams above its last are reset as unprocessed; no new streams after it")
    func peerGoAway() throws {
        var pair = Pair()
        let first = try pair.client.openStream(request, endStream: false)
        let second = try pair.client.openStream(request, endStream: false)
        _ = pair.client.takeOutput()
        let events = pair.client.receive(
            HTTP2Frame(streamID: 0, payload: .goAway(lastStreamID: first, .noError, debugData: [])).encoded
        )
        #expect(events.contains(.streamReset(streamID: second, .refusedStream)))
        #expect(pair.client.isOpen(first))
        #expect(throws: HTTP2Error.self) { try pair.client.openStream(request, endStream: true) }
    }

    @Test("A PUSH_PROMISE is a PROTOCOL_ERROR both ways (push disabled, or from a client)")
    func push() throws {
        var raw = RawClient()
        raw.send(HTTP2Frame(streamID: 1, payload: .pushPromise(promisedStreamID: 2, [0x82], endHeaders: true)))
        #expect(raw.goAway?.code == .protocolError)
    }

    @Test("Trailers wait behind queued DATA")
    func trailersAfterData() throws {
        var client = HTTP2Connection.Configuration()
        client.initialWindowSize = 65_535
        var pair = Pair(client: client)
        let id = try pair.client.openStream(request, endStream: true)
        pair.pump()
        try pair.server.sendHeaders(id, [HeaderField(":status", "200")], endStream: false)
        try pair.server.sendData(id, [UInt8](repeating: 2, count: 70_000), endStream: false)
        try pair.server.sendHeaders(id, [HeaderField("grpc-status", "0")], endStream: true)
        pair.pump()
        let order = pair.clientEvents.compactMap { event -> String? in
            switch event {
            case .data: "data"
            case .headers(_, _, let end): end ? "trailers" : "head"
            default: nil
            }
        }
        #expect(order.first == "head")
        #expect(order.last == "trailers")
        #expect(order.filter { $0 == "trailers" }.count == 1)
    }
}
