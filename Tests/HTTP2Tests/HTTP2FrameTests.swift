import HPACK
import Testing

@testable import HTTP2

@Suite("HTTP/2 frames (RFC 9113 §4, §6)")
struct HTTP2FrameTests {
    func read(_ bytes: [UInt8], maximumFrameSize: Int = 16_384) throws(HTTP2Error) -> HTTP2Frame? {
        var reader = HTTP2FrameReader(maximumFrameSize: maximumFrameSize)
        reader.append(bytes)
        return try reader.next()
    }

    func error(_ bytes: [UInt8]) -> HTTP2Error? {
        do {
            _ = try read(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("Every frame type encodes and decodes back the same, one octet at a time too")
    func roundTrip() throws {
        let frames: [HTTP2Frame] = [
            HTTP2Frame(streamID: 1, payload: .data([1, 2, 3], endStream: true)),
            HTTP2Frame(streamID: 3, payload: .data([9], endStream: false, padding: 4)),
            HTTP2Frame(streamID: 5, payload: .headers([0x82], endStream: false, endHeaders: true)),
            HTTP2Frame(
                streamID: 7,
                payload: .headers(
                    [0x82, 0x86],
                    endStream: true,
                    endHeaders: false,
                    priority: .init(exclusive: true, dependency: 3, weight: 200)
                )
            ),
            HTTP2Frame(streamID: 9, payload: .priority(.init(exclusive: false, dependency: 1, weight: 15))),
            HTTP2Frame(streamID: 11, payload: .rstStream(.cancel)),
            HTTP2Frame(streamID: 0, payload: .settings([HTTP2Setting(4, 1 << 20), HTTP2Setting(0xFF, 1)])),
            HTTP2Frame(streamID: 0, payload: .settingsAcknowledgement),
            HTTP2Frame(streamID: 2, payload: .pushPromise(promisedStreamID: 4, [0x82], endHeaders: true)),
            HTTP2Frame(streamID: 0, payload: .ping(0x0102_0304_0506_0708, ack: true)),
            HTTP2Frame(
                streamID: 0,
                payload: .goAway(lastStreamID: 13, .enhanceYourCalm, debugData: Array("calm".utf8)[...])
            ),
            HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: 65_535)),
            HTTP2Frame(streamID: 7, payload: .continuation([0x84], endHeaders: true)),
            HTTP2Frame(streamID: 1, payload: .unknown(type: 0x3F, flags: 0xFF, payload: [1, 2])),
        ]
        var whole = HTTP2FrameReader()
        var trickle = HTTP2FrameReader()
        var fromWhole: [HTTP2Frame] = []
        var fromTrickle: [HTTP2Frame] = []
        for frame in frames {
            whole.append(frame.encoded)
            for octet in frame.encoded {
                trickle.append([octet])
                while let next = try trickle.next() { fromTrickle.append(next) }
            }
        }
        while let next = try whole.next() { fromWhole.append(next) }
        #expect(fromWhole == frames)
        #expect(fromTrickle == frames)
    }

    @Test("The frame header's fields sit where §4.1 puts them")
    func headerLayout() {
        let bytes = HTTP2Frame(streamID: 0x1234_5678, payload: .rstStream(.refusedStream)).encoded
        #expect(bytes == [0, 0, 4, 3, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 7])
        #expect(HTTP2Frame(streamID: 0, payload: .settingsAcknowledgement).encoded == [0, 0, 0, 4, 1, 0, 0, 0, 0])
    }

    @Test("A frame over SETTINGS_MAX_FRAME_SIZE is refused from its header alone (§4.2)")
    func oversize() {
        let header: [UInt8] = [0x00, 0x40, 0x01, 0x00, 0x00, 0, 0, 0, 1]
        #expect(error(header)?.code == .frameSizeError)
        #expect(error(header)?.streamID == nil)
    }

    @Test("Each frame type's fixed rules: stream 0 or not, sizes, padding, increments")
    func rules() {
        // DATA on stream 0 (§6.1), SETTINGS on stream 1 (§6.5), PING on stream 1 (§6.7).
        #expect(error([0, 0, 1, 0, 0, 0, 0, 0, 0, 7])?.code == .protocolError)
        #expect(error([0, 0, 0, 4, 0, 0, 0, 0, 1])?.code == .protocolError)
        #expect(error([0, 0, 8, 6, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 8))?.code == .protocolError)
        // SETTINGS of 5 octets, an acknowledgement with a payload, PING of 4 (FRAME_SIZE_ERROR).
        #expect(error([0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])?.code == .frameSizeError)
        #expect(error([0, 0, 6, 4, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])?.code == .frameSizeError)
        #expect(error([0, 0, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0])?.code == .frameSizeError)
        // Padding as long as the payload (§6.1).
        #expect(error([0, 0, 2, 0, 0x8, 0, 0, 0, 1, 2, 0])?.code == .protocolError)
        // WINDOW_UPDATE of 0: on the connection a connection error, on a stream a stream error.
        #expect(
            error([0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0])
                == .connection(.protocolError, "a WINDOW_UPDATE of 0 (RFC 9113 §6.9)")
        )
        #expect(error([0, 0, 4, 8, 0, 0, 0, 0, 3, 0, 0, 0, 0])?.streamID == 3)
        // PRIORITY on itself is a stream error (§5.3.1).
        #expect(error([0, 0, 5, 2, 0, 0, 0, 0, 3, 0, 0, 0, 3, 16])?.streamID == 3)
    }

    @Test("SETTINGS values the RFC forbids (§6.5.2)")
    func settingsValues() {
        var settings = HTTP2Settings()
        #expect(throws: HTTP2Error.self) {
            try settings.apply([HTTP2Setting(HTTP2Setting.enablePush, 2)], fromServer: false)
        }
        #expect(throws: HTTP2Error.self) {
            try settings.apply([HTTP2Setting(HTTP2Setting.enablePush, 1)], fromServer: true)
        }
        #expect(throws: HTTP2Error.self) {
            try settings.apply([HTTP2Setting(HTTP2Setting.maxFrameSize, 16_383)], fromServer: false)
        }
        do {
            try settings.apply([HTTP2Setting(HTTP2Setting.initialWindowSize, 1 << 31)], fromServer: false)
            Issue.record("a window of 2^31 was accepted")
        } catch {
            #expect(error.code == .flowControlError)
        }
    }
}
