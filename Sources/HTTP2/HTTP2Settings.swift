/// One parameter of a SETTINGS frame (RFC 9113 §6.5.1): a 16-bit identifier and a 32-bit value.
public struct HTTP2Setting: Hashable, Sendable {
    /// The identifier.
    public var identifier: UInt16
    /// The value.
    public var value: UInt32

    /// A parameter.
    public init(_ identifier: UInt16, _ value: UInt32) {
        self.identifier = identifier
        self.value = value
    }

    /// SETTINGS_HEADER_TABLE_SIZE (0x1).
    public static let headerTableSize: UInt16 = 0x1
    /// SETTINGS_ENABLE_PUSH (0x2).
    public static let enablePush: UInt16 = 0x2
    /// SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    public static let maxConcurrentStreams: UInt16 = 0x3
    /// SETTINGS_INITIAL_WINDOW_SIZE (0x4).
    public static let initialWindowSize: UInt16 = 0x4
    /// SETTINGS_MAX_FRAME_SIZE (0x5).
    public static let maxFrameSize: UInt16 = 0x5
    /// SETTINGS_MAX_HEADER_LIST_SIZE (0x6).
    public static let maxHeaderListSize: UInt16 = 0x6
}

/// The six parameters of RFC 9113 §6.5.2 as one endpoint has set them, starting from the RFC's
/// initial values.
public struct HTTP2Settings: Hashable, Sendable {
    /// The largest dynamic table the sender's decoder allows (4,096).
    public var headerTableSize = 4_096
    /// Whether server push is allowed (true until a client says otherwise).
    public var enablePush = true
    /// How many streams the sender lets its peer open at once (unlimited).
    public var maxConcurrentStreams = Int(UInt32.max)
    /// Each new stream's flow-control window for what the sender receives (65,535).
    public var initialWindowSize = 65_535
    /// The largest frame payload the sender accepts (16,384).
    public var maxFrameSize = 16_384
    /// The largest field section the sender accepts (unlimited).
    public var maxHeaderListSize = Int(UInt32.max)

    /// The RFC's initial values.
    public init() {}

    /// The largest flow-control window (§6.9.1): 2^31-1.
    public static let maximumWindowSize = Int(Int32.max)
    /// The smallest and largest SETTINGS_MAX_FRAME_SIZE (§6.5.2).
    public static let frameSizeRange = 16_384...16_777_215

    /// Applies what a SETTINGS frame says, in order (§6.5.3), refusing values the RFC forbids.
    /// `fromServer` tells whether SETTINGS_ENABLE_PUSH may only be 0. Unknown identifiers are
    /// ignored (§6.5.2).
    public mutating func apply(_ settings: [HTTP2Setting], fromServer: Bool) throws(HTTP2Error) {
        for setting in settings {
            let value = Int(setting.value)
            switch setting.identifier {
            case HTTP2Setting.headerTableSize:
                headerTableSize = value
            case HTTP2Setting.enablePush:
                guard value <= 1, !(fromServer && value == 1) else {
                    throw .connection(
                        .protocolError,
                        "SETTINGS_ENABLE_PUSH of \(value) (RFC 9113 §6.5.2: 0 or 1, and only 0 from a server)"
                    )
                }
                enablePush = value == 1
            case HTTP2Setting.maxConcurrentStreams:
                maxConcurrentStreams = value
            case HTTP2Setting.initialWindowSize:
                guard value <= Self.maximumWindowSize else {
                    throw .connection(
                        .flowControlError,
                        "SETTINGS_INITIAL_WINDOW_SIZE of \(value) is over 2^31-1 (RFC 9113 §6.5.2)"
                    )
                }
                initialWindowSize = value
            case HTTP2Setting.maxFrameSize:
                guard Self.frameSizeRange.contains(value) else {
                    throw .connection(
                        .protocolError,
                        "SETTINGS_MAX_FRAME_SIZE of \(value) is outside 16,384...16,777,215 (RFC 9113 §6.5.2)"
                    )
                }
                maxFrameSize = value
            case HTTP2Setting.maxHeaderListSize:
                maxHeaderListSize = value
            default:
                continue
            }
        }
    }

    /// The parameters that differ from the RFC's initial values, to announce them.
    public var changes: [HTTP2Setting] {
        let initial = HTTP2Settings()
        var list: [HTTP2Setting] = []
        func add(_ identifier: UInt16, _ value: Int, _ initialValue: Int) {
            if value != initialValue { list.append(HTTP2Setting(identifier, UInt32(clamping: value))) }
        }
        add(HTTP2Setting.headerTableSize, headerTableSize, initial.headerTableSize)
        add(HTTP2Setting.enablePush, enablePush ? 1 : 0, initial.enablePush ? 1 : 0)
        add(HTTP2Setting.maxConcurrentStreams, maxConcurrentStreams, initial.maxConcurrentStreams)
        add(HTTP2Setting.initialWindowSize, initialWindowSize, initial.initialWindowSize)
        add(HTTP2Setting.maxFrameSize, maxFrameSize, initial.maxFrameSize)
        add(HTTP2Setting.maxHeaderListSize, maxHeaderListSize, initial.maxHeaderListSize)
        return list
    }
}
