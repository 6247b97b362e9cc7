import Glibc
import TestSupport
import Testing

@testable import IO

/// Connecting to a host with several addresses, one of which never answers (RFC 8305).
@Suite("Happy Eyeballs")
struct HappyEyeballsTests {
    /// A TCP address where a connection attempt hangs: a listener with a backlog of 0 whose one
    /// queue slot is taken and that never accepts, so the kernel drops every further SYN (as a
    /// firewall or an unreachable IPv6 route would) and the client keeps retrying.
    final class Blackhole {
        let port: UInt16
        private let listener: Int32
        private let filler: Int32

        init() throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            self.listener = listener
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listening = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
                }
            }
            guard listening, listen(listener, 0) == 0 else { throw TestSupportError("blackhole: errno \(errno)") }
            port = UInt16(bigEndian: address.sin_port)
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            self.filler = filler
            // Takes the one slot of the accept queue (completes at once, in the kernel).
            let filled = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard filled else { throw TestSupportError("blackhole filler: errno \(errno)") }
        }

        deinit {
            close(filler)
            close(listener)
        }
    }

    @Test("an address that never answers costs one attempt delay, not the timeout: the next one is tried alongside")
    func unansweredFirstAddress() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let blackhole = try Blackhole()
        let keeper = Keeper()
        let listener = try await onLoop(loop) {
            try Listener.listen(on: .ip("127.0.0.1", port: 0), loop: loop) { keeper.keep($0) }
        }
        let good = SocketAddress.ip("127.0.0.1", port: try #require(listener.address.port))
        let result = await withCheckedContinuation { continuation in
            // Only racing the addresses connects: the first would hang past this timeout.
            Connection.connect(
                addresses: [.ip("127.0.0.1", port: blackhole.port), good],
                timeout: .seconds(30),
                on: loop
            ) {
                continuation.resume(returning: $0)
            }
        }
        let connection = try result.get()
        #expect(connection.remoteAddress == good)
        try await onLoop(loop) {
            connection.close()
            listener.close()
        }
    }

    @Test("every address refused: the last error is reported at once")
    func allRefused() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let first = try HeldPort()
        let second = try HeldPort()
        let result = await withCheckedContinuation { continuation in
            Connection.connect(
                addresses: [.ip("127.0.0.1", port: first.port), .ip("127.0.0.1", port: second.port)],
                timeout: .seconds(120),
                on: loop
            ) { continuation.resume(returning: $0) }
        }
        let error = try #require(result.failure)
        #expect(error.description.contains("Connection refused"), "\(error)")
    }
}
