import HPACK

extension HTTP2Connection {
    /// Reads octets from the peer: answers control frames, checks every rule, and returns what
    /// happened. `now` is the caller's monotonic clock (any fixed start), for the reset budget.
    public mutating func receive(_ bytes: some Collection<UInt8>, at now: Duration = .zero) -> [HTTP2Event] {
        self.now = now
        guard failure == nil else { return takeEvents() }
        reader.append(bytes)
        if !prefaceReceived {
            let preface = Self.clientPreface
            let unread = reader.unread.prefix(preface.count)
            guard unread.elementsEqual(preface.prefix(unread.count)) else {
                fail(.connection(.protocolError, "the connection preface is not HTTP/2's (RFC 9113 §3.4)"))
                return takeEvents()
            }
            guard reader.take(preface.count) != nil else { return takeEvents() }
            prefaceReceived = true
        }
        while failure == nil {
            do {
                guard let frame = try reader.next() else { break }
                try handle(frame)
            } catch {
                if error.streamID != nil { streamFailed(error) } else { fail(error) }
            }
        }
        return takeEvents()
    }

    /// Octets received that do not make a whole frame yet.
    public var bufferedByteCount: Int { reader.bufferedByteCount }

    // MARK: - Errors

    /// A connection error: GOAWAY with the code and what happened, then nothing more is read.
    mutating func fail(_ error: HTTP2Error) {
        guard failure == nil else { return }
        failure = error
        let debug = Array(error.message.utf8.prefix(256))
        write(
            HTTP2Frame(
                streamID: 0,
                payload: .goAway(lastStreamID: highestPeerStreamID, error.code, debugData: debug[...])
            )
        )
        events.append(.connectionError(error))
    }

    /// A stream error: RST_STREAM with the code; the stream is forgotten, its late frames ignored.
    mutating func streamFailed(_ error: HTTP2Error) {
        guard let id = error.streamID else { return fail(error) }
        streams[id] = nil
        write(HTTP2Frame(streamID: id, payload: .rstStream(error.code)))
        closedStreams.insert(id, .resetLocally)
        events.append(.streamError(error))
    }

    // MARK: - Frames

    private func isPeerInitiated(_ id: UInt32) -> Bool { (id & 1 == 1) == (role == .server) }

    /// Whether `id` names a stream not opened yet (§5.1 "idle").
    private func isIdle(_ id: UInt32) -> Bool {
        isPeerInitiated(id) ? id > highestPeerStreamID : id >= nextLocalStreamID
    }

    private mutating func handle(_ frame: HTTP2Frame) throws(HTTP2Error) {
        let id = frame.streamID
        if !settingsReceived {
            guard case .settings = frame.payload else {
                throw .connection(.protocolError, "the peer's first frame is not SETTINGS (RFC 9113 §3.4)")
            }
        }
        if let block = headerBlock {
            // §6.10: nothing may come between HEADERS and its last CONTINUATION.
            guard case .continuation = frame.payload, id == block.streamID else {
                throw .connection(
                    .protocolError,
                    "a frame other than CONTINUATION on stream \(block.streamID) inside a field block (RFC 9113 §6.10)"
                )
            }
        }
        switch frame.payload {
        case .data(let bytes, let endStream, let padding):
            try receiveData(id, bytes, endStream: endStream, flowControlled: bytes.count + padding)
        case .headers(let fragment, let endStream, let endHeaders, let priority):
            headerBlock = PendingHeaderBlock(
                streamID: id,
                fragments: Array(fragment),
                endStream: endStream,
                frames: 1,
                selfDependent: priority?.dependency == id
            )
            try checkHeaderBlockLimits()
            if endHeaders { try completeHeaderBlock() }
        case .continuation(let fragment, let endHeaders):
            guard headerBlock != nil else {
                throw .connection(.protocolError, "CONTINUATION without HEADERS before it (RFC 9113 §6.10)")
            }
            headerBlock?.fragments += fragment
            headerBlock?.frames += 1
            try checkHeaderBlockLimits()
            if endHeaders { try completeHeaderBlock() }
        case .priority:
            // RFC 9113 §5.3.2: parsed (the reader checked it), otherwise ignored.
            break
        case .rstStream(let code):
            try receiveReset(id, code)
        case .settings(let settings):
            try receiveSettings(settings)
        case .settingsAcknowledgement:
            guard settingsReceived else {
                throw .connection(
                    .protocolError,
                    "the peer's first frame is a SETTINGS acknowledgement (RFC 9113 §3.4)"
                )
            }
        case .pushPromise:
            throw .connection(
                .protocolError,
                role == .server
                    ? "PUSH_PROMISE from a client (RFC 9113 §8.4)"
                    : "PUSH_PROMISE after SETTINGS_ENABLE_PUSH 0 (RFC 9113 §6.6)"
            )
        case .ping(let data, let ack):
            if ack {
                events.append(.pingAcknowledged(data))
            } else {
                write(HTTP2Frame(streamID: 0, payload: .ping(data, ack: true)))
            }
        case .goAway(let lastStreamID, let code, let debugData):
            receiveGoAway(lastStreamID, code, debug: String(decoding: debugData, as: UTF8.self))
        case .windowUpdate(let increment):
            try receiveWindowUpdate(id, Int(increment))
        case .unknown:
            // §5.5: frames of unknown types are ignored.
            break
        }
    }

