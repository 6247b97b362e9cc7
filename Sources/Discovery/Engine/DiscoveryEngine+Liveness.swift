public import MQTTSession

/// Presence: traffic, status, broker outages, debounce, and reporting changes.
extension DiscoveryEngine {
    /// A topic entry matched a message; `topic` is the `String` of `bytes` if the caller has one.
    mutating func applyEntry(
        _ entry: Int,
        topic: String?,
        utf8 bytes: UnsafeBufferPointer<UInt8>,
        payload: ArraySlice<UInt8>,
        retain: Bool,
        broker: Int,
        now: Int64,
        into changes: inout [DeviceChange]
    ) {
        let route = entries[entry]
        let group = route.group
        let level = route.idLevel
        if route.isStatus {
            // A status entry: the payload sets the state; retained status is current state.
            if payload.isEmpty {
                clear(group: group, entry: entry, topic: bytes, now: now, into: &changes)
            } else if onlinePayloads[entry].contains(where: { payload.elementsEqual($0) }) {
                let index = Self.withDeviceID(level: level, captures: entryCaptures[entry], topic: bytes) { id in
                    record(group: group, utf8: id, broker: broker) { level == IDLevel.topic ? topic : nil }
                }
                records[Int(index)].brokers |= 1 << UInt64(broker)
                records[Int(index)].status = .online
                let timeout = route.timeout
                records[Int(index)].statusUntil = timeout > 0 ? now + timeout : 0
                evaluate(index, now: now, into: &changes)
            } else if offlinePayloads[entry].contains(where: { payload.elementsEqual($0) }) {
                // An unknown device going offline needs no record.
                let found = Self.withDeviceID(level: level, captures: entryCaptures[entry], topic: bytes) { id in
                    find(group: group, utf8: id)
                }
                if let index = found {
                    records[Int(index)].status = .offline
                    evaluate(index, now: now, into: &changes)
                }
            }
            return
        }
        // A traffic entry.
        if payload.isEmpty {
            clear(group: group, entry: entry, topic: bytes, now: now, into: &changes)
            return
        }
        // A retained replay is state of unknown age, not a sign of life.
        if retain { return }
        guess = Guess(group: group, level: level)
        let index = Self.withDeviceID(level: level, captures: entryCaptures[entry], topic: bytes) { id in
            record(group: group, utf8: id, hash: hash(group: group, level: level, id: id), broker: broker) {
                level == IDLevel.topic ? topic : nil
            }
        }
        let heard = records[Int(index)].heard(
            until: now + route.timeout,
            broker: broker,
            connected: connected
        )
        if heard { evaluate(index, now: now, into: &changes) }
    }

    /// An empty payload on an entry's topic: the device's retained state was cleared, so it is gone.
    mutating func clear(
        group: Int32,
        entry: Int,
        topic: UnsafeBufferPointer<UInt8>,
        now: Int64,
        into changes: inout [DeviceChange]
    ) {
        let found = Self.withDeviceID(level: entries[entry].idLevel, captures: entryCaptures[entry], topic: topic) {
            find(group: group, utf8: $0)
        }
        guard let index = found else { return }
        records[Int(index)].status = .cleared
        records[Int(index)].trafficUntil = 0
        records[Int(index)].statusUntil = 0
        evaluate(index, now: now, into: &changes)
    }

    /// The record for the id whose UTF-8 is `id`, made if new; its `String` is `made()` if that
    /// has one at hand (the topic, for a plain filter), else it is decoded from the bytes.
    @inline(__always)
    mutating func record(
        group: Int32,
        utf8 id: UnsafeBufferPointer<UInt8>,
        broker: Int,
        made: () -> String?
    ) -> Int32 {
        record(group: group, utf8: id, hash: table.hash(group: group, utf8: id), broker: broker, made: made)
    }

    /// The same, with the id's hash already known.
    @inline(__always)
    mutating func record(
        group: Int32,
        utf8 id: UnsafeBufferPointer<UInt8>,
        hash: UInt32,
        broker: Int,
        made: () -> String?
    ) -> Int32 {
        if let index = find(hash, group: group, utf8: id) { return index }
        return insert(
            Record(id: made() ?? String(decoding: id, as: UTF8.self), group: group, firstBroker: UInt8(broker)),
            hash: hash
        )
    }

