/// What one Discover stream owes its agent, as the responses to send: the handler's side of
/// ``DeviceList``. Pure: the handler tells it of devices added, updated and removed, and asks for
/// the next response whenever the agent can take one.
///
/// For Akri's agent each response is the whole list (Akri's semantics). For an agent that asked
/// for changes (``DiscoverRequest/acceptsChanges``) the first response is the whole list in
/// pieces of at most ``pieceLimit`` octets (``DiscoverResponse/more``), then each response is
/// what changed since the one before (``DiscoverResponse/changes``), removals with their reason.
/// Changes that pile up while the agent is slow are coalesced: a device updated five times is
/// sent once, one added and removed again is sent as removed. Only whole lists need every device
/// kept here; changes keep only what is waiting to go, so a feed of a million devices costs
/// nothing per device once the agent has them.
public struct DiscoverFeed: Sendable {
    /// The next thing to send.
    public enum Response: Hashable, Sendable {
        /// One `v0.DiscoverResponse`: serialized `v0.Device`s, then `extensions`, its fields
        /// 100–102 (empty for Akri's agent).
        case send(devices: [[UInt8]], extensions: [UInt8])
        /// The whole list is `length` octets, over the agent's limit: nothing can be sent until
        /// the list shrinks (Akri's agent, which takes whole lists only).
        case overLimit(length: Int)
    }

    private enum Pending: Hashable, Sendable {
        case upserted([UInt8])
        case removed(reason: String)
    }

    /// Whether the agent reads changes.
    public let sendsChanges: Bool
    /// The most octets of devices and removals one piece carries (a device larger than that
    /// goes alone).
    public let pieceLimit: Int
    /// For whole lists: every present device, serialized as a `v0.Device`, by id, so a change
    /// re-encodes only the devices it touched.
    private var devices: [String: [UInt8]] = [:]
    /// With changes: what happened to each device since the last response (before the first
    /// list: the devices it will hold).
    private var pending: [String: Pending] = [:]
    /// With changes: the devices of the first list still to go.
    private var listing: [[UInt8]]?
    /// Something changed since the last response (and the first list is owed from the start).
    private var owed = true
    /// Whether the first list has begun.
    private var started = false

    /// A feed; `sendsChanges` as the agent asked, pieces of at most `pieceLimit` octets.
    public init(sendsChanges: Bool, pieceLimit: Int = 1 << 20) {
        self.sendsChanges = sendsChanges
        self.pieceLimit = pieceLimit
    }

    /// Whether anything is owed to the agent.
    public var isOwed: Bool { owed || listing != nil }

    /// A device appeared or changed: `bytes` is its serialized `v0.Device`.
    public mutating func upsert(id: String, bytes: [UInt8]) {
        if sendsChanges { pending[id] = .upserted(bytes) } else { devices[id] = bytes }
        owed = true
    }

    /// A device went; `reason` says why (``DiscoverResponse/Removal/reason``).
    public mutating func remove(id: String, reason: String) {
        if sendsChanges {
            // Before the first list nobody has heard of it.
            pending[id] = started ? .removed(reason: reason) : nil
        } else {
            guard devices.removeValue(forKey: id) != nil else { return }
        }
        owed = true
    }

    /// The next response, or nil when nothing is owed. `limit` is the most octets the agent
    /// takes in one response (nil: no limit but the piece limit).
    public mutating func next(limit: Int?) -> Response? {
        guard isOwed else { return nil }
        guard sendsChanges else {
            let list = Array(devices.values)
            let length = DiscoverResponse.serializedLength(devices: list)
            if let limit, length > limit { return .overLimit(length: length) }
            owed = false
            started = true
            return .send(devices: list, extensions: [])
        }
        if listing == nil {
            if !started {
                started = true
                listing = pending.values.compactMap { if case .upserted(let bytes) = $0 { bytes } else { nil } }
                pending = [:]
            } else if pending.isEmpty {
                owed = false
                return nil
            }
        }
        let pieceLimit = min(pieceLimit, limit ?? .max)
        return listing != nil ? nextListPiece(pieceLimit) : nextChange(pieceLimit)
    }

    /// The next piece of the first list, up to the piece limit. What changes meanwhile is
    /// pending, and goes after the list.
    private mutating func nextListPiece(_ pieceLimit: Int) -> Response {
        var remaining = listing ?? []
        var piece: [[UInt8]] = []
        var size = 0
        while let bytes = remaining.last {
            let length = DiscoverResponse.serializedLength(device: bytes)
            if !piece.isEmpty && size + length > pieceLimit { break }
            piece.append(bytes)
            size += length
            remaining.removeLast()
        }
        let more = !remaining.isEmpty
        listing = more ? remaining : nil
        if !more && pending.isEmpty { owed = false }
        return .send(devices: piece, extensions: DiscoverResponse.extensions(changes: false, removed: [], more: more))
    }

    /// A change: pending removals and devices up to the piece limit; the rest stay pending.
    private mutating func nextChange(_ pieceLimit: Int) -> Response {
        let changes = pending
        pending = [:]
        var piece: [[UInt8]] = []
        var removals: [DiscoverResponse.Removal] = []
        var size = 0
        var index = changes.startIndex
        collect: while index != changes.endIndex {
            let (id, what) = changes[index]
            switch what {
            case .upserted(let bytes):
                let length = DiscoverResponse.serializedLength(device: bytes)
                if size > 0 && size + length > pieceLimit { break collect }
                piece.append(bytes)
                size += length
            case .removed(let reason):
                let removal = DiscoverResponse.Removal(id: id, reason: reason)
                let length = removal.serializedLength
                if size > 0 && size + length > pieceLimit { break collect }
                removals.append(removal)
                size += length
            }
            changes.formIndex(after: &index)
        }
        while index != changes.endIndex {
            pending[changes[index].key] = changes[index].value
            changes.formIndex(after: &index)
        }
        if pending.isEmpty { owed = false }
        return .send(
            devices: piece,
            extensions: DiscoverResponse.extensions(changes: true, removed: removals, more: false)
        )
    }
}

extension DiscoverResponse.Removal {
    /// What the removal adds to a `v0.DiscoverResponse`: its tag, length and fields.
    var serializedLength: Int {
        let body = serialized.count
        return 2 + Varint.size(body) + body
    }
}
