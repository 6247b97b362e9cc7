import CShims
import Foundation
import Glibc
import MQTTCodec
import Synchronization
import TestSupport

/// A broker that answers CONNECT and SUBSCRIBE, then sends QoS 1 messages as fast as the client
/// takes them and never reads again: the acknowledgements it is owed pile up on the client's side.
/// Its writes block, so it runs on a thread of its own, never on the cooperative pool.
final class FloodingBroker: Sendable {
    let port: UInt16
    private let listener: Int32
    private let client = Mutex<Int32>(-1)
    private let sent = Atomic<Int>(0)

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
        // A small receive buffer (inherited by the accepted socket): the client's acknowledgements
        // back up on its side sooner.
        var small: Int32 = 4_096
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        guard listening, listen(listener, 1) == 0 else { throw TestSupportError("flooding broker: errno \(errno)") }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in serve() }
    }

    deinit {
        close(listener)
    }

    /// Bytes of PUBLISH written so far.
    var bytesSent: Int { sent.load(ordering: .relaxed) }

    /// Stops: the connection is shut down, so the writing thread ends.
    func stop() {
        client.withLock { descriptor in
            if descriptor >= 0 { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }

    private func serve() {
        // The listener is blocking, so this waits for the client; the accepted socket comes
        // non-blocking (and close-on-exec) from the shim: make it blocking, for this thread.
        var descriptor: Int32 = -1
        while descriptor < 0 {
            descriptor = cshims_accept_nonblocking(listener)
            if descriptor < 0 && errno != EAGAIN && errno != EINTR { return }
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        client.withLock { $0 = descriptor }
        defer { close(descriptor) }
        var decoder = PacketDecoder(version: .v5)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        // Read until the SUBSCRIBE, answering it and the CONNECT.
        var subscribed = false
        while !subscribed {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { return }
            decoder.append(Array(buffer[..<count]))
            while let packet = try? decoder.next() {
                switch packet {
                case .connect:
                    _ = write(descriptor, (try? Packet.connack(ConnAckPacket()).encoded(version: .v5)) ?? [])
                case .subscribe(let subscribe):
                    let suback = SubAckPacket(packetIdentifier: subscribe.packetIdentifier, reasonCodes: [.grantedQoS1])
                    _ = write(descriptor, (try? Packet.suback(suback).encoded(version: .v5)) ?? [])
                    subscribed = true
                default:
                    break
                }
            }
        }
        // Then publish forever, in batches, never reading again. Empty payloads: what piles up is
        // the client's 4-byte acknowledgements, so the smaller each PUBLISH, the sooner (about
        // 14 bytes each: 1 MiB of acknowledgements plus the kernel's buffers in tens of MB).
        var batch: [UInt8] = []
        for index in 0..<500 {
            let publish = PublishPacket(
                topicName: "flood/t",
                payload: [],
                qos: .atLeastOnce,
                packetIdentifier: UInt16(index + 1)
            )
            batch += (try? Packet.publish(publish).encoded(version: .v5)) ?? []
        }
        while write(descriptor, batch) { sent.add(batch.count, ordering: .relaxed) }
    }

    private func write(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client gone must fail the send, not kill the test process (SIGPIPE).
            let count = bytes[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }
}
