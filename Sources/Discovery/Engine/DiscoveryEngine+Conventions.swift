import MQTTCodec

/// Conventions' conclusions applied to the devices of their group.
extension DiscoveryEngine {
    mutating func apply(
        _ intents: [ConventionIntent],
        of convention: Int32,
        broker: Int,
        now: Int64,
        into changes: inout [DeviceChange]
    ) {
        let group = conventionGroups[Int(convention)]
        for intent in intents {
            switch intent {
            case .present(let id, let properties):
                let index = record(group: group, id: id, broker: broker)
                let wasReported = records[Int(index)].reported
                let changed = conventionProperties[index] != properties
                conventionProperties[index] = properties
                records[Int(index)].brokers |= 1 << UInt64(broker)
                records[Int(index)].status = .online
                records[Int(index)].statusUntil = 0
                evaluate(index, now: now, into: &changes)
                if changed && wasReported && records[Int(index)].inUse && records[Int(index)].reported {
                    changes.append(.updated(device(index)))
                }
            case .absent(let id):
                guard let index = find(group: group, id: id) else { continue }
                records[Int(index)].status = .offline
                evaluate(index, now: now, into: &changes)
            case .watch(let filter):
                guard watched.insert(Watch(convention: convention, filter: filter)).inserted else { continue }
                trie.insert(filter, .convention(convention))
                newSubscriptions.append(Subscription(topicFilter: filter, qos: .atLeastOnce))
            case .problem(let message):
                if problems.count < Self.maximumProblems {
                    problems.append(message)
                } else {
                    droppedProblems += 1
                }
            }
        }
    }
}
