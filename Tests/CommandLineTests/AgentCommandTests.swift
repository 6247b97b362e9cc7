import AgentProtocol
import AgentService
import Foundation
import IO
import TestSupport
import Testing

/// `mqtt-discovery agent`, a real process, with the test playing discovery handlers (and
/// watchers) over real Unix sockets: registration, Discover requests, Akri's instance names,
/// watchers, offline grace, and bad input on its socket.
@Suite("agent")
struct AgentCommandTests {
    /// An agent process for `fake` handler Configurations, and a loop for the test's peers.
    struct Setup {
        let directory: TemporaryDirectory
        let loop: EventLoop
        let agent: ExternalProcess
        var socket: String { directory.file("agent-registration.sock") }

        init(extra: [String] = []) async throws {
            directory = try TemporaryDirectory(prefix: "akri")
            let secret = try directory.write("token", "s3cret\n")
            let configuration = try directory.write(
                "configuration.yaml",
                """
                apiVersion: akri.sh/v0
                kind: Configuration
                metadata:
                  name: sensors
                spec:
                  discoveryHandler:
                    name: fake
                    discoveryDetails: |
                      anything: the agent passes these on as written
                    discoveryProperties:
                      - name: inline
                        value: hello
                      - name: from_file
                        valueFrom:
                          file: \(secret)
                """
            )
            loop = try EventLoop()
            agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration] + extra)
            try await agent.waitForLog(containing: "agent serving")
        }

        /// A fake handler: registers as `fake` with its socket, and returns its first stream.
        func handler(
            named name: String = "fake.sock"
        ) async throws -> (FakeHandlerEndpoint, FramePeer, FramePeer, DiscoverRequest) {
            let endpoint = try await FakeHandlerEndpoint(path: directory.file(name), loop: loop)
            let registration = try await FramePeer.connect(socket, loop: loop)
            registration.send(
                .register(
                    RegisterDiscoveryHandlerRequest(
                        name: "fake",
                        endpoint: endpoint.path,
                        endpointType: .uds,
                        shared: true
                    )
                )
            )
            #expect(try await registration.next() == .registered)
            let (stream, request) = try await endpoint.nextStream()
            return (endpoint, registration, stream, request)
        }
    }

    static func errorFrame(from peer: FramePeer) async throws -> Status {
        let frame = try await peer.next()
        guard case .error(let status)? = frame else {
            throw TestSupportError("expected an error frame, got \(String(describing: frame))")
        }
        return status
    }

    static func device(_ id: String, _ properties: [String: String] = [:]) -> DiscoverResponse.Device {
        DiscoverResponse.Device(id: id, properties: properties)
    }

    @Test(
        "calls Discover on a registered handler with the details and resolved properties; names instances as Akri does"
    )
    func discoverAndWatch() async throws {
        let setup = try await Setup()
        defer { setup.loop.shutdown() }
        let (_, _, stream, request) = try await setup.handler()
        #expect(request.discoveryDetails == "anything: the agent passes these on as written\n")
        #expect(request.discoveryProperties == ["inline": Array("hello".utf8), "from_file": Array("s3cret\n".utf8)])

        let watcher = EventCollector(socket: setup.socket, loop: setup.loop)
        defer { watcher.close() }
        try await watcher.wait(forDevices: [])
        stream.send(
            .devices(DiscoverResponse(devices: [Self.device("my_shared_device", ["A": "1"]), Self.device("b")]))
        )
        try await watcher.wait(forDevices: ["my_shared_device", "b"])
        let instance = try #require(watcher.instances["sensors-4294ea"], "\(watcher.instances.keys)")
        #expect(instance.device == Self.device("my_shared_device", ["A": "1"]))
        #expect(instance.configuration == "sensors")
        #expect(instance.shared)

        stream.send(.devices(DiscoverResponse(devices: [Self.device("my_shared_device", ["A": "2"])])))
        try await watcher.wait("updated, then removed") { events in
            events.contains { $0.kind == .updated && $0.instance?.device.properties["A"] == "2" }
                && events.contains { $0.kind == .removed && $0.instance?.device.id == "b" }
        }

        // A late watcher gets the current set, then synced; `watch --once` prints it as JSON.
        let once = try await Binary.run(
            ["watch", "--directory", setup.directory.path, "--once", "--output", "json"],
            timeout: .seconds(20)
        )
        #expect(once.status == 0, "\(once.standardError)")
        #expect(
            once.standardOutput == """
                {"event":"added","instance":"sensors-4294ea","configuration":"sensors","id":"my_shared_device","properties":{"A":"2"},"capacity":1}
                {"event":"synced"}

                """
        )
        let other = try await Binary.run(
            ["watch", "--directory", setup.directory.path, "--once", "--configuration", "nothing", "--output", "json"],
            timeout: .seconds(20)
        )
        #expect(other.standardOutput == "{\"event\":\"synced\"}\n")

        #expect(await setup.agent.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: setup.socket), "the socket is removed")
        try await watcher.wait("the watch ends") { _ in watcher.hasEnded }
    }

    @Test("a broken stream keeps its devices while the handler registers again and reports them")
    func handlerRestartInsideGrace() async throws {
        let setup = try await Setup(extra: ["--offline-grace", "300"])
        defer { setup.loop.shutdown() }
        let (endpoint, registration, stream, _) = try await setup.handler()
        let watcher = EventCollector(socket: setup.socket, loop: setup.loop)
        defer { watcher.close() }
        stream.send(.devices(DiscoverResponse(devices: [Self.device("a")])))
        try await watcher.wait(forDevices: ["a"])

        // The handler restarts: its stream and registration break, it comes back on a new socket
        // object at the same path, and reports the same device and a new one: nothing is removed.
        stream.close()
        registration.close()
        await endpoint.shutdown()
        let (_, _, again, _) = try await setup.handler()
        again.send(.devices(DiscoverResponse(devices: [Self.device("a"), Self.device("new")])))
        try await watcher.wait(forDevices: ["a", "new"])
        let changes = watcher.events.filter { $0.kind != .synced }.map { "\($0.kind) \($0.instance?.device.id ?? "")" }
        #expect(changes == ["added a", "added new"], "\(watcher.events)")
    }

    @Test("a broken stream's devices go when the grace period ends with no handler back")
    func offlineGrace() async throws {
        let setup = try await Setup(extra: ["--offline-grace", "1"])
        defer { setup.loop.shutdown() }
        let (_, registration, stream, _) = try await setup.handler()
        let watcher = EventCollector(socket: setup.socket, loop: setup.loop)
        defer { watcher.close() }
        stream.send(.devices(DiscoverResponse(devices: [Self.device("a")])))
        try await watcher.wait(forDevices: ["a"])
        stream.close()
        registration.close()
        try await watcher.wait(timeout: .seconds(20), "removed after the grace period") { events in
            events.contains { $0.kind == .removed && $0.instance?.device.id == "a" }
        }
    }

    @Test("bad frames and huge lengths get an error and a close; refused registrations; the agent serves on")
    func badInput() async throws {
        let setup = try await Setup()
        defer { setup.loop.shutdown() }

        let huge = try await FramePeer.connect(setup.socket, loop: setup.loop)
        huge.sendRaw([0xFF, 0xFF, 0xFF, 0xFF])
        let tooLarge = try await Self.errorFrame(from: huge)
        #expect(tooLarge.code == .resourceExhausted)
        #expect(try await huge.next() == nil)

        let garbage = try await FramePeer.connect(setup.socket, loop: setup.loop)
        garbage.sendRaw([0, 0, 0, 3, 0x0A, 0xFF, 0xFF])
        let malformed = try await Self.errorFrame(from: garbage)
        #expect(malformed.code == .invalidArgument)
        #expect(try await garbage.next() == nil)

        let outOfTurn = try await FramePeer.connect(setup.socket, loop: setup.loop)
        outOfTurn.send(.devices(DiscoverResponse(devices: [])))
        let precondition = try await Self.errorFrame(from: outOfTurn)
        #expect(precondition.code == .failedPrecondition)
        #expect(precondition.message == "expected register or watch, got devices")

        let network = try await FramePeer.connect(setup.socket, loop: setup.loop)
        network.send(
            .register(
                RegisterDiscoveryHandlerRequest(
                    name: "fake",
                    endpoint: "10.0.0.1:9000",
                    endpointType: .network,
                    shared: true
                )
            )
        )
        let unsupported = try await Self.errorFrame(from: network)
        #expect(unsupported.code == .unimplemented)

        // Still serving: a handler registers and its devices become instances.
        let (_, _, stream, _) = try await setup.handler()
        stream.send(.devices(DiscoverResponse(devices: [Self.device("still-here")])))
        let watcher = EventCollector(socket: setup.socket, loop: setup.loop)
        defer { watcher.close() }
        try await watcher.wait(forDevices: ["still-here"])
        #expect(setup.agent.isRunning)
    }

    @Test("unfinished frames: what all connections hold together is bounded; the agent serves on")
    func unfinishedFramesBudget() async throws {
        let setup = try await Setup()
        defer { setup.loop.shutdown() }
        let before = try #require(Machine.residentKiB(setup.agent.pid))
        // Six connections each send 15 MiB of a 16 MiB frame: 90 MiB, over the 64 MiB budget.
        let chunk = [0x00, 0xFF, 0xFF, 0xF0] + [UInt8](repeating: 0x0A, count: 15 << 20)
        var peers: [FramePeer] = []
        for _ in 0..<6 {
            let peer = try await FramePeer.connect(setup.socket, loop: setup.loop)
            peer.sendRaw(chunk)
            peers.append(peer)
        }
        try await setup.agent.waitForLog(
            containing: "unfinished frames of all connections would hold more than 67108864 bytes"
        )
        let after = try #require(Machine.residentKiB(setup.agent.pid))
        #expect(after - before < 110_000, "the agent grew from \(before) to \(after) KiB")
        // Still serving.
        let watcher = EventCollector(socket: setup.socket, loop: setup.loop)
        defer { watcher.close() }
        try await watcher.wait(forDevices: [])
        #expect(setup.agent.isRunning)
        withExtendedLifetime(peers) {}
    }

    @Test("a frame left unfinished past --frame-deadline is answered DEADLINE_EXCEEDED and closed")
    func unfinishedFrameDeadline() async throws {
        let setup = try await Setup(extra: ["--frame-deadline", "0.5"])
        defer { setup.loop.shutdown() }
        let peer = try await FramePeer.connect(setup.socket, loop: setup.loop)
        peer.sendRaw([0x00, 0xF0, 0x00, 0x00] + [UInt8](repeating: 0x0A, count: 1 << 20))  // 1 MiB of 15
        let status = try await Self.errorFrame(from: peer)
        #expect(status.code == .deadlineExceeded)
        #expect(try await peer.next() == nil)
    }

    @Test("out of descriptors, the agent pauses accepting (no spinning), says so, and serves watchers again")
    func descriptorLimit() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try directory.write(
            "configuration.yaml",
            "kind: Configuration\nmetadata: {name: s}\nspec:\n  discoveryHandler: {name: fake, discoveryDetails: x}\n"
        )
        let agent = try ExternalProcess(
            "/bin/sh",
            ["-c", "ulimit -n 40 && exec \"$0\" agent --directory \(directory.path) -c \(configuration)", Binary.path],
            separateStandardError: true
        )
        defer { agent.terminate() }
        try await agent.waitForLog(containing: "agent serving")
        let socket = directory.file("agent-registration.sock")
        let clients = try (0..<60).map { _ in try UnixSocket(path: socket) }
        try await agent.waitForLog(containing: "pausing accepts")
        for client in clients { client.close() }
        let once = try await Binary.run(["watch", "--directory", directory.path, "--once", "--output", "json"])
        #expect(once.status == 0, "\(once.standardError)")
        #expect(once.standardOutput == "{\"event\":\"synced\"}\n")
        #expect(agent.isRunning)
    }

    @Test("a watcher that stops reading holds up nobody and, once it reads again, catches up with coalesced changes")
    func stuckWatcher() async throws {
        let setup = try await Setup(extra: ["--watcher-backlog", "65536"])
        defer { setup.loop.shutdown() }
        let (_, _, stream, _) = try await setup.handler()
        let reader = EventCollector(socket: setup.socket, loop: setup.loop)
        defer { reader.close() }
        try await reader.wait(forDevices: [])

        let stuck = try UnixSocket(path: setup.socket)
        try stuck.write(Frame.watch(WatchRequest()).framed)
        // Lists of 500 devices with 1 KiB of properties, alternating, make ~1 MB of events each
        // time: far more than the socket buffers and the backlog hold.
        let padding = String(repeating: "x", count: 1024)
        func list(_ prefix: String) -> Frame {
            .devices(DiscoverResponse(devices: (0..<500).map { Self.device("\(prefix)\($0)", ["PAD": padding]) }))
        }
        for round in 0..<6 { stream.send(list(round % 2 == 0 ? "even-" : "odd-")) }
        try await setup.agent.waitForLog(containing: "a watcher is not keeping up")
        let final = Set((0..<500).map { "odd-\($0)" })
        try await reader.wait(forDevices: final, timeout: .seconds(30))
        #expect(setup.agent.isRunning)

        // The stuck watcher reads at last: it ends with the same instances, having been sent
        // far less than everything that happened.
        var instances: [String: String] = [:]
        var decoder = FrameDecoder()
        var received = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while Set(instances.values) != final {
            guard ContinuousClock.now < deadline else { throw TestSupportError("the stuck watcher did not catch up") }
            guard let bytes = try stuck.read() else {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            received += bytes.count
            decoder.append(bytes)
            while let frame = try decoder.next() {
                guard case .event(let event) = frame, let instance = event.instance else { continue }
                instances[instance.name] = event.kind == .removed ? nil : instance.device.id
            }
        }
        #expect(received < 6 * 1_000 * 1_100, "coalesced: \(received) bytes")
        // 3,000 instance changes, and the log says so in a few lines (ten a second, then a count).
        try await setup.agent.waitForLog(containing: "more instance changes (each at --log-level debug)")
        let lines = setup.agent.errorLog.components(separatedBy: "info agent: instance ").count - 1
        #expect(lines < 1_000, "\(lines) instance lines")
    }
}

/// A Unix socket for a peer that misbehaves on purpose (here: does not read until told to). It
/// never blocks: a test polls it, so no thread of the cooperative pool waits on it.
final class UnixSocket {
    private var descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        // Connecting to a listening Unix socket completes at once (or fails), so it may block.
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0, fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            Glibc.close(descriptor)
            throw TestSupportError("connect \(path): errno \(errno)")
        }
    }

    deinit { close() }

    /// Closes the socket now.
    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Writes all of `bytes` (small: the socket buffer takes them at once).
    func write(_ bytes: [UInt8]) throws {
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count else { throw TestSupportError("write failed") }
    }

    /// What one read returns, or nil when nothing is there yet; fails at end of file.
    func read() throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return nil }
        guard count > 0 else { throw TestSupportError(count == 0 ? "closed" : "read failed: errno \(errno)") }
        return Array(buffer[..<count])
    }
}
