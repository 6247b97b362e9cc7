public import Protobuf

/// One Discover stream's current device list, kept so that each new full list (Akri sends the
/// whole list on every change) costs work in proportion to what changed, not to its length.
///
/// Each device is kept as its serialized bytes only, the one form it needs for both jobs: to
/// recognise an unchanged device in a new list (same id, same bytes: not decoded again) and to
/// give the device back (``subscript(_:)`` decodes it; ``bytes(id:)`` shares the buffer). The
/// decoded form of a new or changed device goes to the caller in the ``Change``. A list of a
/// million devices costs its bytes and two small entries per device.
///
/// A handler that was asked for changes (``DiscoverRequest/acceptsChanges``) sends them instead
/// of lists after the first, and may send a list in pieces (``DiscoverResponse/more``): each
/// piece's devices take effect as it arrives, and the devices no piece named go with the last.
///
/// Within one list (or one change) the first device with an id counts; later ones with the same id
/// are ignored. A change's removals apply after its devices.
public struct DeviceList: Sendable {
    /// One listed device: one per id.
    private struct Slot {
        var id: String
        /// Its serialized `v0.Device`, an own copy: a list never keeps a frame's buffer alive.
        var bytes: [UInt8]
        /// The last list that named it.
        var generation: UInt64
    }

    private var slots: [Slot] = []
    private var byID: [String: Int] = [:]
    private var generation: UInt64 = 0
    /// A list in pieces has begun and its last piece has not come.
    private var listing = false

    /// What one new list changed.
    public struct Change: Hashable, Sendable {
        /// Devices that are new or whose fields changed.
        public var upserted: [DiscoverResponse.Device] = []
        /// Ids no longer listed.
        public var removed: [String] = []
        /// Why some of the removed went, as the handler said (``DiscoverResponse/Removal``).
        public var reasons: [String: String] = [:]

        /// Whether nothing changed.
        public var isEmpty: Bool { upserted.isEmpty && removed.isEmpty }

        /// A change.
        public init(upserted: [DiscoverResponse.Device] = [], removed: [String] = [], reasons: [String: String] = [:]) {
            self.upserted = upserted
            self.removed = removed
            self.reasons = reasons
        }
    }

    /// An empty list.
    public init() {}

    /// How many devices are listed.
    public var count: Int { slots.count }

    /// Whether a whole list has arrived and none is half-way through its pieces.
    public var isComplete: Bool { generation > 0 && !listing }

    /// The device listed with `id`, decoded from its bytes.
    public subscript(id: String) -> DiscoverResponse.Device? {
        byID[id].flatMap { try? DiscoverResponse.Device(serialized: slots[$0].bytes[...]) }
    }

    /// The serialized `v0.Device` listed with `id`: the list's own buffer, shared, not copied.
    public func bytes(id: String) -> [UInt8]? {
        byID[id].map { slots[$0].bytes }
    }

    /// The devices by id, decoded.
    public var devices: [String: DiscoverResponse.Device] {
        var devices: [String: DiscoverResponse.Device] = [:]
        for slot in slots { devices[slot.id] = try? DiscoverResponse.Device(serialized: slot.bytes[...]) }
        return devices
    }

    /// The ids listed.
    public var ids: some Collection<String> { byID.keys }

