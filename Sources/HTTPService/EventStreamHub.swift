import HTTP
public import IO
public import Logging

/// The Server-Sent Events clients of one endpoint (HTML Living Standard §9.2, "Server-sent
/// events"): each gets the events it asked for as they happen, a comment every 15 s so proxies
/// and browsers keep the connection, and is disconnected when it falls more than
/// ``maximumBacklog`` bytes behind, so a client that stops reading costs bounded memory.
///
/// `@unchecked Sendable`: created and used on its loop only.
public final class EventStreamHub: @unchecked Sendable {
    private let loop: EventLoop
    private let logger: Logger
    private var streams: [ObjectIdentifier: (stream: HTTPStream, filter: String?)] = [:]
    private var heartbeat: TimerID?

    /// How far a client may fall behind before it is disconnected, in bytes.
    public let maximumBacklog: Int

    /// How many clients are connected.
    public var count: Int { streams.count }

    /// A hub on `loop`. Call on the loop.
    public init(loop: EventLoop, logger: Logger, maximumBacklog: Int = 1 << 20) {
        self.loop = loop
        self.logger = logger
        self.maximumBacklog = maximumBacklog
    }

    /// The reply that turns a request into a stream of this hub's events: those whose key is
    /// `filter`, or all when `filter` is nil. `opened` writes what a new client gets first (a
    /// snapshot, say), before any live event.
    public func reply(filter: String? = nil, opened: @escaping (HTTPStream) -> Void = { _ in }) -> HTTPServer.Reply {
        let head = HTTPResponse.streamHead(
            headers: HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        )
        return .stream(head: head) { [weak self] stream in
            guard let self else { return stream.close() }
            let key = ObjectIdentifier(stream)
            streams[key] = (stream, filter)
            stream.onClose = { [weak self] in self?.streams[key] = nil }
            opened(stream)
            if heartbeat == nil { scheduleHeartbeat() }
        }
    }

    /// Sends an event to every client whose filter is nil or `key`.
    public func broadcast(_ event: ServerSentEvent, key: String? = nil) {
        guard !streams.isEmpty else { return }
        let bytes = event.bytes
        for (id, entry) in streams where entry.filter == nil || entry.filter == key {
            if entry.stream.bufferedBytes > maximumBacklog {
                logger.warning("disconnecting an event-stream client that fell behind")
                streams[id] = nil
                entry.stream.close()
                continue
            }
            entry.stream.write(bytes)
        }
    }

    /// Closes every client's stream.
    public func close() {
        if let heartbeat { loop.cancelTimer(heartbeat) }
        heartbeat = nil
        let open = streams.values
        streams = [:]
        for entry in open { entry.stream.close() }
    }

    private func scheduleHeartbeat() {
        heartbeat = loop.scheduleTimer(after: .seconds(15)) { [weak self] in
            guard let self else { return }
            heartbeat = nil
            guard !streams.isEmpty else { return }
            for entry in streams.values { entry.stream.write(Array(": keep-alive\n\n".utf8)) }
            scheduleHeartbeat()
        }
    }
}

/// One Server-Sent Event: an optional id (which a reconnecting browser sends back as
/// `Last-Event-ID`), an event type, and data (one `data:` line per line of it).
public struct ServerSentEvent: Sendable {
    /// The id, if any.
    public var id: String?
    /// The type (`message` when nil).
    public var type: String?
    /// The data.
    public var data: String

    /// An event.
    public init(id: String? = nil, type: String? = nil, data: String) {
        self.id = id
        self.type = type
        self.data = data
    }

    /// The event on the wire. Newlines in the data become separate `data:` lines, as the format
    /// requires; ids and types are single lines by construction (line breaks are dropped).
    public var bytes: [UInt8] {
        var text = ""
        if let id { text += "id: \(Self.oneLine(id))\n" }
        if let type { text += "event: \(Self.oneLine(type))\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        text += "\n"
        return Array(text.utf8)
    }

    /// A comment line, which clients ignore.
    public static func comment(_ text: String) -> [UInt8] {
        Array(": \(oneLine(text))\n\n".utf8)
    }

    private static func oneLine(_ text: String) -> String {
        String(text.filter { $0 != "\n" && $0 != "\r" })
    }
}
