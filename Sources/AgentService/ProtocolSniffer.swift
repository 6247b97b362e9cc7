import IO

/// What a peer on one of our Unix sockets speaks, told from its first octet: HTTP/2 (gRPC, as
/// Akri's agent and handlers) opens with the preface `PRI * HTTP/2.0…`, whose `P` (0x50) as the
/// first octet of a frame length would announce a frame of over 1.3 GB, far past any limit a
/// frame reader accepts; so a `P` is HTTP/2 and anything else is frames.
enum SocketProtocol: Sendable, CustomStringConvertible {
    /// gRPC over HTTP/2.
    case grpc
    /// Length-prefixed frames (`Proto/local_socket.proto`).
    case frames

    /// The first octet of the HTTP/2 client preface.
    static let http2PrefaceStart = UInt8(ascii: "P")

    /// `gRPC` or `frames`.
    var description: String {
        switch self {
        case .grpc: "gRPC"
        case .frames: "frames"
        }
    }
}

/// Holds a new connection until its first octets arrive, then hands it, with those octets, to
/// whoever serves the protocol they announce. The owner keeps the sniffer alive until then
/// (a connection holds its delegate weakly).
///
/// `@unchecked Sendable`: a connection's delegate, on its loop only.
final class ProtocolSniffer: ConnectionDelegate, @unchecked Sendable {
    private let decide: (ProtocolSniffer, Connection, SocketProtocol?, [UInt8]) -> Void
    private var decided = false

    /// Takes over `connection`; `decide` hears the protocol and the first octets, or nil when the
    /// connection closed first.
    init(_ connection: Connection, decide: @escaping (ProtocolSniffer, Connection, SocketProtocol?, [UInt8]) -> Void) {
        self.decide = decide
        connection.delegate = self
    }

    func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        guard !decided, let first = bytes.first else { return }
        decided = true
        decide(self, connection, first == SocketProtocol.http2PrefaceStart ? .grpc : .frames, bytes)
    }

    func connectionDidDrain(_ connection: Connection) {}

    func connectionDidClose(_ connection: Connection, error: IOError?) {
        guard !decided else { return }
        decided = true
        decide(self, connection, nil, [])
    }
}

/// The new connections of a server that serves both protocols on one socket: each waits in a
/// ``ProtocolSniffer`` for its first octets, then goes to `route` with them.
///
/// `@unchecked Sendable`: used on its server's loop only.
final class ProtocolRouter: @unchecked Sendable {
    private var sniffers: [ObjectIdentifier: ProtocolSniffer] = [:]
    private let route: (Connection, SocketProtocol, [UInt8]) -> Void

    /// A router handing each connection, its protocol and its first octets to `route`.
    init(route: @escaping (Connection, SocketProtocol, [UInt8]) -> Void) {
        self.route = route
    }

    /// Holds `connection` until its first octets say what it speaks.
    func accept(_ connection: Connection) {
        let sniffer = ProtocolSniffer(connection) { [weak self] sniffer, connection, kind, bytes in
            guard let self else { return }
            sniffers[ObjectIdentifier(sniffer)] = nil
            if let kind { route(connection, kind, bytes) }
        }
        sniffers[ObjectIdentifier(sniffer)] = sniffer
    }
}
