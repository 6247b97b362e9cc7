public import AgentProtocol
import Discovery

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
    /// What each Configuration adds to its instances, by Configuration name.
    public let terms: [String: Terms]
    private var lists: [String: [String: DeviceList]] = [:]
    private var instances: [String: [String: Instance]] = [:]
    private var sharedness: [String: Bool] = [:]

    /// What a Configuration adds to each of its instances.
    public struct Terms: Hashable, Sendable {
        /// `spec.brokerProperties`.
        public var brokerProperties: [String: String]
        /// `spec.capacity`.
        public var capacity: Int

        /// Terms.
        public init(brokerProperties: [String: String] = [:], capacity: Int = 1) {
            self.brokerProperties = brokerProperties
            self.capacity = capacity
        }
    }

    /// An empty table for `node`, with what each Configuration adds to its instances.
    public init(node: String, terms: [String: Terms] = [:]) {
        self.node = node
        self.terms = terms
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
        let change = lists[configuration, default: [:]][endpoint, default: DeviceList()].replace(devices: devices)
        sharedness[configuration] = shared
        return merge(configuration, change.upserted.map(\.id) + change.removed)
    }

    /// ``update(configuration:endpoint:shared:devices:)`` from a `devices` frame's serialized
    /// `v0.DiscoverResponse` (see ``Frame/devicesResponse(in:)``): devices whose bytes did not
    /// change since the endpoint's last list are not decoded again, so a change to one device
    /// of a long list costs little. A list that does not decode changes nothing.
    public mutating func update(
        configuration: String,
        endpoint: String,
        shared: Bool,
        serializedResponse: ArraySlice<UInt8>
    ) throws(AgentProtocolError) -> [InstanceEvent] {
        var list = lists[configuration]?[endpoint] ?? DeviceList()
        let change: DeviceList.Change
        do {
            change = try list.apply(serializedResponse: serializedResponse)
        } catch {
            throw .malformedFrame(error)
        }
        lists[configuration, default: [:]][endpoint] = list
        sharedness[configuration] = shared
        return merge(configuration, change.upserted.map(\.id) + change.removed, reasons: change.reasons)
    }

    /// Forgets what `endpoint` reported for `configuration` (its stream ended for good).
    public mutating func remove(configuration: String, endpoint: String) -> [InstanceEvent] {
        guard let list = lists[configuration]?.removeValue(forKey: endpoint) else { return [] }
        if lists[configuration]?.isEmpty == true { lists[configuration] = nil }
        return merge(configuration, Array(list.ids))
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

    /// A handler's removal reason in words: the engine's phrase for a name it knows, else the
    /// name as sent.
    static func describe(_ reason: String) -> String {
        RemovalReason(name: reason)?.description ?? reason
    }

    /// How many instances there are.
    public var count: Int { instances.values.reduce(0) { $0 + $1.count } }

    /// Brings the instances of the device ids in `touched` up to date with the lists, which is
    /// all a change can affect: the work is in proportion to the change, not to the lists.
    /// A removal whose device has a reason in `reasons` (the handler's, by its engine's name for
    /// it) is given that reason in words.
    private mutating func merge(
        _ configuration: String,
        _ touched: [String],
        reasons: [String: String] = [:]
    ) -> [InstanceEvent] {
        guard !touched.isEmpty else { return [] }
        let shared = sharedness[configuration] ?? true
        let sources = lists[configuration] ?? [:]
        // The first endpoint (in name order) that lists a device gives its properties.
        let endpoints = sources.keys.sorted().map { sources[$0]! }
        let terms = terms[configuration] ?? Terms()
        var current = instances.removeValue(forKey: configuration) ?? [:]
        var events: [(id: String, event: InstanceEvent)] = []
        for id in Set(touched) {
            // Akri's agent builds an instance's properties from the device's, then `extend`s them
            // with the Configuration's brokerProperties: a broker property wins over a device
            // property of the same name (discovery_handler_registry.rs, building the Instance).
            var device = endpoints.lazy.compactMap { $0[id] }.first
            if !terms.brokerProperties.isEmpty {
                device?.properties.merge(terms.brokerProperties) { _, broker in broker }
            }
            switch (current[id], device) {
            case (var existing?, let device?):
                guard existing.device != device else { continue }
                existing.device = device
                events.append((id, InstanceEvent(.updated, existing)))
                current[id] = existing
            case (nil, let device?):
                let instance = Instance(
                    name: InstanceName.make(configuration: configuration, deviceID: id, shared: shared, node: node),
                    configuration: configuration,
                    device: device,
                    shared: shared,
                    nodes: [node],
                    capacity: terms.capacity
                )
                events.append((id, InstanceEvent(.added, instance)))
                current[id] = instance
            case (let existing?, nil):
                events.append((id, InstanceEvent(.removed, existing, reason: reasons[id].map(Self.describe) ?? "")))
                current[id] = nil
            case (nil, nil):
                continue
            }
        }
        if !current.isEmpty { instances[configuration] = current }
        // Added and updated first, then removed, each by device id.
        return events.sorted { ($0.event.kind == .removed ? 1 : 0, $0.id) < ($1.event.kind == .removed ? 1 : 0, $1.id) }
            .map(\.event)
    }
}
