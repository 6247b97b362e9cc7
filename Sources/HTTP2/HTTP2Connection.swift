public import HPACK

/// One HTTP/2 connection (RFC 9113) as a state machine: octets from the peer go in through
/// ``receive(_:at:)`` and come out as ``HTTP2Event``s; what to send is built by the sending
/// methods and taken with ``takeOutput()``. No I/O and no clock of its own, so every rule can be
/// tested with octets alone.
///
/// It answers control frames itself (SETTINGS acknowledgements, PING, flow-control credit), keeps
/// every stream's state, never sends past a flow-control window (DATA waits in the stream's queue
/// and is split at the peer's SETTINGS_MAX_FRAME_SIZE), and turns every violation into the RFC's
/// error: RST_STREAM for a stream error, GOAWAY for a connection error, after which it reads
/// nothing more. Limits keep a hostile peer's cost bounded: header blocks (size and CONTINUATION
/// count), concurrent streams, and a budget for streams the peer resets.
public struct HTTP2Connection: Sendable {
    /// Which end of the connection this is.
    public enum Role: Sendable {
        /// Sends the connection preface and opens odd-numbered streams.
        case client
        /// Expects the preface and serves the client's streams.
        case server
    }

    /// What this end allows its peer, announced in its first SETTINGS and enforced from the start.
    public struct Configuration: Sendable {
        /// SETTINGS_MAX_CONCURRENT_STREAMS: streams the peer may have open at once (100).
        public var maxConcurrentStreams = 100
        /// SETTINGS_INITIAL_WINDOW_SIZE: credit per stream (1 MiB).
        public var initialWindowSize = 1 << 20
        /// Credit for the whole connection, given with a WINDOW_UPDATE after the preface (4 MiB).
        public var connectionWindowSize = 4 << 20
        /// SETTINGS_MAX_FRAME_SIZE (16,384, the RFC's initial value).
        public var maxFrameSize = 16_384
        /// SETTINGS_MAX_HEADER_LIST_SIZE (16 KiB).
        public var maxHeaderListSize = 16_384
        /// SETTINGS_HEADER_TABLE_SIZE: our decoder's dynamic table (4,096).
        public var headerTableSize = 4_096
        /// HEADERS plus CONTINUATION frames one field block may take (64): no peer needs more for
        /// a 16 KiB list, and a block that never ends would otherwise cost work forever.
        public var maxHeaderBlockFrames = 64
        /// Streams the peer may reset at once, and per second after (1,000 and 33, as nghttp2):
        /// past them the connection ends with ENHANCE_YOUR_CALM.
        public var resetBurst = 1_000
        /// See ``resetBurst``.
        public var resetsPerSecond = 33

        /// The defaults.
        public init() {}
    }

    /// The connection preface a client sends first (RFC 9113 §3.4).
    public static let clientPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// Which end this is.
    public let role: Role
    /// What this end announced.
    public let configuration: Configuration
    /// The peer's settings, the RFC's initial values until its SETTINGS arrive.
    public internal(set) var peerSettings = HTTP2Settings()

    var reader: HTTP2FrameReader
    var decoder: HPACKDecoder
    let encoder = HPACKEncoder()
    var output: [UInt8] = []
    var events: [HTTP2Event] = []
    var streams: [UInt32: HTTP2Stream] = [:]
    var closedStreams = ClosedStreams(capacity: 1_024)
    /// Streams with something queued to send, in the order they queued it.
    var sendOrder: [UInt32] = []
    var prefaceReceived: Bool
    var settingsReceived = false
    var highestPeerStreamID: UInt32 = 0
    var nextLocalStreamID: UInt32
    var connectionSendWindow = 65_535
    var connectionReceiveWindow = 65_535
    var connectionUnacknowledged = 0
    var headerBlock: PendingHeaderBlock?
    var resetBudget: ResetBudget
    var now: Duration = .zero
    /// The peer's GOAWAY: no new streams of ours after it.
    public internal(set) var peerLastStreamID: UInt32?
    /// Set once we sent GOAWAY for an error: nothing more is read.
    public internal(set) var failure: HTTP2Error?
    /// We sent GOAWAY (for an error or to shut down).
    public internal(set) var isGoingAway = false

    /// A field block spread over HEADERS and CONTINUATION frames, being collected.
    struct PendingHeaderBlock: Sendable {
        var streamID: UInt32
        var fragments: [UInt8]
        var endStream: Bool
        var frames: Int
        /// The HEADERS frame's priority named its own stream.
        var selfDependent: Bool
    }

