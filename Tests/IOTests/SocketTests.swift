import Foundation
import IO
import TestSupport
import Testing

@Suite("Sockets: TCP, Unix, errors")
struct SocketTests {
    /// Starts an echo server on `address` and returns its listener.
    private func echoServer(
        on address: SocketAddress,
        loop: EventLoop,
        keeper: Keeper,
        permissions: UInt32? = nil
    ) async throws -> Listener {
        try await onLoop(loop) {
            try Listener.listen(on: address, permissions: permissions, loop: loop) { connection in
                let echo = EchoDelegate()
                keeper.keep(echo)
                connection.delegate = echo
            }
        }
    }

    @Test("an echo over TCP returns every byte, 8 MiB included", arguments: ["127.0.0.1", "::1"])
    func tcpEcho(_ host: String) async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let keeper = Keeper()
        let listener = try await echoServer(on: .ip(host, port: 0), loop: loop, keeper: keeper)
        guard case .ip(_, let port) = listener.address else {
            Issue.record("listener has no port")
            return
        }
        let connection = try await connect(host: host, port: port, on: loop).get()
        let events = ConnectionEvents()
        let payload = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        try await onLoop(loop) {
            connection.delegate = events
            connection.write(payload)
            connection.flush()
        }
        let echoed = try await events.receive(payload.count)
        #expect(echoed == payload)
        try await onLoop(loop) {
            connection.close()
            listener.close()
        }
    }

    @Test("a short read is handed over in storage of its own size, not in the 64 KiB read buffer")
    func shortReadsDoNotPinTheReadBuffer() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let keeper = Keeper()
        let listener = try await echoServer(on: .ip("127.0.0.1", port: 0), loop: loop, keeper: keeper)
        let connection = try await connect(host: "127.0.0.1", port: try #require(listener.address.port), on: loop).get()
        let events = ConnectionEvents()
        try await onLoop(loop) {
            connection.delegate = events
            connection.write(Array("ten bytes!".utf8))
            connection.flush()
        }
        #expect(try await events.receive(10) == Array("ten bytes!".utf8))
        #expect(events.receivedCapacities.allSatisfy { $0 < 1_024 }, "\(events.receivedCapacities)")
        try await onLoop(loop) {
            connection.close()
            listener.close()
        }
    }

    @Test("a Unix socket replaces a stale file, gets its permissions, and carries data")
    func unixSocket() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("test.sock")
        try directory.write("test.sock", "stale")
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let keeper = Keeper()
        let listener = try await echoServer(on: .unix(path), loop: loop, keeper: keeper, permissions: 0o660)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.type] as? FileAttributeType == .typeSocket)
        #expect((attributes[.posixPermissions] as? NSNumber)?.uint16Value == 0o660)

        let connection = try await withCheckedContinuation { continuation in
            Connection.connect(unixPath: path, on: loop) { continuation.resume(returning: $0) }
        }.get()
        let events = ConnectionEvents()
        try await onLoop(loop) {
            connection.delegate = events
            connection.write(Array("hello over a unix socket".utf8))
            connection.flush()
        }
        #expect(try await events.receive(24) == Array("hello over a unix socket".utf8))
        try await onLoop(loop) { listener.close() }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a refused connection names the endpoint and the system's reason")
    func refused() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        // A held port is bound but never listens: a connection to it is refused.
        let held = try HeldPort()
        let port = held.port
        let result = await connect(host: "127.0.0.1", port: port, on: loop)
        let error = try #require(result.failure, "connected to a port nobody listens on")
        #expect(error.description.hasPrefix("connecting to 127.0.0.1:\(port) failed: Connection refused"))
    }

    @Test("an unknown host fails resolution")
    func unknownHost() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let result = await connect(host: "no-such-host.invalid", port: 1883, on: loop)
        guard case .failure(.resolutionFailed(let host, _)) = result else {
            Issue.record("expected a resolution failure, got \(result)")
            return
        }
        #expect(host == "no-such-host.invalid")
    }

    @Test("a host name resolves and connects")
    func hostName() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let keeper = Keeper()
        let listener = try await echoServer(on: .ip("127.0.0.1", port: 0), loop: loop, keeper: keeper)
        let port = try #require(listener.address.port)
        let connection = try await connect(host: "localhost", port: port, on: loop).get()
        #expect(connection.remoteAddress == .ip("127.0.0.1", port: port))
        try await onLoop(loop) {
            connection.close()
            listener.close()
        }
    }

    @Test("the peer closing is reported as such")
    func peerCloses() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let listener = try await onLoop(loop) {
            try Listener.listen(on: .ip("127.0.0.1", port: 0), loop: loop) { connection in connection.close() }
        }
        let port = try #require(listener.address.port)
        let connection = try await connect(host: "127.0.0.1", port: port, on: loop).get()
        let events = ConnectionEvents()
        try await onLoop(loop) { connection.delegate = events }
        #expect(await events.closed() == .some(.closedByPeer))
        try await onLoop(loop) { listener.close() }
    }

    @Test("a peer that never answers the TLS handshake runs into the connect timeout")
    func handshakeTimeout() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let keeper = Keeper()
        let listener = try await onLoop(loop) {
            try Listener.listen(on: .ip("127.0.0.1", port: 0), loop: loop) { keeper.keep($0) }
        }
        let port = try #require(listener.address.port)
        let started = ContinuousClock.now
        let result = await connect(
            host: "127.0.0.1",
            port: port,
            tls: TLSConfiguration(verifyPeer: false),
            timeout: .milliseconds(300),
            on: loop
        )
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        guard case .failure(.connectTimedOut(let endpoint)) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        #expect(endpoint == "127.0.0.1:\(port)")
        try await onLoop(loop) { listener.close() }
    }
}
