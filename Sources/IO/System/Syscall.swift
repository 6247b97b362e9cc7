import CShims

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Every system call of the I/O layer goes through here: interrupted calls are retried, "would
/// block" becomes a value rather than an error, and `errno` is read straight after the failing
/// call (the wrappers are not inlined, so nothing can run in between and change it).
enum Syscall {
    /// The outcome of a call on a non-blocking descriptor.
    enum Result<Value> {
        case done(Value)
        case wouldBlock
    }

    /// Runs `body` until it is not interrupted; throws for any error.
    @inline(never)
    static func run<Value: BinaryInteger>(_ function: String, _ body: () -> Value) throws(Errno) -> Value {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw Errno(code, function: function)
        }
    }

    /// Like ``run(_:_:)``, but `EAGAIN` is ``Result/wouldBlock``.
    @inline(never)
    static func nonBlocking<Value: BinaryInteger>(
        _ function: String,
        _ body: () -> Value
    ) throws(Errno) -> Result<Value> {
        while true {
            let result = body()
            if result >= 0 { return .done(result) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw Errno(code, function: function)
        }
    }

    /// Closes a descriptor. `EINTR` from close means it is closed all the same (Linux releases
    /// the descriptor before the interruption can happen), so it is not retried.
    static func close(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
    }

    /// Ignores SIGPIPE for the whole process, once: Linux has no per-socket option for it, and
    /// OpenSSL or a library may write to a closed socket without MSG_NOSIGNAL.
    static let ignoreSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}

/// Socket option and flag values, converted once to the types the calls take.
enum Constants {
    static let streamSocket = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    static let epollIn = EPOLLIN.rawValue
    static let epollOut = EPOLLOUT.rawValue
    static let epollError = EPOLLERR.rawValue | EPOLLHUP.rawValue
    static let epollReadHangup = EPOLLRDHUP.rawValue
}