    /// A connection for `role`. Its output starts with this end's preface: a client's magic
    /// octets, then SETTINGS, then a WINDOW_UPDATE raising the connection window.
    public init(role: Role, configuration: Configuration = Configuration()) {
        self.role = role
        self.configuration = configuration
        reader = HTTP2FrameReader(maximumFrameSize: configuration.maxFrameSize)
        decoder = HPACKDecoder(
            maximumTableSize: configuration.headerTableSize,
            maximumHeaderListSize: configuration.maxHeaderListSize,
            maximumStringLength: configuration.maxHeaderListSize
        )
        prefaceReceived = role == .client
        nextLocalStreamID = role == .client ? 1 : 2
        resetBudget = ResetBudget(burst: configuration.resetBurst, perSecond: configuration.resetsPerSecond)
        if role == .client { output = Self.clientPreface }
        var settings = HTTP2Settings()
        if role == .client { settings.enablePush = false }
        if role == .server { settings.maxConcurrentStreams = configuration.maxConcurrentStreams }
        settings.initialWindowSize = configuration.initialWindowSize
        settings.maxFrameSize = configuration.maxFrameSize
        settings.maxHeaderListSize = configuration.maxHeaderListSize
        settings.headerTableSize = configuration.headerTableSize
        write(HTTP2Frame(streamID: 0, payload: .settings(settings.changes)))
        if configuration.connectionWindowSize > 65_535 {
            let increment = UInt32(configuration.connectionWindowSize - 65_535)
            write(HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: increment)))
            connectionReceiveWindow = configuration.connectionWindowSize
        }
    }

    // MARK: - Output

    /// Takes what is to be written to the peer.
    public mutating func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }

    /// Whether anything is waiting to be written.
    public var hasOutput: Bool { !output.isEmpty }

    /// Takes the events of sending (``HTTP2Event/streamWritable(streamID:)``) that happened
    /// outside ``receive(_:at:)``.
    public mutating func takeEvents() -> [HTTP2Event] {
        defer { events = [] }
        return events
    }

    mutating func write(_ frame: HTTP2Frame) {
        frame.encode(into: &output)
    }

    // MARK: - Streams

    /// Streams open now (either side's).
    public var openStreamCount: Int { streams.count }

    /// Whether `streamID` is open.
    public func isOpen(_ streamID: UInt32) -> Bool { streams[streamID] != nil }

    /// Octets of DATA queued on a stream for want of flow-control credit.
    public func queuedBytes(_ streamID: UInt32) -> Int { streams[streamID]?.queuedBytes ?? 0 }

    /// Opens a stream with a request head (client). Throws when the peer's GOAWAY or its
    /// SETTINGS_MAX_CONCURRENT_STREAMS leave no room, or the head is over its header list limit.
    public mutating func openStream(_ fields: [HeaderField], endStream: Bool) throws(HTTP2Error) -> UInt32 {
        guard failure == nil, !isGoingAway else { throw .connection(.internalError, "the connection is closing") }
        if let peerLastStreamID {
            throw .connection(.refusedStream, "the peer sent GOAWAY (last stream \(peerLastStreamID))")
        }
        let local = streams.keys.filter { $0 & 1 == (role == .client ? 1 : 0) }.count
        guard local < peerSettings.maxConcurrentStreams else {
            throw .connection(
                .refusedStream,
                "the peer allows \(peerSettings.maxConcurrentStreams) concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS)"
            )
        }
        guard nextLocalStreamID < 0x7FFF_FFFF else { throw .connection(.refusedStream, "stream identifiers exhausted") }
        let id = nextLocalStreamID
        nextLocalStreamID += 2
        streams[id] = HTTP2Stream(
            sendWindow: peerSettings.initialWindowSize,
            receiveWindow: configuration.initialWindowSize
        )
        try sendHeaders(id, fields, endStream: endStream)
        return id
    }

    /// Sends a field section on an open stream: a response head, or trailers (`endStream`).
    /// Trailers wait behind queued DATA. Throws when the section is over the peer's
    /// SETTINGS_MAX_HEADER_LIST_SIZE or the stream is not open for sending.
    public mutating func sendHeaders(_ streamID: UInt32, _ fields: [HeaderField], endStream: Bool) throws(HTTP2Error) {
        guard failure == nil, var stream = streams[streamID], !stream.localEnded, !stream.endQueued else {
            throw .stream(streamID, .streamClosed, "the stream is not open for sending")
        }
        let listSize = fields.reduce(0) { $0 + $1.size }
        guard listSize <= peerSettings.maxHeaderListSize else {
            throw .stream(
                streamID,
                .internalError,
                "a field section of \(listSize) octets is over the peer's SETTINGS_MAX_HEADER_LIST_SIZE \(peerSettings.maxHeaderListSize)"
            )
        }
        let block = encoder.encode(fields)
        if endStream, stream.queuedBytes > 0 {
            stream.trailers = block
            stream.endQueued = true
            streams[streamID] = stream
            return
        }
        writeHeaderBlock(block, streamID: streamID, endStream: endStream)
        if endStream { endedLocally(streamID) }
    }

    /// Splits a field block into HEADERS and CONTINUATION at the peer's SETTINGS_MAX_FRAME_SIZE.
    mutating func writeHeaderBlock(_ block: [UInt8], streamID: UInt32, endStream: Bool) {
        let limit = peerSettings.maxFrameSize
        var start = 0
        var first = true
        repeat {
            let end = min(block.count, start + limit)
            let fragment = block[start..<end]
            let last = end == block.count
            if first {
                write(
                    HTTP2Frame(
                        streamID: streamID,
                        payload: .headers(fragment, endStream: endStream, endHeaders: last)
                    )
                )
            } else {
                write(HTTP2Frame(streamID: streamID, payload: .continuation(fragment, endHeaders: last)))
            }
            first = false
            start = end
        } while start < block.count
    }

    /// Queues DATA on an open stream and sends what the windows allow now; the rest follows as
    /// the peer gives credit. With `endStream`, END_STREAM goes on the last of it.
    public mutating func sendData(_ streamID: UInt32, _ bytes: [UInt8], endStream: Bool) throws(HTTP2Error) {
        guard failure == nil, var stream = streams[streamID], !stream.localEnded, !stream.endQueued else {
            throw .stream(streamID, .streamClosed, "the stream is not open for sending")
        }
        streams[streamID] = nil  // the stream's queue is uniquely ours while it grows
        let wasQueued = stream.hasPendingOutput
        if stream.queuedBytes == 0 {
            // The usual case, a message into an empty queue: it becomes the queue, uncopied.
            stream.queue = bytes
            stream.queueStart = 0
        } else {
            stream.queue.append(contentsOf: bytes)
        }
        stream.endQueued = endStream
        streams[streamID] = stream
        if !wasQueued { sendOrder.append(streamID) }
        flushStreams()
    }

    /// Resets a stream with RST_STREAM (`code`, CANCEL for "no longer needed").
    public mutating func resetStream(_ streamID: UInt32, _ code: HTTP2ErrorCode) {
        guard failure == nil, streams.removeValue(forKey: streamID) != nil else { return }
        write(HTTP2Frame(streamID: streamID, payload: .rstStream(code)))
        closedStreams.insert(streamID, .resetLocally)
    }

    /// Sends PING with `data`; the peer's answer arrives as ``HTTP2Event/pingAcknowledged(_:)``.
    public mutating func ping(_ data: UInt64) {
        guard failure == nil else { return }
        write(HTTP2Frame(streamID: 0, payload: .ping(data, ack: false)))
    }

    /// Sends GOAWAY: no stream the peer opens after those already open will be processed.
    public mutating func goAway(_ code: HTTP2ErrorCode = .noError, debug: String = "") {
        guard failure == nil, !isGoingAway else { return }
        isGoingAway = true
        write(
            HTTP2Frame(
                streamID: 0,
                payload: .goAway(lastStreamID: highestPeerStreamID, code, debugData: Array(debug.utf8)[...])
            )
        )
    }

    /// Records that we sent END_STREAM, closing the stream if the peer already had.
    mutating func endedLocally(_ streamID: UInt32) {
        guard var stream = streams[streamID] else { return }
        stream.localEnded = true
        if stream.remoteEnded {
            streams[streamID] = nil
            closedStreams.insert(streamID, .ended)
        } else {
            streams[streamID] = stream
        }
    }

    // MARK: - Flow control, sending side

    /// Sends queued DATA (and trailers) while the connection's and each stream's windows allow,
    /// taking streams in turn so one large stream cannot hold back the others.
    mutating func flushStreams() {
        var index = 0
        var stillQueued: [UInt32] = []
        while index < sendOrder.count {
            let id = sendOrder[index]
            index += 1
            guard var stream = streams[id] else { continue }
            var ended = false
            // One allocation for all the DATA frames that go now, rather than one per doubling.
            let sendable = min(stream.queuedBytes, connectionSendWindow, max(stream.sendWindow, 0))
            output.reserveCapacity(
                output.count + sendable + (sendable / peerSettings.maxFrameSize + 1) * HTTP2Frame.headerSize
            )
            while stream.queuedBytes > 0, connectionSendWindow > 0, stream.sendWindow > 0 {
                let count = min(stream.queuedBytes, connectionSendWindow, stream.sendWindow, peerSettings.maxFrameSize)
                let end = stream.queueStart + count
                let endStream = end == stream.queue.count && stream.endQueued && stream.trailers == nil
                write(
                    HTTP2Frame(
                        streamID: id,
                        payload: .data(stream.queue[stream.queueStart..<end], endStream: endStream)
                    )
                )
                stream.queueStart = end
                stream.sendWindow -= count
                connectionSendWindow -= count
                ended = endStream
            }
            guard stream.queuedBytes == 0 else {
                streams[id] = stream
                stillQueued.append(id)
                continue
            }
            stream.queue = []
            stream.queueStart = 0
            let trailers = stream.trailers
            stream.trailers = nil
            streams[id] = stream
            if stream.endQueued, !ended {
                // Trailers after the data, or an END_STREAM queued with no data before it.
                if let trailers {
                    writeHeaderBlock(trailers, streamID: id, endStream: true)
                } else {
                    write(HTTP2Frame(streamID: id, payload: .data([], endStream: true)))
                }
                ended = true
            }
            if ended { endedLocally(id) }
            events.append(.streamWritable(streamID: id))
        }
        sendOrder = stillQueued
    }
}
