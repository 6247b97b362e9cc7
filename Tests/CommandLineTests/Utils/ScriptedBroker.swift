import IO
import MQTTCodec
import Synchronization
import TestSupport

/// A broker that does exactly what a test scripts, for what no real broker does on demand: never
/// answering SUBSCRIBE, acknowledging QoS 2 with PUBACK (as RabbitMQ 3.10 does), sending a bad
/// packet after CONNACK, flooding. It listens on a loopback port (port 0) on its own loop, speaks
/// through our codec, and answers each packet with what `script` returns.
final class ScriptedBroker: Sendable {
    /// What the script sees: the packet, and how many connections there have been (1 for the first).
    typealias Script = @Sendable (_ packet: Packet, _ connection: Int) -> [Reply]

    /// What to send back.
    enum Reply: Sendable {
        /// A packet, encoded in the client's protocol version.
        case packet(Packet)
        /// Raw bytes, malformed ones included.
        case raw([UInt8])
    }

    private let loop: EventLoop
    private let shared = Shared()
    /// The port listened on.
    let port: UInt16

    /// State the loop's callbacks share with the test (they must not hold the broker itself).
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private struct State {
        var received: [Packet] = []
        var connections = 0
        var listener: Listener?
        var peers: [Peer] = []
    }

    /// Starts listening; `script` answers every packet, on the broker's loop.
    init(script: @escaping Script) async throws {
        let loop = try EventLoop(name: "scripted-broker")
        self.loop = loop
        let shared = shared
        let listener = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Listener, any Error>) in
            loop.execute {
                do {
                    let listener = try Listener.listen(on: .ip("127.0.0.1", port: 0), loop: loop) { connection in
                        let number = shared.state.withLock { state -> Int in
                            state.connections += 1
                            return state.connections
                        }
                        let peer = Peer(connection: connection, number: number) { packet in
                            shared.state.withLock { $0.received.append(packet) }
                            return script(packet, number)
                        }
                        shared.state.withLock { $0.peers.append(peer) }
                        connection.delegate = peer
                    }
                    continuation.resume(returning: listener)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        port = listener.address.port ?? 0
        shared.state.withLock { $0.listener = listener }
    }

    deinit {
        let shared = shared
        loop.execute {
            let (listener, peers) = shared.state.withLock { ($0.listener, $0.peers) }
            listener?.close()
            for peer in peers { peer.connection.close() }
        }
        loop.shutdown()
    }

    /// `tcp://127.0.0.1:PORT`.
    var url: String { "tcp://127.0.0.1:\(port)" }

    /// Every packet received so far, over all connections.
    var received: [Packet] { shared.state.withLock { $0.received } }

    /// How many connections were accepted.
    var connectionCount: Int { shared.state.withLock { $0.connections } }

    /// Waits until a received packet satisfies `condition`.
    func waitFor(_ what: String, timeout: Duration = .seconds(20), _ condition: (Packet) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !received.contains(where: condition) {
            guard ContinuousClock.now < deadline else { throw TestSupportError("\(what) never came: \(received)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// One client connection, on the broker's loop.
    ///
    /// `@unchecked Sendable`: a connection's delegate, called on the broker's loop only.
    private final class Peer: ConnectionDelegate, @unchecked Sendable {
        let connection: Connection
        private var decoder = PacketDecoder(version: .v5)
        private var version: ProtocolVersion = .v5
        private let answer: (Packet) -> [Reply]

        init(connection: Connection, number: Int, answer: @escaping (Packet) -> [Reply]) {
            self.connection = connection
            self.answer = answer
        }

        func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
            decoder.append(bytes)
            while let packet = try? decoder.next() {
                // The decoder follows the version a CONNECT announces; replies use it too.
                if case .connect(let connect) = packet { version = connect.protocolVersion }
                for reply in answer(packet) {
                    switch reply {
                    case .packet(let packet): connection.write((try? packet.encoded(version: version)) ?? [])
                    case .raw(let bytes): connection.write(bytes)
                    }
                }
            }
        }

        func connectionDidDrain(_ connection: Connection) {}
        func connectionDidClose(_ connection: Connection, error: IOError?) {}
    }
}
