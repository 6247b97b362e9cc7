public import AgentProtocol

/// The agent's instances: what each handler endpoint last reported for each Configuration, merged
/// into one set of instances per Configuration and named as Akri names them. Pure: every change
/// returns the events it causes, so watchers, `--exec` and tests all see the same thing.
///
/// Each Discover stream replaces its whole list (Akri semantics), so an update is a diff of the
/// merged set before and after. Two endpoints reporting one device id of a Configuration describe
/// one shared device: the first endpoint (in name order) gives its properties.
public struct InstanceTable: Sendable {
    /// The node name put in every instance's `nodes`.
    public let node: String
    private var lists: [String: [String: [DiscoverResponse.Device]]] = [:]
    private var instances: [String: [String: Instance]] = [:]
    private var sharedness: [String: Bool] = [:]

    /// An empty table for `node`.
    public init(node: String) {
        self.node = node
    }

    /// Replaces what `endpoint` reports for `configuration` (a handler registered as `shared`) and
    /// returns the events: `added` for new device ids, `updated` for changed properties,
    /// `removed` for ids no endpoint reports any more.
    public mutating func update(
        configuration: String,
        endpoint: String,
        shared: Bool,
        devices: [DiscoverResponse.Device]
    ) -> [InstanceEvent] {
        lists[configuration, default: [:]][endpoint] = devices
        sharedness[configuration] = shared
        return merge(configuration)
    }

    /// Forgets what `endpoint` reported for `configuration` (its stream ended for good).
    public mutating func remove(configuration: String, endpoint: String) -> [InstanceEvent] {
        guard lists[configuration]?.removeValue(forKey: endpoint) != nil else { return [] }
        if lists[configuration]?.isEmpty == true { lists[configuration] = nil }
        return merge(configuration)
    }

    /// The current instances, sorted by Configuration then name; `configuration` empty for all.
    public func snapshot(configuration: String = "") -> [Instance] {
        let names = configuration.isEmpty ? instances.keys.sorted() : [configuration]
        return names.flatMap { name in
            (instances[name] ?? [:]).values.sorted { $0.name < $1.name }
        }
    }

    /// The current instances by name; `configuration` empty for all.
    public func byName(configuration: String = "") -> [String: Instance] {
        var result: [String: Instance] = [:]
        for instance in snapshot(configuration: configuration) { result[instance.name] = instance }
        return result
    }

    /// The events that take a watcher who saw `old` to `new` (both by name): what a watcher that
    /// fell behind is sent instead of everything it missed.
    public static func changes(from old: [String: Instance], to new: [String: Instance]) -> [InstanceEvent] {
        var events: [InstanceEvent] = []
        for (name, instance) in new.sorted(by: { $0.key < $1.key }) {
            if let previous = old[name] {
                if previous != instance { events.append(InstanceEvent(.updated, instance)) }
            } else {
                events.append(InstanceEvent(.added, instance))
            }
        }
        for (name, instance) in old.sorted(by: { $0.key < $1.key }) where new[name] == nil {
            events.append(InstanceEvent(.removed, instance))
        }
        return events
    }

    /// How many instances there are.
    public var count: Int { instances.values.reduce(0) { $0 + $1.count } }

    private mutating func merge(_ configuration: String) -> [InstanceEvent] {
        let shared = sharedness[configuration] ?? true
        let sources = lists[configuration] ?? [:]
        var merged: [String: DiscoverResponse.Device] = [:]
        // Lists are full lists, so this is linear in the devices on every change: keep it to
        // hashing (no sorting of whole lists; only the events are put in order).
        for endpoint in sources.keys.sorted() {
            for device in sources[endpoint]! where merged[device.id] == nil {
                merged[device.id] = device
            }
        }
        let before = instances[configuration] ?? [:]
        var after = before
        var events: [(id: String, event: InstanceEvent)] = []
        for (id, device) in merged {
            if var existing = before[id] {
                if existing.device != device {
                    existing.device = device
                    events.append((id, InstanceEvent(.updated, existing)))
                    after[id] = existing
                }
            } else {
                let instance = Instance(
                    name: InstanceName.make(configuration: configuration, deviceID: id, shared: shared, node: node),
                    configuration: configuration,
                    device: device,
                    shared: shared,
                    nodes: [node]
                )
                events.append((id, InstanceEvent(.added, instance)))
                after[id] = instance
            }
        }
        if before.count + events.count(where: { $0.event.kind == .added }) != merged.count {
            for (id, instance) in before where merged[id] == nil {
                events.append((id, InstanceEvent(.removed, instance)))
                after[id] = nil
            }
        }
        instances[configuration] = after.isEmpty ? nil : after
        // Added and updated first, then removed, each by device id.
        return events.sorted { ($0.event.kind == .removed ? 1 : 0, $0.id) < ($1.event.kind == .removed ? 1 : 0, $1.id) }
            .map(\.event)
    }
}
