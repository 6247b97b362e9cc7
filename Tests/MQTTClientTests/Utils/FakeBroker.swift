import IO
import MQTTCodec
import Synchronization

/// An in-process broker that does exactly what a test scripts: for the misbehaviour a real
/// broker never shows (malformed packets, silence, odd limits). It speaks through our own codec
/// over a real loopback socket.
///
/// `@unchecked Sendable`: its listener and peers live on its loop; what tests read is behind mutexes.
final class FakeBroker: @unchecked Sendable {
    /// One client connection, on the broker's loop.
    ///
    /// `@unchecked Sendable`: a connection's delegate, on the broker's loop only.
    final class Peer: ConnectionDelegate, @unchecked Sendable {
        let connection: Connection
        var decoder = PacketDecoder(version: .v5)
        var version: ProtocolVersion = .v5
        let broker: FakeBroker

        init(_ connection: Connection, broker: FakeBroker) {
            self.connection = connection
            self.broker = broker
        }

        /// Sends a packet in the client's protocol version.
        func send(_ packet: Packet) {
            connection.write((try? packet.encoded(version: version)) ?? [])
            connection.flush()
        }

        /// Sends raw bytes, malformed ones included.
        func sendRaw(_ bytes: [UInt8]) {
            connection.write(bytes)
            connection.flush()
        }

        func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
            decoder.append(bytes)
            while true {
                guard let packet = try? decoder.next() else { return }
                if case .connect(let connect) = packet { version = connect.protocolVersion }
                broker.record(packet)
                broker.script(self, packet)
            }
        }

        func connectionDidDrain(_ connection: Connection) {}

        func connectionDidClose(_ connection: Connection, error: IOError?) {
            broker.closed()
        }
    }

    let loop: EventLoop
    private var listener: Listener?
    private var peers: [Peer] = []
    private let received = Mutex<[Packet]>([])
    private let accepted = Mutex<[ContinuousClock.Instant]>([])
    private let closes = Mutex<Int>(0)
    let script: (Peer, Packet) -> Void

    /// Starts listening on a free loopback port; `script` answers each packet, on the loop.
    init(script: @escaping (Peer, Packet) -> Void) async throws {
        loop = try EventLoop(name: "fake-broker")
        self.script = script
        let listener = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Listener, any Error>) in
            loop.execute { [self] in
                do {
                    let listener = try Listener.listen(on: .ip("127.0.0.1", port: 0), loop: loop) { [self] connection in
                        let peer = Peer(connection, broker: self)
                        peers.append(peer)
                        accepted.withLock { $0.append(.now) }
                        connection.delegate = peer
                    }
                    continuation.resume(returning: listener)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        self.listener = listener
    }

    /// Stops listening and closes every connection.
    func shutdown() {
        loop.execute { [self] in
            listener?.close()
            for peer in peers where peer.connection.isOpen { peer.connection.close() }
            peers = []
        }
        loop.shutdown()
    }

    var url: String {
        guard case .ip(_, let port)? = listener?.address else { return "tcp://127.0.0.1:1" }
        return "tcp://127.0.0.1:\(port)"
    }

    /// Every packet received, in order, over all connections.
    var packets: [Packet] { received.withLock { $0 } }
    /// How many connections were accepted.
    var connectionCount: Int { accepted.withLock { $0.count } }
    /// When each connection was accepted, in order.
    var acceptTimes: [ContinuousClock.Instant] { accepted.withLock { $0 } }
    /// How many connections ended.
    var closeCount: Int { closes.withLock { $0 } }

    fileprivate func record(_ packet: Packet) {
        received.withLock { $0.append(packet) }
    }

    fileprivate func closed() {
        closes.withLock { $0 += 1 }
    }

    /// A script answering CONNECT with `connack` and ignoring everything else.
    static func accepting(_ connack: ConnAckPacket = ConnAckPacket()) -> (Peer, Packet) -> Void {
        { peer, packet in
            if case .connect = packet { peer.send(.connack(connack)) }
        }
    }
}