    /// The record for `id`, made if new.
    mutating func record(group: Int32, id: String, broker: Int) -> Int32 {
        let hash = table.hash(group: group, id: id)
        if let index = find(hash, group: group, id: id) { return index }
        return insert(Record(id: id, group: group, firstBroker: UInt8(broker)), hash: hash)
    }

    private mutating func insert(_ record: Record, hash: UInt32) -> Int32 {
        let index: Int32
        if let slot = freeSlots.popLast() {
            index = slot
            records[Int(index)] = record
        } else {
            index = Int32(records.count)
            records.append(record)
        }
        table.insert(hash, index)
        return index
    }

    /// The record for `id` in `group`, if there is one.
    func find(group: Int32, id: String) -> Int32? {
        find(table.hash(group: group, id: id), group: group, id: id)
    }

    /// The record for the id whose UTF-8 is `id` in `group`, if there is one.
    func find(group: Int32, utf8 id: UnsafeBufferPointer<UInt8>) -> Int32? {
        find(table.hash(group: group, utf8: id), group: group, utf8: id)
    }

    @inline(__always)
    func find(_ hash: UInt32, group: Int32, id: String) -> Int32? {
        table.find(hash) { records[Int($0)].group == group && records[Int($0)].id == id }
    }

    @inline(__always)
    func find(_ hash: UInt32, group: Int32, utf8 id: UnsafeBufferPointer<UInt8>) -> Int32? {
        table.find(hash) { records[Int($0)].group == group && Self.utf8(of: records[Int($0)].id, equals: id) }
    }

    /// Whether `string`'s UTF-8 is `bytes`, compared eight bytes at a time.
    @inline(__always)
    static func utf8(of string: String, equals bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard string.utf8.count == bytes.count else { return false }
        let equal = string.utf8.withContiguousStorageIfAvailable { stored -> Bool in
            guard let left = stored.baseAddress, let right = bytes.baseAddress else { return true }
            let a = UnsafeRawPointer(left)
            let b = UnsafeRawPointer(right)
            var offset = 0
            while offset + 8 <= bytes.count {
                if a.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    != b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                {
                    return false
                }
                offset += 8
            }
            while offset < bytes.count {
                if left[offset] != right[offset] { return false }
                offset += 1
            }
            return true
        }
        return equal ?? string.utf8.elementsEqual(bytes)
    }

    /// Whether the device is present at `now`.
    func isPresent(_ record: Record, now: Int64) -> Bool {
        if record.brokers != 0 && record.brokers & connected == 0 {
            // Every broker that reported it is unreachable: keep it as it was for the grace
            // period (its silence is ours, not its), then let it go.
            return record.present && now < outageStart(record) + grace
        }
        switch record.status {
        case .offline: return false
        case .online: return record.statusUntil == 0 || now < record.statusUntil
        case .unknown, .cleared, .lapsed: return record.trafficUntil > now
        }
    }

    /// Why a device that is no longer present went.
    func removalReason(_ record: Record) -> RemovalReason {
        if record.brokers != 0 && record.brokers & connected == 0 { return .brokerLost }
        switch record.status {
        case .offline: return .offline
        case .cleared: return .cleared
        case .lapsed: return .statusExpired
        case .unknown, .online: return .silence
        }
    }

    func outageStart(_ record: Record) -> Int64 {
        var latest: Int64 = 0
        for broker in downSince.indices where record.brokers & (1 << UInt64(broker)) != 0 {
            latest = max(latest, downSince[broker])
        }
        return latest
    }

