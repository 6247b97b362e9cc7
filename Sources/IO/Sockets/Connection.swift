#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Hears what happens on a ``Connection``, on its event loop's thread.
public protocol ConnectionDelegate: AnyObject {
    /// Bytes arrived (decrypted, for TLS). The array is the delegate's to keep, so a decoder can
    /// hand out slices of it without copying.
    func connection(_ connection: Connection, didReceive bytes: [UInt8])
    /// Every byte written so far has been handed to the kernel (after the peer was slow to read).
    func connectionDidDrain(_ connection: Connection)
    /// The connection is closed: `error` is `nil` when ``Connection/close()`` closed it.
    func connectionDidClose(_ connection: Connection, error: IOError?)
    /// Reading stopped because more than ``Connection/outboundLimit`` bytes wait for the peer to
    /// read them; it resumes by itself once they have gone.
    func connectionDidPauseReading(_ connection: Connection)
}

extension ConnectionDelegate {
    /// Nothing to do by default.
    public func connectionDidPauseReading(_ connection: Connection) {}
}

/// A stream socket (TCP, optionally with TLS, or a Unix socket) on an event loop.
///
/// Everything about a connection happens on its loop's thread: call ``write(_:)``, ``flush()`` and
/// ``close()`` only there (from other threads, go through ``EventLoop/execute(_:)``). Writes are
/// buffered and sent together: after the delegate has handled a batch of reads, and when the owner
/// calls ``flush()``, so many small packets (acknowledgements) leave in one system call.
///
/// `@unchecked Sendable`: its state is touched on its loop only (checked by `preconditionInEventLoop` on every
/// public entry).
public final class Connection: Selectable, @unchecked Sendable {
    /// The loop the connection lives on.
    public let eventLoop: EventLoop
    /// Who the connection is to.
    public let remoteAddress: SocketAddress
    /// Receives the connection's events. Nothing is read until there is a delegate, so no byte and
    /// no close goes unheard; meanwhile the kernel holds what arrives.
    public weak var delegate: (any ConnectionDelegate)? {
        didSet {
            updateInterest()
            // Ciphertext that arrived with the end of the handshake sits in OpenSSL; no socket
            // event will come for it, so hand it over now that someone listens.
            if oldValue == nil, delegate != nil, tls != nil, handshakeCompletion == nil {
                eventLoop.execute { [self] in
                    guard !isClosed, delegate != nil else { return }
                    isReading = true
                    received([])
                    isReading = false
                    if !isClosed { sendBuffered() }
                }
            }
        }
    }

    private var descriptor: Int32
    private var tls: TLSSession?
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var waitingForWritable = false
    private var isReading = false
    private var isClosed = false
    private var closeWhenFlushed = false
    /// Set while a TLS handshake is under way: called once it is done or failed.
    private var handshakeCompletion: ((IOError?) -> Void)?

    /// Reads go into a fresh array of this size, so decoded packets can keep slices of it.
    private static let readSize = 65_536
    /// Reads handled per wake-up before other connections get their turn.
    private static let readsPerWakeUp = 16
    /// Unsent bytes past which reading stops. Every read may make replies (acknowledgements,
    /// responses); a peer that sends and never reads would otherwise make them pile up without
    /// bound. With reading stopped, what the peer sends waits in the kernel, and so does the peer.
    public static let outboundLimit = 1 << 20
    /// Set while reading is stopped for want of the peer reading.
    private var readPaused = false

    init(descriptor: Int32, remoteAddress: SocketAddress, eventLoop: EventLoop) {
        self.descriptor = descriptor
        self.remoteAddress = remoteAddress
        self.eventLoop = eventLoop
    }

    deinit {
        if descriptor >= 0 { Syscall.close(descriptor) }
    }

    /// Whether the connection is still open.
    public var isOpen: Bool { !isClosed }

    /// Bytes written but not yet taken by the kernel: a peer that does not read makes this grow.
    public var bufferedOutboundBytes: Int { outbound.count - outboundOffset }

    // MARK: - Writing

    /// Queues bytes to send. They go out at the next ``flush()``, or at the end of the current
    /// read batch if the delegate is handling one.
    public func write(_ bytes: [UInt8]) {
        eventLoop.preconditionInEventLoop()
        guard !isClosed, !bytes.isEmpty else { return }
        if let tls {
            do {
                try bytes.withUnsafeBufferPointer { (buffer) throws(TLSError) in
                    try tls.write(UnsafeRawBufferPointer(buffer))
                }
            } catch {
                fail(.tls(error))
                return
            }
            tls.drainCiphertext(into: &outbound)
        } else if outbound.isEmpty {
            outbound = bytes
        } else {
            outbound.append(contentsOf: bytes)
        }
    }

    /// Sends what has been written, as far as the kernel takes it now; the rest goes when the
    /// socket is writable again.
    public func flush() {
        eventLoop.preconditionInEventLoop()
        guard !isClosed, !isReading else { return }
        sendBuffered()
    }

    /// Closes the connection at once, dropping unsent bytes. The delegate hears
    /// ``ConnectionDelegate/connectionDidClose(_:error:)`` with no error.
    public func close() {
        eventLoop.preconditionInEventLoop()
        finish(error: nil)
    }

    /// Sends what is buffered (with a TLS close_notify), then closes.
    public func closeAfterFlush() {
        eventLoop.preconditionInEventLoop()
        guard !isClosed else { return }
        if let tls {
            tls.shutdown()
            tls.drainCiphertext(into: &outbound)
        }
        closeWhenFlushed = true
        flush()
    }

