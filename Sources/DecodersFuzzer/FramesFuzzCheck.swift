import AgentProtocol
import Protobuf

/// What the frames fuzzer checks, beyond "does not crash or leak": the agent's readers of the
/// local socket protocol (FrameDecoder, Frame, DeviceList).
/// 1. The input as a byte stream: the frame decoder gives the same frames and the same error
///    whole and byte by byte.
/// 2. The input as one frame's body: what decodes re-encodes to a frame that decodes the same.
/// 3. The input as a `DiscoverResponse` applied to a list (the agent's path for every list): an
///    input that does not decode changes nothing; one that does agrees with decoding it whole,
///    and applying the same whole list again changes nothing.
enum FramesFuzzCheck {
    static func check(_ bytes: [UInt8]) {
        precondition(
            frames(bytes, chunk: max(bytes.count, 1)) == frames(bytes, chunk: 1),
            "whole and byte by byte differ"
        )

        if let frame = try? Frame(serialized: bytes[...]) {
            let again = try? Frame(serialized: frame.serialized[...])
            precondition(again == frame, "a frame did not survive encode and decode: \(frame)")
        }

        var list = DeviceList()
        let seed = DiscoverResponse(devices: [
            .init(id: "a", properties: ["P": "1"]), .init(id: "b"),
        ])
        _ = try? list.apply(serializedResponse: seed.serialized[...])
        let before = list.devices
        guard let change = try? list.apply(serializedResponse: bytes[...]) else {
            precondition(list.devices == before, "a response that does not decode changed the list")
            return
        }
        let decoded = try? DiscoverResponse(serialized: bytes[...])
        precondition(decoded != nil, "the list took a response that does not decode whole")
        guard let response = decoded else { return }
        for device in change.upserted where !change.removed.contains(device.id) {
            precondition(list[device.id] == device, "an upserted device is not listed")
        }
        for id in change.removed { precondition(list[id] == nil, "a removed device is still listed") }
        if !response.changes && !response.more {
            // A whole list: the list is now its devices, the first of each id.
            var expected: [String: DiscoverResponse.Device] = [:]
            for device in response.devices where expected[device.id] == nil { expected[device.id] = device }
            precondition(list.devices == expected, "a whole list is not what the list holds")
            let again = try? list.apply(serializedResponse: bytes[...])
            precondition(again?.isEmpty == true, "the same whole list twice changed something")
        }
    }

    /// What the decoder gave: a frame, or the error that stopped it. Compared as values: a
    /// frame's text is no good (its maps print in any order).
    enum Outcome: Equatable {
        case frame(Frame)
        case error(String)
    }

    /// The frames of `bytes` fed `chunk` bytes at a time, then the error that stopped them.
    static func frames(_ bytes: [UInt8], chunk: Int) -> [Outcome] {
        var decoder = FrameDecoder(maximumFrameSize: 1 << 16)
        var out: [Outcome] = []
        var index = 0
        while index < bytes.count {
            decoder.append(bytes[index..<min(index + chunk, bytes.count)])
            index += chunk
            do {
                while let frame = try decoder.next() { out.append(.frame(frame)) }
            } catch {
                out.append(.error("\(error)"))
                return out
            }
        }
        return out
    }
}
