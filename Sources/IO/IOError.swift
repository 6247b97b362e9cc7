/// What went wrong in the I/O layer, said so that a person can act on it.
public enum IOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case system(Errno)
    /// The host name could not be resolved.
    case resolutionFailed(host: String, reason: String)
    /// No address of the host accepted the connection in time.
    case connectTimedOut(endpoint: String)
    /// Connecting failed (refused, unreachable, ...).
    case connectFailed(endpoint: String, Errno)
    /// TLS failed: the handshake, certificate verification, or the configuration.
    case tls(TLSError)
    /// The peer closed the connection.
    case closedByPeer
    /// The connection was reset or broke.
    case connectionLost(Errno)
    /// An address that cannot be used, e.g. a Unix socket path longer than the system allows.
    case invalidAddress(String)
    /// A file could not be read.
    case file(path: String, reason: String)
    /// A file operation other than reading failed, e.g. `operation` "write to" or "create".
    case fileOperation(path: String, operation: String, reason: String)

    /// One line, e.g. `connecting to 127.0.0.1:1883 failed: Connection refused (errno 111)`.
    public var description: String {
        switch self {
        case .system(let errno): "\(errno)"
        case .resolutionFailed(let host, let reason): "cannot resolve host '\(host)': \(reason)"
        case .connectTimedOut(let endpoint): "connecting to \(endpoint) timed out"
        case .connectFailed(let endpoint, let errno): "connecting to \(endpoint) failed: \(errno.message)"
        case .tls(let error): "\(error)"
        case .closedByPeer: "the peer closed the connection"
        case .connectionLost(let errno): "the connection broke: \(errno.message)"
        case .invalidAddress(let reason): "invalid address: \(reason)"
        case .file(let path, let reason): "cannot read \(path): \(reason)"
        case .fileOperation(let path, let operation, let reason): "cannot \(operation) \(path): \(reason)"
        }
    }
}

/// A TLS failure with OpenSSL's own reason.
public struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which stage failed.
    public enum Stage: String, Hashable, Sendable {
        /// Loading certificates and keys.
        case configuration
        /// The peer's certificate was not trusted, or names another host.
        case verification
        /// The handshake or the TLS stream failed.
        case handshake
    }

    /// Which stage failed.
    public let stage: Stage
    /// OpenSSL's explanation, e.g. `certificate verify failed: hostname mismatch`.
    public let reason: String

    /// A TLS error.
    public init(_ stage: Stage, _ reason: String) {
        self.stage = stage
        self.reason = reason
    }

    /// E.g. `TLS verification failed: unable to get local issuer certificate`.
    public var description: String {
        "TLS \(stage.rawValue) failed: \(reason)"
    }
}