    private func sendBuffered() {
        while outboundOffset < outbound.count {
            let result: Syscall.Result<Int>
            do {
                result = try outbound.withUnsafeBufferPointer { (buffer) throws(Errno) in
                    try Syscall.nonBlocking("send") {
                        send(
                            descriptor,
                            buffer.baseAddress! + outboundOffset,
                            buffer.count - outboundOffset,
                            Constants.sendFlags
                        )
                    }
                }
            } catch {
                fail(.connectionLost(error))
                return
            }
            switch result {
            case .done(let count):
                outboundOffset += count
            case .wouldBlock:
                if !waitingForWritable {
                    waitingForWritable = true
                    updateInterest()
                }
                return
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundOffset = 0
        if readPaused {
            readPaused = false
            updateInterest()
        }
        if waitingForWritable {
            waitingForWritable = false
            updateInterest()
            delegate?.connectionDidDrain(self)
        }
        if closeWhenFlushed { finish(error: nil) }
    }

    // MARK: - Selectable

    func writable() {
        sendBuffered()
    }

    func readable() {
        guard delegate != nil || handshakeCompletion != nil else {
            updateInterest()
            return
        }
        isReading = true
        defer {
            isReading = false
            if !isClosed { sendBuffered() }
        }
        for _ in 0..<Self.readsPerWakeUp {
            var status: Syscall.Result<Int> = .wouldBlock
            var failure: Errno?
            let bytes = [UInt8](unsafeUninitializedCapacity: Self.readSize) { buffer, count in
                do throws(Errno) {
                    status = try Syscall.nonBlocking("recv") { recv(descriptor, buffer.baseAddress, buffer.count, 0) }
                } catch {
                    failure = error
                }
                if case .done(let read) = status { count = read } else { count = 0 }
            }
            if let failure {
                fail(.connectionLost(failure))
                return
            }
            guard case .done(let count) = status else { return }
            if count == 0 {
                fail(.closedByPeer)
                return
            }
            received(Self.fitted(bytes))
            if isClosed { return }
            if bufferedOutboundBytes > Self.outboundLimit {
                pauseReading()
                return
            }
            if count < Self.readSize { return }
        }
    }

    private func received(_ bytes: [UInt8]) {
        guard let tls else {
            delegate?.connection(self, didReceive: bytes)
            return
        }
        bytes.withUnsafeBufferPointer { tls.feed(UnsafeRawBufferPointer($0)) }
        if let completion = handshakeCompletion {
            switch tls.handshake() {
            case .needsMoreData:
                tls.drainCiphertext(into: &outbound)
                return
            case .failed(let error):
                fail(.tls(error))
                return
            case .done:
                tls.drainCiphertext(into: &outbound)
                handshakeCompletion = nil
                updateInterest()
                completion(nil)
                // Application data that came with the last handshake flight is read once someone
                // listens; without a delegate it stays in OpenSSL until the next read event.
                guard delegate != nil else { return }
            }
        }
        while !isClosed {
            switch tls.readPlaintext() {
            case .data(let plaintext):
                delegate?.connection(self, didReceive: Self.fitted(plaintext))
            case .needsMoreData:
                tls.drainCiphertext(into: &outbound)
                return
            case .closed:
                fail(.closedByPeer)
                return
            case .failed(let error):
                fail(.tls(error))
                return
            }
        }
    }

    /// `bytes` in storage of their own size when they fill less than half of what they sit in: a
    /// decoded message keeps a slice of the read it came in, so a short read (any TLS record, at
    /// most 16 KiB) left in a 64 KiB buffer would pin all of it for as long as the message lives.
    /// (`Array(bytes)` would not do: it shares the same storage.)
    static func fitted(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count * 2 < bytes.capacity else { return bytes }
        return [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
    }

    // MARK: - Set-up and tear-down

    /// Starts a TLS handshake; `completion` runs once it is done (nil) or has failed.
    func startTLS(_ session: TLSSession, completion: @escaping (IOError?) -> Void) {
        tls = session
        handshakeCompletion = completion
        updateInterest()
        switch session.handshake() {
        case .needsMoreData:
            session.drainCiphertext(into: &outbound)
            sendBuffered()
        case .done:
            handshakeCompletion = nil
            completion(nil)
        case .failed(let error):
            fail(.tls(error))
        }
    }

    func register() throws(IOError) {
        try eventLoop.register(
            descriptor,
            self,
            readable: delegate != nil || handshakeCompletion != nil,
            writable: false
        )
    }

    /// Reads while someone listens (a delegate, or a TLS handshake in progress) and the peer reads
    /// what we send; writes while bytes wait for the kernel.
    private func updateInterest() {
        guard !isClosed, descriptor >= 0 else { return }
        eventLoop.setInterest(
            descriptor,
            readable: (delegate != nil || handshakeCompletion != nil) && !readPaused,
            writable: waitingForWritable
        )
    }

    /// Stops reading until the bytes waiting for the peer have gone (``sendBuffered()`` resumes).
    private func pauseReading() {
        sendBuffered()
        guard !isClosed, bufferedOutboundBytes > Self.outboundLimit else { return }
        readPaused = true
        updateInterest()
        delegate?.connectionDidPauseReading(self)
    }

    private func fail(_ error: IOError) {
        finish(error: error)
    }

    private func finish(error: IOError?) {
        guard !isClosed else { return }
        isClosed = true
        eventLoop.deregister(descriptor)
        Syscall.close(descriptor)
        descriptor = -1
        outbound = []
        outboundOffset = 0
        if let completion = handshakeCompletion {
            handshakeCompletion = nil
            completion(error ?? .closedByPeer)
            return
        }
        delegate?.connectionDidClose(self, error: error)
    }
}