    private mutating func checkHeaderBlockLimits() throws(HTTP2Error) {
        guard let block = headerBlock else { return }
        if block.frames > configuration.maxHeaderBlockFrames {
            throw .connection(
                .enhanceYourCalm,
                "a field block in more than \(configuration.maxHeaderBlockFrames) HEADERS and CONTINUATION frames"
            )
        }
        // HPACK can grow a string by at most 30 bits per octet's 8 (Huffman), so 4 × the list limit
        // is more than any block within the limit can take.
        if block.fragments.count > 4 * configuration.maxHeaderListSize {
            throw .connection(
                .enhanceYourCalm,
                "a field block of more than \(4 * configuration.maxHeaderListSize) octets (SETTINGS_MAX_HEADER_LIST_SIZE \(configuration.maxHeaderListSize))"
            )
        }
    }

    private mutating func completeHeaderBlock() throws(HTTP2Error) {
        guard let block = headerBlock else { return }
        headerBlock = nil
        let id = block.streamID
        let fields: [HeaderField]
        do {
            fields = try decoder.decode(block.fragments[...])
        } catch {
            throw .connection(.compressionError, "\(error) (RFC 9113 §4.3)")
        }
        if block.selfDependent {
            if isIdle(id), isPeerInitiated(id) { highestPeerStreamID = id }
            throw .stream(id, .protocolError, "a stream cannot depend on itself (RFC 9113 §5.3.1)")
        }
        if var stream = streams[id] {
            guard !stream.remoteEnded else {
                throw .stream(id, .streamClosed, "HEADERS after the peer ended the stream (RFC 9113 §5.1)")
            }
            if stream.receivedHeaders {
                guard block.endStream else {
                    throw .stream(id, .protocolError, "a second field section without END_STREAM (RFC 9113 §8.1)")
                }
                if let problem = Self.trailersProblem(fields) { throw .stream(id, .protocolError, problem) }
            } else {
                if let problem = Self.responseProblem(fields) { throw .stream(id, .protocolError, problem) }
                // An informational (1xx) head comes before the real one (RFC 9113 §8.1).
                stream.receivedHeaders = !Self.isInformational(fields)
            }
            stream.remoteEnded = block.endStream
            streams[id] = stream
            events.append(.headers(streamID: id, fields, endStream: block.endStream))
            if block.endStream { endedRemotely(id) }
            return
        }
        if isIdle(id) {
            guard isPeerInitiated(id) else {
                throw .connection(
                    .protocolError,
                    role == .server
                        ? "a client stream with an even identifier \(id) (RFC 9113 §5.1.1)"
                        : "HEADERS from the server on stream \(id), which is not open (RFC 9113 §5.1.1)"
                )
            }
            highestPeerStreamID = id
            guard !isGoingAway else {
                // §6.8: streams opened after our GOAWAY are ignored.
                closedStreams.insert(id, .resetLocally)
                return
            }
            let open = streams.keys.count(where: isPeerInitiated)
            guard open < configuration.maxConcurrentStreams else {
                throw .stream(
                    id,
                    .refusedStream,
                    "over SETTINGS_MAX_CONCURRENT_STREAMS \(configuration.maxConcurrentStreams) (RFC 9113 §5.1.2)"
                )
            }
            if let problem = Self.requestProblem(fields) { throw .stream(id, .protocolError, problem) }
            var stream = HTTP2Stream(
                sendWindow: peerSettings.initialWindowSize,
                receiveWindow: configuration.initialWindowSize
            )
            stream.receivedHeaders = true
            stream.remoteEnded = block.endStream
            streams[id] = stream
            events.append(.headers(streamID: id, fields, endStream: block.endStream))
            return
        }
        switch closedStreams[id] {
        case .resetLocally:
            return
        case .resetRemotely:
            throw .stream(id, .streamClosed, "HEADERS on a stream the peer reset (RFC 9113 §5.1)")
        case .ended, nil:
            throw .connection(.streamClosed, "HEADERS on closed stream \(id) (RFC 9113 §5.1)")
        }
    }

