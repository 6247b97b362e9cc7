import CPrefetch

/// The engine's index from (group, device id) to record: an open-addressing hash table of
/// 8-byte slots, linear probing, deletion by backward shift (no tombstones, so churn does not
/// slow it down).
///
/// Each slot holds 32 bits of the key's hash and the record's index, so a probe compares hashes
/// without touching records, and growing needs no rehashing of ids. The hash is keyed with a
/// random seed per table: topics come from the network, and a fixed hash would let a publisher
/// choose ids that all collide and turn every lookup into a scan.
struct DeviceTable: Sendable {
    /// 0: empty; else `hash32 << 32 | (index + 1)`.
    private var slots = [UInt64](repeating: 0, count: 16)
    private(set) var count = 0
    private let seed = UInt64.random(in: .min ... .max)

    /// The hash of a device key: eight bytes at a time, each word folded in with a 128-bit
    /// multiply of the seeded state (the construction of wyhash and foldhash).
    func hash(group: Int32, id: String) -> UInt32 {
        id.withUTF8Bytes { hash(group: group, utf8: $0) }
    }

    /// The hash of a device key whose id is the UTF-8 `bytes`; equal to the hash of the same id as a
    /// `String`.
    @inline(__always)
    func hash(group: Int32, utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var state = seed ^ (UInt64(UInt32(bitPattern: group)) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(bytes.count)
        var offset = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while offset + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                state = Self.fold(state ^ word, 0x2D35_8DCC_AA6C_78A5 ^ seed)
                offset += 8
            }
        }
        var tail: UInt64 = 0
        for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << (8 * UInt64(index - offset)) }
        state = Self.fold(state ^ tail, 0x8BB8_4B93_962E_ACC9)
        return UInt32(truncatingIfNeeded: state ^ (state >> 32))
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The index of the record with this hash for which `matches` is true.
    @inline(__always)
    func find(_ hash: UInt32, where matches: (Int32) -> Bool) -> Int32? {
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == hash {
                let index = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if matches(index) { return index }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Starts loading the slot a lookup of `hash` begins at, so that a lookup soon after finds
    /// it in cache instead of waiting for memory.
    @inline(__always)
    func prefetch(_ hash: UInt32) {
        slots.withUnsafeBufferPointer { slots in
            cprefetch_read(slots.baseAddress! + (Int(hash) & (slots.count - 1)))
        }
    }

    /// Adds a record (not already present).
    mutating func insert(_ hash: UInt32, _ index: Int32) {
        if (count + 1) * 2 > slots.count {
            // At most half full: probes stay short.
            let old = slots
            slots = [UInt64](repeating: 0, count: slots.count * 2)
            for entry in old where entry != 0 { place(entry) }
        }
        place(UInt64(hash) << 32 | UInt64(UInt32(bitPattern: index + 1)))
        count += 1
    }

    /// Removes a record.
    mutating func remove(_ hash: UInt32, _ index: Int32) {
        let mask = slots.count - 1
        let target = UInt64(hash) << 32 | UInt64(UInt32(bitPattern: index + 1))
        var slot = Int(hash) & mask
        while slots[slot] != target {
            guard slots[slot] != 0 else { return }
            slot = (slot + 1) & mask
        }
        // Backward shift: move later entries of the cluster into the hole when their home slot
        // allows, so every entry stays reachable from its home without tombstones.
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let home = Int(slots[next] >> 32) & mask
            // The entry may fill the hole if its home is not in (hole, next], cyclically.
            let distanceToNext = (next - home) & mask
            let distanceToHole = (next - hole) & mask
            if distanceToNext >= distanceToHole {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    private mutating func place(_ entry: UInt64) {
        let mask = slots.count - 1
        var slot = Int(entry >> 32) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }
}
