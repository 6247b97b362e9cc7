import AgentProtocol
import GRPC
import GRPCService
import HPACK
import IO
import MQTTClient
import MQTTSession

/// The agent's end of one Discover stream: one Configuration at one handler endpoint, in the
/// protocol the handler registered with. It dials the endpoint, asks Discover with the
/// Configuration's request, and hands each full list to the agent. When the stream ends, the
/// agent decides what happens next (retry, grace period); this class only keeps the bookkeeping:
/// the connection, the retry and grace timers, and how many attempts failed.
///
/// `@unchecked Sendable`: owned by the agent and used on its loop only.
final class DiscoverStream: @unchecked Sendable {
    /// How a stream ended.
    enum End: Sendable {
        /// The stream ended, or its connection broke (with why, when known).
        case ended(String?)
        /// The handler refused the request: INVALID_ARGUMENT (bad details) or another status.
        case refused(Status)
        /// The endpoint could not be reached.
        case unreachable(String)
    }

    /// Where a handler serves Discover and in which protocol.
    enum Endpoint: Sendable, CustomStringConvertible {
        /// Frames on a Unix socket.
        case frames(String)
        /// gRPC on a Unix socket or TCP.
        case grpc(GRPCEndpoint)

        var description: String {
            switch self {
            case .frames(let path): path
            case .grpc(let endpoint): endpoint.description
            }
        }
    }

    /// What is discovered.
    let configuration: AgentConfiguration
    /// The endpoint as registered (the key of the handler).
    let endpoint: String
    /// How it is reached; replaced when the handler registers again in another protocol.
    var target: Endpoint
    /// Whether the handler registered its devices as shared.
    var shared: Bool
    /// A pending reconnect.
    var retry: TimerID?
    /// When it fires, the stream's devices are forgotten.
    var grace: TimerID?
    /// Failed connections since the last list.
    var failures = 0
    /// Refusals in a row: the next attempt waits 500 ms doubled this many times less one.
    var refusals = 0

    private var channel: FrameConnection?
    private var client: GRPCClient?
    private var call: GRPCClientCall?
    /// The largest list taken: as large as a frame may be.
    private static let messageLimit = FrameDecoder.defaultMaximumFrameSize

    private let onList: (DiscoverStream, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void
    private let onEnd: (DiscoverStream, End) -> Void

    /// A stream, not yet open; `onList` hears each list (a serialized `v0.DiscoverResponse`, read
    /// by the agent for what changed), `onEnd` the end of each attempt, both on the loop.
    init(
        configuration: AgentConfiguration,
        endpoint: String,
        target: Endpoint,
        shared: Bool,
        onList: @escaping (DiscoverStream, ArraySlice<UInt8>) throws(AgentProtocolError) -> Void,
        onEnd: @escaping (DiscoverStream, End) -> Void
    ) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.target = target
        self.shared = shared
        self.onList = onList
        self.onEnd = onEnd
    }

    /// Closed by the agent: nothing more is reported.
    private var isClosed = false
    /// The current attempt already reported how it ended.
    private var reported = false

    /// The Configuration's request, asking for changes rather than whole lists: a handler of
    /// ours sends them (and why each device went); Akri's handlers skip the field.
    private var request: DiscoverRequest {
        var request = configuration.request
        request.acceptsChanges = true
        return request
    }

    /// Whether a connection is open or being made.
    private(set) var isActive = false

    /// Dials the endpoint and asks Discover. Call on the loop.
    func open(on loop: EventLoop) {
        guard !isActive, !isClosed else { return }
        isActive = true
        reported = false
        if let retry {
            loop.cancelTimer(retry)
            self.retry = nil
        }
        switch target {
        case .frames(let path): openFrames(path, on: loop)
        case .grpc(let endpoint): openGRPC(endpoint, on: loop)
        }
    }

    private func report(_ end: End) {
        guard !reported, !isClosed else { return }
        reported = true
        isActive = false
        channel?.close()
        channel = nil
        call = nil
        client?.onClose = nil
        client?.close()
        client = nil
        onEnd(self, end)
    }

    private func openFrames(_ path: String, on loop: EventLoop) {
        Connection.connect(unixPath: path, on: loop) { [self] result in
            switch result {
            case .success(let connection):
                guard isActive, !isClosed else { return connection.close() }
                let channel = FrameConnection(
                    connection,
                    onSerializedFrame: { [weak self] channel, bytes throws(AgentProtocolError) in
                        guard let self, !isClosed else { return }
                        try received(bytes, on: channel)
                    },
                    onClose: { [weak self] _, reason in self?.report(.ended(reason)) }
                )
                self.channel = channel
                channel.send(.discover(request))
            case .failure(let error):
                report(.unreachable("\(error)"))
            }
        }
    }

    private func received(_ bytes: ArraySlice<UInt8>, on channel: FrameConnection) throws(AgentProtocolError) {
        // The usual frame, a full list, is read for what changed since the last one.
        if let response = try Frame.devicesResponse(in: bytes) {
            try onList(self, response)
            return
        }
        switch try Frame(serialized: bytes) {
        case .devices(let response):
            try onList(self, response.serialized[...])
        case .error(let status):
            report(.refused(status))
        case let frame:
            channel.fail(Status(.failedPrecondition, "expected devices, got \(frame.name)"))
        }
    }

    private func openGRPC(_ endpoint: GRPCEndpoint, on loop: EventLoop) {
        GRPCClient.connect(to: endpoint, on: loop, maximumMessageSize: Self.messageLimit) { [self] result in
            switch result {
            case .success(let client):
                guard isActive, !isClosed else { return client.close() }
                self.client = client
                client.onClose = { [weak self] reason in self?.report(.ended(reason)) }
                call = client.call(
                    "/v0.DiscoveryHandler/Discover",
                    request: request.serialized,
                    metadata: [HeaderField(DiscoverMetadata.maximumMessage, String(Self.messageLimit))],
                    onMessage: { [weak self] message in
                        guard let self, !isClosed else { return }
                        do {
                            try onList(self, message)
                        } catch {
                            call?.cancel()
                            report(.ended("a list that does not decode: \(error)"))
                        }
                    },
                    onEnd: { [weak self] status in
                        guard let self else { return }
                        if status.code == .ok {
                            report(.ended("the handler ended the stream"))
                        } else if status.code == .unavailable, self.client?.serverSpeaksHTTP2 != true {
                            report(.unreachable(status.message))
                        } else if [.unavailable, .cancelled, .deadlineExceeded].contains(status.code) {
                            report(.ended("\(status)"))
                        } else {
                            report(.refused(Status(Status.Code(rawValue: Int32(status.code.rawValue)), status.message)))
                        }
                    }
                )
            case .failure(let error):
                report(.unreachable("\(error)"))
            }
        }
    }

    /// Ends the stream (the agent closes its end; Akri semantics) and cancels timers.
    func close(on loop: EventLoop) {
        isClosed = true
        isActive = false
        for timer in [retry, grace].compactMap({ $0 }) { loop.cancelTimer(timer) }
        retry = nil
        grace = nil
        channel?.close()
        channel = nil
        call?.cancel()
        call = nil
        client?.onClose = nil
        client?.close()
        client = nil
    }
}

/// Metadata our agent sends with Discover, which Akri's agent does not: a handler that knows it
/// may send lists up to this size instead of tonic's default of 4 MiB.
enum DiscoverMetadata {
    /// The largest `DiscoverResponse` the agent reads, in octets.
    static let maximumMessage = "mqtt-discovery-max-message"
}