    /// Decides a device's presence now, reports a change (after the debounce window, if one is
    /// set), and schedules the next time it must be looked at.
    mutating func evaluate(_ index: Int32, now: Int64, into changes: inout [DeviceChange]) {
        var record = records[Int(index)]
        if record.status == .online && record.statusUntil != 0 && now >= record.statusUntil {
            // The online status was not repeated in time.
            record.status = .lapsed
            record.statusUntil = 0
        }
        record.present = isPresent(record, now: now)
        if record.present != record.reported {
            if debounce == 0 || (record.debounceUntil != 0 && now >= record.debounceUntil) {
                record.reported = record.present
                record.debounceUntil = 0
                records[Int(index)] = record
                changes.append(
                    record.present ? .added(device(index)) : .removed(device(index), removalReason(record))
                )
            } else if record.debounceUntil == 0 {
                record.debounceUntil = now + debounce
            }
        } else {
            // Flipped back inside the window: nothing to report.
            record.debounceUntil = 0
        }
        records[Int(index)] = record
        if !record.present && !record.reported && record.debounceUntil == 0 && record.status != .online {
            release(index)
            return
        }
        schedule(index, at: nextCheck(record, now: now))
    }

    /// The next time after `now` anything about the device can change by itself (`Int64.max`:
    /// only a message or a broker event can change it).
    func nextCheck(_ record: Record, now: Int64) -> Int64 {
        let timer: Int64
        if record.brokers != 0 && record.brokers & connected == 0 {
            timer = outageStart(record) + grace
        } else {
            switch record.status {
            case .online: timer = record.statusUntil
            case .unknown, .cleared, .lapsed: timer = record.trafficUntil
            case .offline: timer = 0
            }
        }
        var next = record.debounceUntil > now ? record.debounceUntil : .max
        if timer > now && timer < next { next = timer }
        return next
    }

    /// Makes sure the device is looked at no later than `time`. A later time needs nothing now:
    /// the earlier entry fires, finds nothing due, and schedules again.
    mutating func schedule(_ index: Int32, at time: Int64) {
        guard time != Int64.max else { return }
        let scheduled = records[Int(index)].scheduled
        if scheduled == 0 || time < scheduled {
            records[Int(index)].scheduled = time
            queue.push(time, index)
        }
    }

    /// Frees a device's slot; its heap entries go stale.
    mutating func release(_ index: Int32) {
        let record = records[Int(index)]
        table.remove(table.hash(group: record.group, id: record.id), index)
        conventionProperties[index] = nil
        records[Int(index)] = Record(id: "", group: -1, firstBroker: 0)
        freeSlots.append(index)
    }

    // MARK: - Brokers

    /// A broker's session is up. If it had been down, its devices' deadlines move by the length of
    /// the outage (they could not be heard meanwhile), and the messages it queued for us follow.
    public mutating func brokerConnected(_ broker: Int, now: Instant, into changes: inout [DeviceChange]) {
        let bit: UInt64 = 1 << UInt64(broker)
        guard connected & bit == 0 else { return }
        connected |= bit
        let outage = now.nanoseconds - downSince[broker]
        for index in records.indices where records[index].inUse && records[index].brokers & bit != 0 {
            if records[index].trafficUntil != 0 { records[index].trafficUntil += outage }
            if records[index].statusUntil != 0 { records[index].statusUntil += outage }
            evaluate(Int32(index), now: now.nanoseconds, into: &changes)
        }
    }

    /// A broker's connection is lost: its devices are kept for the grace period.
    public mutating func brokerDisconnected(_ broker: Int, now: Instant, into changes: inout [DeviceChange]) {
        let bit: UInt64 = 1 << UInt64(broker)
        guard connected & bit != 0 else { return }
        connected &= ~bit
        downSince[broker] = now.nanoseconds
        for index in records.indices where records[index].inUse && records[index].brokers & bit != 0 {
            evaluate(Int32(index), now: now.nanoseconds, into: &changes)
        }
    }
}

extension DiscoveryEngine.Record {
    /// Traffic from `broker` keeps the device until `until`. Returns whether the device needs
    /// evaluating; the common case, a present device heard again, does not: its timer entry, in
    /// the heap for an earlier time, finds the new deadline when it fires.
    mutating func heard(until: Int64, broker: Int, connected: UInt64) -> Bool {
        brokers |= 1 << UInt64(broker)
        if status != .online { status = .unknown }
        if until > trafficUntil { trafficUntil = until }
        return !(reported && present && debounceUntil == 0 && scheduled != 0 && brokers & connected != 0)
    }
}