    /// Applies `response`, a serialized `v0.DiscoverResponse`: a whole list replaces the list, a
    /// piece of one or a change updates it. On an error the list is left as it was.
    public mutating func apply(serializedResponse response: ArraySlice<UInt8>) throws(ProtobufError) -> Change {
        // Read everything first, so a response that does not decode changes nothing.
        enum Entry {
            case known(Int)
            case decoded(DiscoverResponse.Device, ArraySlice<UInt8>)
        }
        var entries: [Entry] = []
        var removals: [DiscoverResponse.Removal] = []
        var changes = false
        var more = false
        var reader = ProtobufReader(response)
        while let field = try reader.next() {
            switch field.number {
            case 1:
                try reader.expect(field, .lengthDelimited)
                let bytes = try reader.lengthDelimited()
                if let slot = byID[try Self.id(in: bytes)], Bytes.equal(slots[slot].bytes, bytes) {
                    entries.append(.known(slot))
                } else {
                    entries.append(.decoded(try DiscoverResponse.Device(serialized: bytes), bytes))
                }
            case 100: changes = try reader.varint(field) != 0
            case 101: removals.append(try reader.message(field))
            case 102: more = try reader.varint(field) != 0
            default: try reader.skip(field)
            }
        }
        if !changes && !listing { generation &+= 1 }
        var change = Change()
        // Within one change too the first device with an id counts (a list's generation does
        // that for lists).
        var named: Set<String> = []
        for entry in entries {
            if changes {
                let id: String
                switch entry {
                case .known(let slot): id = slots[slot].id
                case .decoded(let device, _): id = device.id
                }
                guard named.insert(id).inserted else { continue }
            }
            switch entry {
            case .known(let slot):
                // The same bytes as before: the same device, unchanged (unless an earlier entry of
                // this list took its id).
                slots[slot].generation = generation
            case .decoded(let device, let bytes):
                if let slot = byID[device.id] {
                    guard changes || slots[slot].generation != generation else { continue }
                    slots[slot].bytes = Array(bytes)
                    slots[slot].generation = generation
                    change.upserted.append(device)
                } else {
                    byID[device.id] = slots.count
                    slots.append(Slot(id: device.id, bytes: Array(bytes), generation: generation))
                    change.upserted.append(device)
                }
            }
        }
        if changes {
            for removal in removals {
                guard let slot = byID[removal.id] else { continue }
                remove(slot)
                change.removed.append(removal.id)
                if !removal.reason.isEmpty { change.reasons[removal.id] = removal.reason }
            }
        } else {
            listing = more
            if !more { removeUnlisted(into: &change) }
        }
        return change
    }

    /// Replaces the list with decoded devices.
    public mutating func replace(devices list: [DiscoverResponse.Device]) -> Change {
        generation &+= 1
        var change = Change()
        for device in list {
            let bytes = device.serialized
            if let slot = byID[device.id] {
                guard slots[slot].generation != generation else { continue }
                slots[slot].generation = generation
                guard slots[slot].bytes != bytes else { continue }
                slots[slot].bytes = bytes
            } else {
                byID[device.id] = slots.count
                slots.append(Slot(id: device.id, bytes: bytes, generation: generation))
            }
            change.upserted.append(device)
        }
        removeUnlisted(into: &change)
        return change
    }

    /// Drops the devices the current list did not name, swapping the last slot into each hole.
    private mutating func removeUnlisted(into change: inout Change) {
        var index = 0
        while index < slots.count {
            guard slots[index].generation != generation else {
                index += 1
                continue
            }
            change.removed.append(slots[index].id)
            remove(index)
        }
    }

    /// Drops one slot, swapping the last slot into its place.
    private mutating func remove(_ index: Int) {
        byID[slots[index].id] = nil
        let last = slots.removeLast()
        if index < slots.count {
            slots[index] = last
            byID[last.id] = index
        }
    }

    /// The id of a serialized `v0.Device`: its field 1 (the last, if repeated, as protobuf reads
    /// it), without decoding the rest.
    private static func id(in device: ArraySlice<UInt8>) throws(ProtobufError) -> String {
        var reader = ProtobufReader(device)
        var id = ""
        while let field = try reader.next() {
            guard field.number == 1 else {
                try reader.skip(field)
                continue
            }
            try reader.expect(field, .lengthDelimited)
            id = try reader.string()
        }
        return id
    }
}

/// Byte buffers compared eight bytes at a time.
enum Bytes {
    /// Whether `a` and `b` hold the same bytes.
    static func equal(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in
                var offset = 0
                while offset + 8 <= a.count {
                    if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                        != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    {
                        return false
                    }
                    offset += 8
                }
                while offset < a.count {
                    if a[offset] != b[offset] { return false }
                    offset += 1
                }
                return true
            }
        }
    }
}