    /// The peer sent END_STREAM: the stream closes if we had too.
    private mutating func endedRemotely(_ id: UInt32) {
        guard let stream = streams[id], stream.localEnded else { return }
        streams[id] = nil
        closedStreams.insert(id, .ended)
        events.append(.streamClosed(streamID: id))
    }

    private mutating func receiveData(
        _ id: UInt32,
        _ bytes: ArraySlice<UInt8>,
        endStream: Bool,
        flowControlled length: Int
    ) throws(HTTP2Error) {
        guard length <= connectionReceiveWindow else {
            throw .connection(
                .flowControlError,
                "DATA of \(length) octets past the connection's window of \(connectionReceiveWindow) (RFC 9113 §6.9)"
            )
        }
        connectionReceiveWindow -= length
        guard var stream = streams[id] else {
            // Nobody will consume DATA of a stream that is gone: its credit comes back at once.
            creditConnection(length)
            if isIdle(id) { throw .connection(.protocolError, "DATA on idle stream \(id) (RFC 9113 §5.1)") }
            if closedStreams[id] == .resetLocally { return }
            throw .stream(id, .streamClosed, "DATA on closed stream \(id) (RFC 9113 §5.1)")
        }
        guard !stream.remoteEnded else {
            creditConnection(length)
            throw .stream(id, .streamClosed, "DATA after the peer ended the stream (RFC 9113 §5.1)")
        }
        guard stream.receivedHeaders else {
            creditConnection(length)
            throw .stream(id, .protocolError, "DATA before the response head (RFC 9113 §8.1)")
        }
        guard length <= stream.receiveWindow else {
            creditConnection(length)
            throw .stream(
                id,
                .flowControlError,
                "DATA of \(length) octets past the stream's window of \(stream.receiveWindow) (RFC 9113 §6.9)"
            )
        }
        stream.receiveWindow -= length
        if endStream { stream.remoteEnded = true }
        streams[id] = stream
        // Padding is never handed over: it is consumed here; the data when the user says so.
        if length > bytes.count { consume(id, length - bytes.count) }
        events.append(.data(streamID: id, bytes, endStream: endStream))
        if endStream { endedRemotely(id) }
    }

