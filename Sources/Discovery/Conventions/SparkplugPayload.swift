import Protobuf

/// The parts of a Sparkplug B payload (`org.eclipse.tahu.protobuf.Payload`, Sparkplug 3.0 §6.4)
/// that liveness needs: the timestamp, the sequence number, and each metric's name, alias,
/// datatype and integer value. Everything else (floats, strings, datasets, templates, metadata,
/// extensions) is skipped by its wire type, as protobuf requires.
struct SparkplugPayload: Sendable, Equatable {
    struct Metric: Sendable, Equatable {
        var name: String?
        var alias: UInt64?
        var datatype: UInt32?
        /// `int_value` (field 10) or `long_value` (field 11), as sent.
        var integer: UInt64?
    }

    /// Payload field 1: milliseconds since the epoch, UTC.
    var timestamp: UInt64?
    /// Payload field 3. Optional in proto2: absent is not zero.
    var seq: UInt64?
    /// Payload field 2.
    var metrics: [Metric] = []

    init(timestamp: UInt64? = nil, seq: UInt64? = nil, metrics: [Metric] = []) {
        self.timestamp = timestamp
        self.seq = seq
        self.metrics = metrics
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch field.number {
            case 1:
                try reader.expect(field, .varint)
                timestamp = try reader.varint()
            case 2:
                try reader.expect(field, .lengthDelimited)
                var inner = try reader.message()
                metrics.append(try Self.metric(&inner))
            case 3:
                try reader.expect(field, .varint)
                seq = try reader.varint()
            default:
                try reader.skip(field)
            }
        }
    }

    private static func metric(_ reader: inout ProtobufReader) throws(ProtobufError) -> Metric {
        var metric = Metric()
        while let field = try reader.next() {
            switch field.number {
            case 1:
                try reader.expect(field, .lengthDelimited)
                metric.name = try reader.string()
            case 2:
                try reader.expect(field, .varint)
                metric.alias = try reader.varint()
            case 4:
                try reader.expect(field, .varint)
                metric.datatype = UInt32(truncatingIfNeeded: try reader.varint())
            case 10, 11:
                try reader.expect(field, .varint)
                metric.integer = try reader.varint()
            default:
                try reader.skip(field)
            }
        }
        return metric
    }

    /// The integer value of the metric called `name`, read the way Tahu's decoder reads it:
    /// masked to the datatype's width and sign-extended for signed types, whichever of `int_value`
    /// or `long_value` carried it (encoders disagree on both; eclipse-tahu/tahu#71,
    /// eclipse-sparkplug/sparkplug#102).
    func integer(named name: String) -> Int64? {
        guard let metric = metrics.last(where: { $0.name == name }), let raw = metric.integer else { return nil }
        switch metric.datatype {
        case 1: return Int64(Int8(truncatingIfNeeded: raw))
        case 2: return Int64(Int16(truncatingIfNeeded: raw))
        case 3: return Int64(Int32(truncatingIfNeeded: raw))
        case 5: return Int64(UInt8(truncatingIfNeeded: raw))
        case 6: return Int64(UInt16(truncatingIfNeeded: raw))
        case 7: return Int64(UInt32(truncatingIfNeeded: raw))
        default: return Int64(bitPattern: raw)
        }
    }
}
