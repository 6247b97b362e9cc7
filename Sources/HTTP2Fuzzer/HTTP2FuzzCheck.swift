import HPACK
import HTTP2

/// What the HTTP/2 fuzzer checks for each input, beyond "does not crash or leak":
/// 1. the frame reader cuts the input into the same frames and errors whole and one octet at a
///    time, and every frame read re-encodes to octets that read back as the same frame;
/// 2. the input as one header block: if it decodes, our encoding of the fields decodes to the same
///    fields; and the decoder's table never passes its limit;
/// 3. a server connection fed the preface and the input, whole and one octet at a time, gives the
///    same events and the same output.
/// A violation stops the process with a message, which libFuzzer reports as a crash.
enum HTTP2FuzzCheck {
    enum Outcome: Equatable {
        case frame(HTTP2Frame)
        case error(HTTP2Error)
    }

    static func check(_ bytes: [UInt8]) {
        let whole = frames([bytes])
        precondition(whole == frames(bytes.map { [$0] }), "split input read as different frames")
        for case .frame(let frame) in whole { roundTrip(frame) }
        headerBlock(bytes)
        connection(bytes)
    }

    static func frames(_ chunks: [[UInt8]]) -> [Outcome] {
        var reader = HTTP2FrameReader(maximumFrameSize: 1 << 16)
        var outcomes: [Outcome] = []
        for chunk in chunks {
            reader.append(chunk)
            while true {
                do {
                    guard let frame = try reader.next() else { break }
                    outcomes.append(.frame(frame))
                } catch {
                    outcomes.append(.error(error))
                    // A connection error leaves the stream out of step; a stream error does not.
                    if error.streamID == nil { return outcomes }
                }
            }
        }
        return outcomes
    }

    static func roundTrip(_ frame: HTTP2Frame) {
        var reader = HTTP2FrameReader(maximumFrameSize: 1 << 24)
        reader.append(frame.encoded)
        do {
            let again = try reader.next()
            precondition(again == frame, "round trip changed the frame:\n\(frame)\n\(String(describing: again))")
        } catch {
            preconditionFailure("a frame read does not read back: \(error)\n\(frame)")
        }
    }

    static func headerBlock(_ bytes: [UInt8]) {
        var decoder = HPACKDecoder(maximumTableSize: 4_096, maximumHeaderListSize: 1 << 16)
        guard let fields = try? decoder.decode(bytes[...]) else { return }
        precondition(decoder.dynamicTableSize <= 4_096, "the dynamic table passed its limit")
        var fresh = HPACKDecoder(maximumTableSize: 4_096, maximumHeaderListSize: 1 << 16)
        do {
            let again = try fresh.decode(HPACKEncoder().encode(fields)[...])
            precondition(again == fields, "our encoding of decoded fields decodes differently")
        } catch {
            preconditionFailure("our encoding of decoded fields does not decode: \(error)")
        }
    }

    static func connection(_ bytes: [UInt8]) {
        let input = HTTP2Connection.clientPreface + HTTP2Frame(streamID: 0, payload: .settings([])).encoded + bytes
        var whole = HTTP2Connection(role: .server)
        var wholeEvents = whole.receive(input)
        var wholeOutput = whole.takeOutput()
        var split = HTTP2Connection(role: .server)
        var splitEvents: [HTTP2Event] = []
        var splitOutput = split.takeOutput()
        for octet in input {
            splitEvents += split.receive([octet])
            splitOutput += split.takeOutput()
        }
        // Consuming everything delivered must not break anything either.
        for case .data(let id, let data, _) in wholeEvents { whole.consume(id, data.count) }
        wholeEvents += whole.takeEvents()
        wholeOutput += whole.takeOutput()
        for case .data(let id, let data, _) in splitEvents { split.consume(id, data.count) }
        splitEvents += split.takeEvents()
        splitOutput += split.takeOutput()
        precondition(wholeEvents == splitEvents, "split input gave different events")
        precondition(wholeOutput == splitOutput, "split input gave different output")
    }
}