    /// Gives the peer credit for `count` octets of the connection's window.
    mutating func creditConnection(_ count: Int) {
        connectionUnacknowledged += count
        if connectionUnacknowledged >= configuration.connectionWindowSize / 2 {
            write(HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: UInt32(connectionUnacknowledged))))
            connectionReceiveWindow += connectionUnacknowledged
            connectionUnacknowledged = 0
        }
    }

    /// Says that `count` octets of a stream's DATA have been consumed: their flow-control credit
    /// goes back to the peer, for the connection and (while it can still send) the stream, in
    /// WINDOW_UPDATEs once half a window is owed. DATA not yet consumed is what the peer may
    /// make us hold: at most a window per stream and one for the whole connection.
    public mutating func consume(_ streamID: UInt32, _ count: Int) {
        guard count > 0, failure == nil else { return }
        creditConnection(count)
        guard var stream = streams[streamID], !stream.remoteEnded else { return }
        stream.unacknowledged += count
        if stream.unacknowledged >= configuration.initialWindowSize / 2 {
            write(HTTP2Frame(streamID: streamID, payload: .windowUpdate(increment: UInt32(stream.unacknowledged))))
            stream.receiveWindow += stream.unacknowledged
            stream.unacknowledged = 0
        }
        streams[streamID] = stream
    }

    private mutating func receiveReset(_ id: UInt32, _ code: HTTP2ErrorCode) throws(HTTP2Error) {
        guard streams.removeValue(forKey: id) != nil else {
            if isIdle(id) { throw .connection(.protocolError, "RST_STREAM on idle stream \(id) (RFC 9113 §6.4)") }
            return
        }
        closedStreams.insert(id, .resetRemotely)
        events.append(.streamReset(streamID: id, code))
        if isPeerInitiated(id), !resetBudget.take(at: now) {
            throw .connection(
                .enhanceYourCalm,
                "more than \(configuration.resetBurst) streams reset at once, or over \(configuration.resetsPerSecond) a second after"
            )
        }
    }

    private mutating func receiveSettings(_ settings: [HTTP2Setting]) throws(HTTP2Error) {
        let before = peerSettings.initialWindowSize
        try peerSettings.apply(settings, fromServer: role == .client)
        // §6.9.2: a new initial window size moves every stream's window by the difference.
        let delta = peerSettings.initialWindowSize - before
        if delta != 0 {
            for (id, stream) in streams {
                guard stream.sendWindow + delta <= HTTP2Settings.maximumWindowSize else {
                    throw .connection(
                        .flowControlError,
                        "SETTINGS_INITIAL_WINDOW_SIZE takes stream \(id)'s window past 2^31-1 (RFC 9113 §6.9.2)"
                    )
                }
                streams[id]?.sendWindow += delta
            }
        }
        write(HTTP2Frame(streamID: 0, payload: .settingsAcknowledgement))
        settingsReceived = true
        events.append(.settings(peerSettings))
        flushStreams()
    }

    private mutating func receiveGoAway(_ lastStreamID: UInt32, _ code: HTTP2ErrorCode, debug: String) {
        peerLastStreamID = min(peerLastStreamID ?? lastStreamID, lastStreamID)
        events.append(.goAway(lastStreamID: lastStreamID, code, debug: debug))
        // §6.8: our streams above the last one the peer processed were not processed at all.
        for id in streams.keys.sorted() where !isPeerInitiated(id) && id > lastStreamID {
            streams[id] = nil
            closedStreams.insert(id, .resetRemotely)
            events.append(.streamReset(streamID: id, .refusedStream))
        }
    }

    private mutating func receiveWindowUpdate(_ id: UInt32, _ increment: Int) throws(HTTP2Error) {
        if id == 0 {
            guard connectionSendWindow + increment <= HTTP2Settings.maximumWindowSize else {
                throw .connection(
                    .flowControlError,
                    "a WINDOW_UPDATE takes the connection's window past 2^31-1 (RFC 9113 §6.9.1)"
                )
            }
            connectionSendWindow += increment
        } else if var stream = streams[id] {
            guard stream.sendWindow + increment <= HTTP2Settings.maximumWindowSize else {
                throw .stream(
                    id,
                    .flowControlError,
                    "a WINDOW_UPDATE takes the stream's window past 2^31-1 (RFC 9113 §6.9.1)"
                )
            }
            stream.sendWindow += increment
            streams[id] = stream
        } else if isIdle(id) {
            throw .connection(.protocolError, "WINDOW_UPDATE on idle stream \(id) (RFC 9113 §5.1)")
        }
        flushStreams()
    }
}
