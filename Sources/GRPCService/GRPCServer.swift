import GRPC
import HPACK
public import HTTP2
public import IO

/// Serves gRPC methods over HTTP/2 connections handed to it (``serve(_:initialBytes:)``): unary
/// and server-streaming calls, each request one message. Lives on one loop.
///
/// What the gRPC specification asks of a server: unknown methods end with UNIMPLEMENTED, a
/// request that is not gRPC gets HTTP 405 or 415, a message over ``Limits/maximumMessageSize``
/// RESOURCE_EXHAUSTED, a compressed one UNIMPLEMENTED, `grpc-timeout` ends the call with
/// DEADLINE_EXCEEDED when it passes. Every call's unfinished request counts against one budget
/// for the whole server, so many connections each holding part of a large message cannot add up
/// to more than ``Limits/bufferBudget``.
///
/// `@unchecked Sendable`: created anywhere, used on its loop only.
public final class GRPCServer: @unchecked Sendable {
    /// A method: it gets the call and the request message, and answers through the call.
    public typealias Method = (GRPCServerCall, ArraySlice<UInt8>) -> Void

    /// What one server allows its clients.
    public struct Limits: Sendable {
        /// The largest request message (4 MiB, gRPC's default).
        public var maximumMessageSize = GRPCMessageReader.defaultMaximumMessageSize
        /// Octets of unfinished requests over all calls (64 MiB).
        public var bufferBudget = 64 << 20
        /// How long a request may take to arrive whole (30 s).
        public var requestDeadline: Duration = .seconds(30)
        /// The HTTP/2 settings announced. The stream window is set to hold a whole request, so
        /// credit can wait until a request is whole (``init()``).
        public var http2 = HTTP2Connection.Configuration()

        /// The defaults.
        public init() {}

        /// The HTTP/2 settings served with: stream windows hold a whole request (credit waits
        /// until a request is whole), and the connection's two, the most one connection can make
        /// the server hold.
        var served: HTTP2Connection.Configuration {
            var configuration = http2
            configuration.initialWindowSize = max(
                configuration.initialWindowSize,
                maximumMessageSize + 5 + configuration.maxFrameSize
            )
            configuration.connectionWindowSize = max(
                configuration.connectionWindowSize,
                2 * configuration.initialWindowSize
            )
            return configuration
        }
    }

    /// The loop.
    public let eventLoop: EventLoop
    private let methods: [String: Method]
    private let limits: Limits
    private let onConnectionClosed: ((String?) -> Void)?
    private var channels: [ObjectIdentifier: ServedConnection] = [:]
    private var buffered = 0

    /// The connections served now.
    public var connectionCount: Int { channels.count }

    private final class ServedConnection {
        let channel: HTTP2Channel
        var calls: [UInt32: GRPCServerCall] = [:]
        init(channel: HTTP2Channel) { self.channel = channel }
    }

    /// A server of `methods`, by path (`/package.Service/Method`). `onConnectionClosed` hears each
    /// connection's end, with why when it was not clean.
    public init(
        eventLoop: EventLoop,
        methods: [String: Method],
        limits: Limits = Limits(),
        onConnectionClosed: ((String?) -> Void)? = nil
    ) {
        self.eventLoop = eventLoop
        self.methods = methods
        self.limits = limits
        self.onConnectionClosed = onConnectionClosed
    }

    /// Serves `connection`, whose first octets (`initialBytes`) were already read.
    public func serve(_ connection: Connection, initialBytes: [UInt8] = []) {
        eventLoop.preconditionInEventLoop()
        let channel = HTTP2Channel(
            connection,
            role: .server,
            configuration: limits.served,
            initialBytes: [],
            onEvent: { [weak self] channel, event in self?.handle(event, on: channel) },
            onClose: { [weak self] channel, reason in self?.closed(channel, reason) }
        )
        channels[ObjectIdentifier(channel)] = ServedConnection(channel: channel)
        // A call's backlog counts what waits in the socket's buffer as well as what waits for
        // flow-control credit: when the buffer drains, every call may have room again.
        channel.drained = { [weak self, weak channel] in
            guard let self, let channel, let served = channels[ObjectIdentifier(channel)] else { return }
            for call in served.calls.values { call.onWritable?() }
        }
        if !initialBytes.isEmpty { channel.connection(connection, didReceive: initialBytes) }
    }

    /// Ends every connection: GOAWAY, then close once written.
    public func shutdown() {
        for served in channels.values { served.channel.goAway() }
    }

    private func handle(_ event: HTTP2Event, on channel: HTTP2Channel) {
        guard let served = channels[ObjectIdentifier(channel)] else { return }
        switch event {
        case .headers(let id, let fields, let endStream):
            if let call = served.calls[id] {
                // Trailers from the client: it has nothing more to send.
                if endStream { requestEnded(call, on: served) }
                return
            }
            open(id, fields, endStream: endStream, on: served)
        case .data(let id, let bytes, let endStream):
            guard let call = served.calls[id], !call.dispatched else {
                served.channel.consume(id, bytes.count)
                if served.calls[id] != nil, !bytes.isEmpty {
                    fail(id, GRPCStatus(.internal, "more than one request message"), on: served)
                }
                return
            }
            let before = call.reader.bufferedByteCount
            call.reader.append(bytes)
            buffered += call.reader.bufferedByteCount - before
            do throws(GRPCStatus) {
                if let message = try call.reader.next() {
                    guard call.request == nil else {
                        throw GRPCStatus(.internal, "more than one request message")
                    }
                    // The request is whole: its octets are consumed, and their credit goes back.
                    call.request = message
                    served.channel.consume(id, 5 + message.count)
                }
            } catch {
                fail(id, error, on: served)
                return
            }
            if buffered > limits.bufferBudget {
                fail(
                    id,
                    GRPCStatus(
                        .resourceExhausted,
                        "unfinished requests of all calls would hold more than \(limits.bufferBudget) octets"
                    ),
                    on: served
                )
                return
            }
            if endStream { requestEnded(call, on: served) }
        case .streamReset(let id, let code):
            end(id, on: served, reason: "the client reset the stream (\(code))")
        case .streamError(let error):
            if let id = error.streamID { end(id, on: served, reason: "\(error)") }
        case .streamClosed(let id):
            end(id, on: served, reason: nil)
        case .streamWritable(let id):
            served.calls[id]?.onWritable?()
        case .settings, .pingAcknowledged, .goAway, .connectionError:
            break
        }
    }

