import CShims

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// A listening stream socket (TCP or Unix) that hands each accepted connection to a closure, on
/// its event loop.
///
/// When the process (or the system) runs out of descriptors, `accept` fails while the pending
/// connection stays queued, so a level-triggered loop would be told "readable" again at once and
/// spin. The listener then stops asking for a while (``acceptPause``), says so once per episode,
/// and counts it (``acceptPauses``); connections wait in the kernel's backlog meanwhile.
///
/// `@unchecked Sendable`: created, accepting and closed on its loop only (checked by
/// `preconditionInEventLoop`), where all its mutable state lives.
public final class Listener: Selectable, @unchecked Sendable {
    /// The loop the listener and its connections live on.
    public let eventLoop: EventLoop
    /// The address listened on; for TCP port 0, the port the system chose.
    public let address: SocketAddress
    /// How long accepting pauses when descriptors run out.
    public static let acceptPause: Duration = .milliseconds(100)
    /// How many times accepting paused for want of descriptors.
    public private(set) var acceptPauses = 0
    private var descriptor: Int32
    private var pausedSinceLastAccept = false
    private let accept: (Connection) -> Void
    private let onAcceptPaused: ((Errno) -> Void)?

    private init(
        descriptor: Int32,
        address: SocketAddress,
        eventLoop: EventLoop,
        onAcceptPaused: ((Errno) -> Void)?,
        accept: @escaping (Connection) -> Void
    ) {
        self.descriptor = descriptor
        self.address = address
        self.eventLoop = eventLoop
        self.onAcceptPaused = onAcceptPaused
        self.accept = accept
    }

    /// A listener that was never registered (its registration failed) still owns its socket.
    deinit {
        if descriptor >= 0 {
            Syscall.close(descriptor)
            if case .unix(let path) = address { unlink(path) }
        }
    }

    /// Listens on `address` and calls `accept` on `loop` for every connection. Call on `loop`.
    /// A Unix socket path left over from an earlier run is replaced, and the socket file gets
    /// `permissions` (e.g. `0o660`). `onAcceptPaused` hears the first time accepting pauses for
    /// want of descriptors (again only after a connection has been accepted since).
    public static func listen(
        on address: SocketAddress,
        backlog: Int32 = 128,
        permissions: UInt32? = nil,
        loop: EventLoop,
        onAcceptPaused: ((Errno) -> Void)? = nil,
        accept: @escaping (Connection) -> Void
    ) throws(IOError) -> Listener {
        loop.preconditionInEventLoop()
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
            onAcceptPaused: onAcceptPaused,
            accept: accept
        )
        try loop.register(descriptor, listener, writable: false)
        return listener
    }

    /// Stops listening; a Unix socket file is removed. Connections already accepted stay open.
    public func close() {
        eventLoop.preconditionInEventLoop()
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
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) { pause(Errno(code, function: "accept4")) }
                // EAGAIN: nothing more to accept.
                return
            }
            pausedSinceLastAccept = false
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

    /// Stops polling the socket for ``acceptPause``, then tries again.
    private func pause(_ error: Errno) {
        acceptPauses += 1
        if !pausedSinceLastAccept {
            pausedSinceLastAccept = true
            onAcceptPaused?(error)
        }
        eventLoop.setInterest(descriptor, readable: false, writable: false)
        eventLoop.scheduleTimer(after: Self.acceptPause) { [self] in
            if descriptor >= 0 { eventLoop.setInterest(descriptor, readable: true, writable: false) }
        }
    }

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
