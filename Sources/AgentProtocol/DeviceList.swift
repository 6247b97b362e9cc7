public import Protobuf

/// One Discover stream's current device list, kept so that each new full list (Akri sends the
/// whole list on every change) costs work in proportion to what changed, not to its length.
///
/// Each device is remembered with its serialized bytes. A new list is read from its wire form:
/// a device whose bytes are the same as before is recognised by a hash of the bytes and a
/// comparison, without decoding it again; only new or changed devices are decoded. The result is
/// the change: the devices added or changed, and the ids that went.
///
/// A handler that was asked for changes (``DiscoverRequest/acceptsChanges``) sends them instead
/// of lists after the first, and may send a list in pieces (``DiscoverResponse/more``): each
/// piece's devices take effect as it arrives, and the devices no piece named go with the last.
///
/// Within one list the first device with an id counts; later ones with the same id are ignored.
public struct DeviceList: Sendable {
    /// One listed device: one per id.
    private struct Slot {
        var device: DiscoverResponse.Device
        /// Its bytes, an own copy: a list never keeps a frame's buffer alive.
        var encoding: SerializedDevice
        /// The last list that named it.
        var generation: UInt64
    }

    private var slots: [Slot] = []
    private var byID: [String: Int] = [:]
    private var byEncoding: [SerializedDevice: Int] = [:]
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

    /// The device listed with `id`.
    public subscript(id: String) -> DiscoverResponse.Device? {
        byID[id].map { slots[$0].device }
    }

    /// The devices by id.
    public var devices: [String: DiscoverResponse.Device] {
        Dictionary(uniqueKeysWithValues: slots.map { ($0.device.id, $0.device) })
    }

    /// The ids listed.
    public var ids: some Collection<String> { byID.keys }

    /// Applies `response`, a serialized `v0.DiscoverResponse`: a whole list replaces the list, a
    /// piece of one or a change updates it. On an error the list is left as it was.
    public mutating func apply(serializedResponse response: ArraySlice<UInt8>) throws(ProtobufError) -> Change {
        // Read everything first, so a response that does not decode changes nothing.
        enum Entry {
            case known(Int)
            case decoded(DiscoverResponse.Device, SerializedDevice)
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
                let key = SerializedDevice(bytes)
                if let slot = byEncoding[key] {
                    entries.append(.known(slot))
                } else {
                    entries.append(.decoded(try DiscoverResponse.Device(serialized: bytes), key))
                }
            case 100: changes = try reader.varint(field) != 0
            case 101: removals.append(try reader.message(field))
            case 102: more = try reader.varint(field) != 0
            default: try reader.skip(field)
            }
        }
        if !changes && !listing { generation &+= 1 }
        var change = Change()
        for entry in entries {
            switch entry {
            case .known(let slot):
                // The same bytes as before: the same device, unchanged (unless an earlier entry of
                // this list took its id).
                slots[slot].generation = generation
            case .decoded(let device, let key):
                if let slot = byID[device.id] {
                    guard changes || slots[slot].generation != generation else { continue }
                    byEncoding[slots[slot].encoding] = nil
                    let owned = key.owned()
                    slots[slot] = Slot(device: device, encoding: owned, generation: generation)
                    byEncoding[owned] = slot
                    change.upserted.append(device)
                } else {
                    let owned = key.owned()
                    byID[device.id] = slots.count
                    byEncoding[owned] = slots.count
                    slots.append(Slot(device: device, encoding: owned, generation: generation))
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
            if let slot = byID[device.id] {
                guard slots[slot].generation != generation else { continue }
                slots[slot].generation = generation
                guard slots[slot].device != device else { continue }
                byEncoding[slots[slot].encoding] = nil
                let encoding = SerializedDevice(device.serialized[...])
                slots[slot].device = device
                slots[slot].encoding = encoding
                byEncoding[encoding] = slot
            } else {
                let encoding = SerializedDevice(device.serialized[...])
                byID[device.id] = slots.count
                byEncoding[encoding] = slots.count
                slots.append(Slot(device: device, encoding: encoding, generation: generation))
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
            change.removed.append(slots[index].device.id)
            remove(index)
        }
    }

    /// Drops one slot, swapping the last slot into its place.
    private mutating func remove(_ index: Int) {
        let gone = slots[index]
        byID[gone.device.id] = nil
        byEncoding[gone.encoding] = nil
        let last = slots.removeLast()
        if index < slots.count {
            slots[index] = last
            byID[last.device.id] = index
            byEncoding[last.encoding] = index
        }
    }
}

/// A device's serialized bytes as a dictionary key: hashed once, compared byte for byte.
struct SerializedDevice: Hashable, Sendable {
    let bytes: ArraySlice<UInt8>
    let digest: UInt64

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.digest = Self.digest(of: bytes)
    }

    private init(bytes: ArraySlice<UInt8>, digest: UInt64) {
        self.bytes = bytes
        self.digest = digest
    }

    /// The same key over its own copy of the bytes.
    func owned() -> SerializedDevice {
        SerializedDevice(bytes: Array(bytes)[...], digest: digest)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }

    static func == (left: SerializedDevice, right: SerializedDevice) -> Bool {
        left.digest == right.digest && left.bytes.count == right.bytes.count
            && left.bytes.withUnsafeBytes { a in right.bytes.withUnsafeBytes { b in Self.equal(a, b) } }
    }

    /// Byte-for-byte equality of two buffers of one length, eight bytes at a time.
    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
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

    /// A fast non-cryptographic digest, eight bytes at a time: only the dictionary's bucket choice
    /// depends on it (equal digests are still compared byte for byte), and `Hasher` seeds it.
    private static func digest(of bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
            var offset = 0
            while offset + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                state = (state ^ word) &* 0xFF51_AFD7_ED55_8CCD
                state ^= state >> 29
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < raw.count {
                tail |= UInt64(raw[offset]) << shift
                shift += 8
                offset += 1
            }
            state = (state ^ tail) &* 0xC4CE_B9FE_1A85_EC53
            return state ^ (state >> 32)
        }
    }
}
