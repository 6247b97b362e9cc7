import Foundation
import GRPC
import GRPCService
import IO
import Synchronization
import TestSupport
import Testing

/// Our gRPC server called by grpcio, and our client calling a grpcio server: the peers are not ours.
@Suite("gRPC against grpcio")
struct GRPCInteropTests {
    /// Our server on a Unix socket with echo methods, on its own loop.
    final class EchoServer: Sendable {
        let loop: EventLoop
        let path: String
        let cancellations = Recorder()
        private let listener = Mutex<Listener?>(nil)

        init(directory: TemporaryDirectory) async throws {
            loop = try EventLoop(name: "echo")
            path = directory.path + "/echo.sock"
            let (cancellations, loop, path) = (self.cancellations, self.loop, self.path)
            let result: Result<Listener, IOError> = await withCheckedContinuation { continuation in
                loop.execute {
                    let server = GRPCServer(
                        eventLoop: loop,
                        methods: [
                            "/test.Echo/Unary": { call, request in
                                call.send(request)
                                call.finish(.ok)
                            },
                            "/test.Echo/Stream": { call, request in
                                for _ in 0..<3 { call.send(request) }
                                call.finish(.ok)
                            },
                            "/test.Echo/Fail": { call, _ in
                                call.finish(GRPCStatus(.invalidArgument, "2:5: naïve 100% wrong\nsecond line"))
                            },
                            "/test.Echo/Slow": { call, _ in
                                call.onCancel = { reason in cancellations.append(reason) }
                            },
                            "/test.Echo/Big": { call, request in
                                call.send([UInt8](repeating: 7, count: 5 << 20))
                                call.finish(.ok)
                            },
                        ],
                        limits: {
                            var limits = GRPCServer.Limits()
                            limits.maximumMessageSize = 1 << 20
                            return limits
                        }()
                    )
                    do throws(IOError) {
                        let listener = try Listener.listen(on: .unix(path), loop: loop) { connection in
                            server.serve(connection)
                        }
                        continuation.resume(returning: .success(listener))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
            let listener = try result.get()
            self.listener.withLock { $0 = listener }
        }

        deinit { loop.shutdown() }
    }

    func call(
        _ server: EchoServer,
        _ method: String,
        _ hex: String,
        repeat count: Int = 1,
        stream: Bool = false,
        timeout: Double? = nil
    ) async throws -> [String: Any] {
        var arguments = [server.path, method, hex, "--repeat", String(count)]
        if stream { arguments.append("--stream") }
        if let timeout { arguments += ["--timeout", String(timeout)] }
        let events = try await Peers.run("akri_grpc.py", ["call"] + arguments)
        return try #require(events.first { $0["event"] as? String == "result" })
    }

    @Test("grpcio calls our server: unary, streaming, statuses with percent-encoded messages")
    func grpcioCallsUs() async throws {
        let directory = try TemporaryDirectory(prefix: "grpc")
        let server = try await EchoServer(directory: directory)
        let unary = try await call(server, "/test.Echo/Unary", "0a0568656c6c6f")
        #expect(unary["code"] as? String == "OK")
        #expect(unary["messages"] as? [String] == ["0a0568656c6c6f"])
        let empty = try await call(server, "/test.Echo/Unary", "")
        #expect(empty["messages"] as? [String] == [""])
        let stream = try await call(server, "/test.Echo/Stream", "0102", stream: true)
        #expect(stream["messages"] as? [String] == ["0102", "0102", "0102"])
        let failed = try await call(server, "/test.Echo/Fail", "")
        #expect(failed["code"] as? String == "INVALID_ARGUMENT")
        #expect(failed["details"] as? String == "2:5: naïve 100% wrong\nsecond line")
        let unknown = try await call(server, "/test.Echo/Nothing", "")
        #expect(unknown["code"] as? String == "UNIMPLEMENTED")
    }

    @Test("A request over our receive limit is RESOURCE_EXHAUSTED; a response over grpcio's is refused by grpcio")
    func limits() async throws {
        let directory = try TemporaryDirectory(prefix: "grpc")
        let server = try await EchoServer(directory: directory)
        let tooLarge = try await call(server, "/test.Echo/Unary", "ab", repeat: (1 << 20) + 1)
        #expect(tooLarge["code"] as? String == "RESOURCE_EXHAUSTED")
        let response = try await call(server, "/test.Echo/Big", "")
        #expect(response["code"] as? String == "RESOURCE_EXHAUSTED")
        // The server is still serving.
        let after = try await call(server, "/test.Echo/Unary", "01")
        #expect(after["messages"] as? [String] == ["01"])
    }

    @Test("grpc-timeout is honoured by the server: it ends the call DEADLINE_EXCEEDED and the method hears it")
    func deadline() async throws {
        let directory = try TemporaryDirectory(prefix: "grpc")
        let server = try await EchoServer(directory: directory)
        // h2's client sends grpc-timeout and never cancels: only our server can end the call.
        let events = try await Peers.run("h2_peer.py", ["deadline", server.path, "/test.Echo/Slow", "200m"])
        let ended = try #require(events.first { $0["event"] as? String == "ended" })
        #expect(ended["grpc_status"] as? String == "4", "\(ended)")
        #expect((ended["grpc_message"] as? String)?.hasPrefix("the call") == true, "\(ended)")
        #expect(server.cancellations.values.count == 1, "the method heard it before the trailers left")
        // grpcio's client, whose own deadline passes too, gets DEADLINE_EXCEEDED either way.
        let slow = try await call(server, "/test.Echo/Slow", "", timeout: 0.3)
        #expect(slow["code"] as? String == "DEADLINE_EXCEEDED")
    }

    // MARK: - Our client against grpcio's server

    /// Calls a method on `endpoint` with our client and waits for the end.
    func ourCall(
        _ endpoint: GRPCEndpoint,
        _ method: String,
        _ request: [UInt8],
        timeout: Duration? = nil
    ) async throws -> (messages: [[UInt8]], status: GRPCStatus) {
        let loop = try EventLoop(name: "client")
        defer { loop.shutdown() }
        return await withCheckedContinuation { continuation in
            let once = Once(continuation)
            GRPCClient.connect(to: endpoint, on: loop) { result in
                switch result {
                case .failure(let error):
                    once.resume(([], GRPCStatus(.unavailable, "\(error)")))
                case .success(let client):
                    var messages: [[UInt8]] = []
                    client.call(
                        method,
                        request: request,
                        timeout: timeout,
                        onMessage: { messages.append(Array($0)) },
                        onEnd: { status in
                            once.resume((messages, status))
                            client.close()
                        }
                    )
                }
            }
        }
    }

    @Test("Our client calls grpcio: unary, streaming, an error status, an unknown method, a deadline")
    func weCallGrpcio() async throws {
        let directory = try TemporaryDirectory(prefix: "grpc")
        let path = directory.path + "/server.sock"
        let peer = try Peers.start("akri_grpc.py", ["echo-server", path])
        try await peer.waitForEvent("serving")
        let endpoint = GRPCEndpoint.unix(path)
        let unary = try await ourCall(endpoint, "/test.Echo/Unary", [1, 2, 3])
        #expect(unary.status.code == .ok)
        #expect(unary.messages == [[1, 2, 3]])
        let stream = try await ourCall(endpoint, "/test.Echo/Stream", [9])
        #expect(stream.status.code == .ok)
        #expect(stream.messages == [[9], [9], [9]])
        let failed = try await ourCall(endpoint, "/test.Echo/Fail", [])
        #expect(failed.status == GRPCStatus(.invalidArgument, "bad details: 3:7 naïve % value"))
        let unknown = try await ourCall(endpoint, "/test.Echo/Nothing", [])
        #expect(unknown.status.code == .unimplemented)
        let slow = try await ourCall(endpoint, "/test.Echo/Slow", [], timeout: .milliseconds(200))
        #expect(slow.status.code == .deadlineExceeded)
    }
}

/// Resumes a continuation once, from the loop's thread.
final class Once<Value: Sendable>: @unchecked Sendable {
    private var continuation: CheckedContinuation<Value, Never>?
    init(_ continuation: CheckedContinuation<Value, Never>) { self.continuation = continuation }
    func resume(_ value: Value) {
        continuation?.resume(returning: value)
        continuation = nil
    }
}

/// Strings collected from any thread.
final class Recorder: Sendable {
    private let storage = Mutex<[String]>([])
    var values: [String] { storage.withLock { $0 } }
    func append(_ value: String) { storage.withLock { $0.append(value) } }
}
