import Foundation

/// A loopback TCP port kept for one server for as long as this value lives.
///
/// Probing for a "free" port (bind to port 0, close, hand the number on) races every other test:
/// between the probe and the server's own bind, another probe can be given the same number, or a
/// child spawned in that window can inherit the probe's socket and hold the port. A held port is
/// a socket bound to the port and kept open, never listening: the kernel gives the number to
/// nobody else, while the server it is meant for can still bind and listen on it, because both
/// sockets set `SO_REUSEADDR` and only one of them listens (Linux allows that pairing; mosquitto,
/// influxd, openssl s_server and our own listeners all set `SO_REUSEADDR`). The option is set
/// only after the bind, so a port-0 bind elsewhere never picks a held port. The socket is
/// close-on-exec: no child inherits it.
public final class HeldPort: Sendable {
    /// The port number.
    public let port: UInt16
    private let descriptor: Int32

    /// Holds a port the system chooses on 127.0.0.1.
    public init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        var on: Int32 = 1
        guard bound, setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw TestSupportError("cannot hold a loopback port: \(reason)")
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit {
        close(descriptor)
    }
}