    private func open(_ id: UInt32, _ fields: [HeaderField], endStream: Bool, on served: ServedConnection) {
        let channel = served.channel
        let request: GRPCHeaders.Request
        do {
            request = try GRPCHeaders.parseRequest(fields)
        } catch {
            switch error {
            case .http(let status, _):
                respond(id, [HeaderField(":status", String(status))], requestEnded: endStream, on: channel)
            case .grpc(let status):
                respond(id, GRPCHeaders.trailersOnly(status), requestEnded: endStream, on: channel)
            }
            return
        }
        guard methods[request.path] != nil else {
            let status = GRPCStatus(.unimplemented, "no method \(request.path)")
            respond(id, GRPCHeaders.trailersOnly(status), requestEnded: endStream, on: channel)
            return
        }
        let call = GRPCServerCall(
            path: request.path,
            timeout: request.timeout,
            metadata: request.metadata,
            streamID: id,
            channel: channel,
            maximumMessageSize: limits.maximumMessageSize
        )
        served.calls[id] = call
        // The request must arrive whole in time; after that, the caller's own deadline counts.
        let requestDeadline = min(limits.requestDeadline, request.timeout ?? limits.requestDeadline)
        call.deadline = eventLoop.scheduleTimer(after: requestDeadline) { [weak self, weak call, weak served] in
            guard let self, let call, let served else { return }
            call.deadline = nil
            let status =
                call.dispatched
                ? GRPCStatus(.deadlineExceeded, "the call's deadline of \(request.timeout ?? .zero) passed")
                : GRPCStatus(.deadlineExceeded, "the request did not arrive whole within \(requestDeadline)")
            call.expire(status)
            end(id, on: served, reason: status.message)
        }
        if endStream { requestEnded(call, on: served) }
    }

    /// The client half-closed: the request is whole, or missing.
    private func requestEnded(_ call: GRPCServerCall, on served: ServedConnection) {
        guard !call.dispatched, let method = methods[call.path] else { return }
        release(call)
        guard call.reader.bufferedByteCount == 0, let request = call.request else {
            fail(
                call.streamID,
                GRPCStatus(
                    .internal,
                    call.request == nil ? "the request carried no message" : "the request ended inside a message"
                ),
                on: served
            )
            return
        }
        call.dispatched = true
        call.stopDeadline()
        if let timeout = call.timeout {
            call.deadline = eventLoop.scheduleTimer(after: timeout) { [weak self, weak call, weak served] in
                guard let self, let call, let served else { return }
                call.deadline = nil
                call.expire(GRPCStatus(.deadlineExceeded, "the call's deadline of \(timeout) passed"))
                end(call.streamID, on: served, reason: "its deadline of \(timeout) passed")
            }
        }
        call.request = nil
        method(call, request)
    }

    /// Ends a call before its method ran. The client may still be sending: RST_STREAM NO_ERROR
    /// asks it to stop without error (RFC 9113 §8.1).
    private func fail(_ id: UInt32, _ status: GRPCStatus, on served: ServedConnection) {
        guard let call = served.calls[id] else { return }
        release(call)
        call.finish(status)
        end(id, on: served, reason: status.message)
        if served.channel.state.isOpen(id) { served.channel.resetStream(id, .noError) }
    }

    /// Answers a stream with one final field section and, when the request is not over, asks
    /// the client to stop sending it (RFC 9113 §8.1).
    private func respond(_ id: UInt32, _ fields: [HeaderField], requestEnded: Bool, on channel: HTTP2Channel) {
        try? channel.sendHeaders(id, fields, endStream: true)
        if !requestEnded { channel.resetStream(id, .noError) }
    }

    /// Drops what a call holds of an unfinished request, giving its flow-control credit back.
    private func release(_ call: GRPCServerCall) {
        let held = call.reader.bufferedByteCount
        buffered -= held
        call.reader = GRPCMessageReader(maximumMessageSize: limits.maximumMessageSize)
        call.release(held)
    }

    private func end(_ id: UInt32, on served: ServedConnection, reason: String?) {
        guard let call = served.calls.removeValue(forKey: id) else { return }
        release(call)
        if let reason { call.cancelled(reason) } else { call.stopDeadline() }
    }

    private func closed(_ channel: HTTP2Channel, _ reason: String?) {
        guard let served = channels.removeValue(forKey: ObjectIdentifier(channel)) else { return }
        for id in Array(served.calls.keys) { end(id, on: served, reason: reason ?? "the connection closed") }
        onConnectionClosed?(reason)
    }
}
