#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// A system call's error number, with the call that set it.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` value.
    public let code: Int32
    /// The call that failed, e.g. `connect`.
    public let function: String

    /// An error number from `function`.
    public init(_ code: Int32, function: String) {
        self.code = code
        self.function = function
    }

    /// The system's text for the code, e.g. `Connection refused (errno 111)`.
    public var message: String {
        let text = strerror(code).flatMap { String(validatingCString: $0) } ?? "error"
        return "\(text) (errno \(code))"
    }

    /// E.g. `connect: Connection refused (errno 111)`.
    public var description: String {
        "\(function): \(message)"
    }
}
