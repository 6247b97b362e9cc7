import IO
import MQTTSession

extension MQTTClientError {
    /// The error for an I/O failure while connecting or connected.
    static func from(_ error: IOError) -> MQTTClientError {
        switch error {
        case .tls(let tls): .tls(tls.description)
        case .resolutionFailed, .connectTimedOut, .connectFailed, .invalidAddress, .system:
            .unreachable(error.description)
        case .closedByPeer, .connectionLost: .connectionLost(error.description)
        case .file, .fileOperation: .invalidConfiguration(error.description)
        }
    }
}
