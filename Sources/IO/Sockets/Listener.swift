import CShims

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// A listening stream socket (TCP or Unix) that hands each accepted connection to a closure, on
/// its event loop.
public final class Listener: Selectable, @unchecked Sendable {
    /// The loop the listener and its connections live on.
    public let eventLoop: EventLoop
    /// The address listened on; for TCP port 0, the port the system chose.
    public let address: SocketAddress
    private var descriptor: Int32
    private let accept: (Connection) -> Void

    private init(
        descriptor: Int32,
        address: SocketAddress,
        eventLoop: EventLoop,
        accept: @escaping (Connection) -> Void
    ) {
        self.descriptor = descriptor
        self.address = address
        self.eventLoop = eventLoop
        self.accept = accept
    }

    /// Listens on `address` and calls `accept` on `loop` for every connection. Call on `loop`.
    /// A Unix socket path left over from an earlier run is replaced, and the socket file gets
    /// `permissions` (e.g. `0o660`).
    public static func listen(
        on address: SocketAddress,
        backlog: Int32 = 128,
        permissions: UInt32? = nil,
        loop: EventLoop,
        accept: @escaping (Connection) -> Void
    ) throws(IOError) -> Listener {
        loop.assertInEventLoop()
        let descriptor: Int32
        do {
            descriptor = try Syscall.run("socket") { socket(address.family, Constants.streamSocket, 0) }
        } catch {
            throw .system(error)
        }
        do throws(IOError) {
            if case .unix(let path) = address {
                unlink(path)
            } else {
                var on: Int32 = 1
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            try address.withSockAddr { (pointer, length) throws(IOError) in
                do throws(Errno) {
                    _ = try Syscall.run("bind") { bind(descriptor, pointer, length) }
                } catch {
                    throw .system(error)
                }
            }
            if case .unix(let path) = address, let permissions {
                chmod(path, mode_t(permissions))
            }
            do throws(Errno) {
                _ = try Syscall.run("listen") { Glibc.listen(descriptor, backlog) }
            } catch {
                throw .system(error)
            }
        } catch {
            Syscall.close(descriptor)
            throw error
        }
        let listener = Listener(
            descriptor: descriptor,
            address: boundAddress(descriptor) ?? address,
            eventLoop: loop,
            accept: accept
        )
        try loop.register(descriptor, listener, writable: false)
        return listener
    }

    /// Stops listening; a Unix socket file is removed. Connections already accepted stay open.
    public func close() {
        eventLoop.assertInEventLoop()
        guard descriptor >= 0 else { return }
        eventLoop.deregister(descriptor)
        Syscall.close(descriptor)
        descriptor = -1
        if case .unix(let path) = address { unlink(path) }
    }

    func readable() {
        while descriptor >= 0 {
            let accepted = cshims_accept_nonblocking(descriptor)
            if accepted < 0 {
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                // EAGAIN: nothing more to accept. EMFILE and the like: try again at the next event.
                return
            }
            let peer = Self.peerAddress(accepted) ?? address
            if peer.family != AF_UNIX {
                var on: Int32 = 1
                setsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            let connection = Connection(descriptor: accepted, remoteAddress: peer, eventLoop: eventLoop)
            do {
                try connection.register()
            } catch {
                continue
            }
            accept(connection)
        }
    }

    func writable() {}

    private static func boundAddress(_ descriptor: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return result == 0 ? SocketAddress.from(storage) : nil
    }

    private static func peerAddress(_ descriptor: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        return result == 0 ? SocketAddress.from(storage) : nil
    }
}
