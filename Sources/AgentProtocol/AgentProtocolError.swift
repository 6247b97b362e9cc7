public import Protobuf

/// What is wrong with bytes received on a local socket.
public enum AgentProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A length prefix over the limit; nothing of the frame was buffered.
    case frameTooLarge(length: Int, limit: Int)
    /// The frame's bytes are not a valid protobuf message.
    case malformedFrame(ProtobufError)
    /// The frame carries none of the messages `Frame` defines.
    case emptyFrame

    /// The gRPC status code to answer with.
    public var statusCode: Status.Code {
        switch self {
        case .frameTooLarge: .resourceExhausted
        case .malformedFrame, .emptyFrame: .invalidArgument
        }
    }

    /// E.g. `a frame of 4294967295 bytes is over the limit of 16777216`.
    public var description: String {
        switch self {
        case .frameTooLarge(let length, let limit): "a frame of \(length) bytes is over the limit of \(limit)"
        case .malformedFrame(let error): "a frame that does not decode: \(error)"
        case .emptyFrame: "a frame without a message"
        }
    }
}
