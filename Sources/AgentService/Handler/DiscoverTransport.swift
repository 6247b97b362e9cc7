import AgentProtocol
import GRPC
import GRPCService

/// Where one Discover stream's lists go and how it ends: frames on a connection of its own, or
/// a gRPC call. A ``DiscoverySession`` works the same over either.
protocol DiscoverTransport: AnyObject {
    /// Whether lists can still be sent.
    var isOpen: Bool { get }
    /// Octets sent and not yet taken by the agent: above a bound the agent is slow, and later
    /// lists wait, coalesced into the newest.
    var backlog: Int { get }
    /// The largest list, in octets of `v0.DiscoverResponse`, the agent takes; nil for no limit.
    var responseLimit: Int? { get }
    /// Sends one `v0.DiscoverResponse` of serialized `v0.Device`s, then `extensions` (its fields
    /// 100–102, see ``DiscoverResponse/extensions(changes:removed:more:)``).
    func send(devices: [[UInt8]], extensions: [UInt8])
    /// Ends the stream with an error status (invalid details).
    func refuse(_ status: Status)
    /// Ends the stream without an error (the handler is stopping).
    func close()
    /// Hears the end of the stream once, however it ended: why when it was not clean, and
    /// whether the agent ended it (rather than the handler, refusing or stopping).
    var onEnd: ((_ reason: String?, _ byAgent: Bool) -> Void)? { get set }
    /// Called when a slow agent has taken what was sent.
    var writable: (() -> Void)? { get set }
}

/// A Discover stream in frames: `devices` frames, an `error` frame, the connection closed.
final class FramesDiscoverTransport: DiscoverTransport {
    let channel: FrameConnection
    var onEnd: ((_ reason: String?, _ byAgent: Bool) -> Void)?
    var writable: (() -> Void)?
    /// The `discover` frame arrived and a session serves it.
    var started = false

    init(_ channel: FrameConnection) {
        self.channel = channel
    }

    /// The connection closed: by the agent, unless we refused the details or are stopping.
    func closed(_ reason: String?) {
        let onEnd = onEnd
        self.onEnd = nil
        onEnd?(reason, !endedLocally)
    }

    private var endedLocally = false

    var isOpen: Bool { channel.isOpen }
    var backlog: Int { channel.bufferedOutboundBytes }
    var responseLimit: Int? { nil }

    func send(devices: [[UInt8]], extensions: [UInt8]) {
        // In any order: each list replaces the last whole, and sorting a long list on every change costs.
        channel.sendFramed(Frame.framedDevices(devices, extensions: extensions))
    }

    func refuse(_ status: Status) {
        endedLocally = true
        channel.fail(status)
    }

    func close() {
        endedLocally = true
        channel.close()
    }
}

/// A Discover stream in gRPC: one `DiscoverResponse` message per list, the call finished with a
/// status. Akri's agent (tonic) takes messages up to `responseLimit`.
final class GRPCDiscoverTransport: DiscoverTransport {
    let call: GRPCServerCall
    let responseLimit: Int?
    var onEnd: ((_ reason: String?, _ byAgent: Bool) -> Void)?
    var writable: (() -> Void)?

    /// Takes over `call`: its cancellation ends the stream.
    init(_ call: GRPCServerCall, responseLimit: Int) {
        self.call = call
        self.responseLimit = responseLimit
        call.onCancel = { [weak self] reason in self?.ended(reason, byAgent: true) }
    }

    private func ended(_ reason: String?, byAgent: Bool) {
        let onEnd = onEnd
        self.onEnd = nil
        onEnd?(reason, byAgent)
    }

    var isOpen: Bool { call.isOpen }
    var backlog: Int { call.backlog }

    func send(devices: [[UInt8]], extensions: [UInt8]) {
        call.sendFramed(DiscoverResponse.grpcMessage(devices: devices, extensions: extensions).bytes)
    }

    func refuse(_ status: Status) {
        call.finish(GRPCStatus(GRPCStatus.Code(rawValue: Int(status.code.rawValue)), status.message))
        ended("refused: \(status)", byAgent: false)
    }

    func close() {
        call.finish(.ok)
        ended(nil, byAgent: false)
    }
}
