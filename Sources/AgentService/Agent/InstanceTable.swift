public import AgentProtocol
import Discovery

/// The agent's instances: what each handler endpoint last reported for each Configuration, merged
/// into one set of instances per Configuration and named as Akri names them. Pure: every change
/// returns the events it causes, so watchers, `--exec` and tests all see the same thing.
///
/// Each Discover stream replaces its whole list (Akri semantics) or, from a handler of ours, sends
/// what changed; either way an update touches only the device ids it changed, merged again. Two endpoints reporting one device id of a Configuration describe
/// one shared device: the first endpoint (in name order) gives its properties.
///
/// Built for a million instances: each is kept as its name and its device's serialized bytes
/// (the endpoint list's own buffer when the Configuration adds no properties), and made into an
/// ``Instance`` only when an event or a snapshot needs one.
public struct InstanceTable: Sendable {
    /// The node name put in every instance's `nodes`.
    public let node: String
    /// What each Configuration adds to its instances, by Configuration name.
    public let terms: [String: Terms]
    private var lists: [String: [String: DeviceList]] = [:]
    /// Configuration → device id → instance.
    private var instances: [String: [String: Entry]] = [:]
    private var sharedness: [String: Bool] = [:]
    /// Every instance's `nodes`: one array, shared by all of them rather than one each.
    private let nodes: [String]

    /// An instance as kept; the rest of an ``Instance`` is its Configuration's.
    fileprivate struct Entry: Hashable, Sendable {
        var name: String
        /// The device with the Configuration's properties over its own, serialized.
        var device: [UInt8]
        var shared: Bool
    }

    /// What a watcher has seen: the instances at a moment, kept cheaply (the table's storage is
    /// shared until it changes), to send a watcher that fell behind only the difference.
    public struct View: Sendable {
        fileprivate let instances: [String: [String: Entry]]
        fileprivate let configuration: String
    }

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
        self.nodes = [node]
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
        return merge(configuration, change, from: endpoint)
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
        if lists[configuration]?[endpoint] == nil { lists[configuration, default: [:]][endpoint] = DeviceList() }
        let change: DeviceList.Change
        do {
            // In place: a copy of the list would cost its whole length on every response. A
            // response that does not decode leaves the list as it was.
            change = try lists[configuration]![endpoint]!.apply(serializedResponse: serializedResponse)
        } catch {
            throw .malformedFrame(error)
        }
        sharedness[configuration] = shared
        return merge(configuration, change, from: endpoint)
    }

    /// Forgets what `endpoint` reported for `configuration` (its stream ended for good).
    public mutating func remove(configuration: String, endpoint: String) -> [InstanceEvent] {
        guard let list = lists[configuration]?.removeValue(forKey: endpoint) else { return [] }
        if lists[configuration]?.isEmpty == true { lists[configuration] = nil }
        return merge(configuration, Array(list.ids))
    }

    /// The ``Instance`` an entry stands for.
    private func instance(_ entry: Entry, configuration: String) -> Instance {
        Instance(
            name: entry.name,
            configuration: configuration,
            device: (try? DiscoverResponse.Device(serialized: entry.device[...])) ?? DiscoverResponse.Device(id: ""),
            shared: entry.shared,
            nodes: nodes,
            capacity: terms[configuration]?.capacity ?? 1
        )
    }

    /// The current instances, sorted by Configuration then name; `configuration` empty for all.
    public func snapshot(configuration: String = "") -> [Instance] {
        let names = configuration.isEmpty ? instances.keys.sorted() : [configuration]
        return names.flatMap { name in
            (instances[name] ?? [:]).values.sorted { $0.name < $1.name }.map { instance($0, configuration: name) }
        }
    }

    /// What a watcher of `configuration` (empty for all) sees now.
    public func view(configuration: String = "") -> View {
        View(
            instances: configuration.isEmpty ? instances : instances[configuration].map { [configuration: $0] } ?? [:],
            configuration: configuration
        )
    }

    /// The events that take a watcher who saw `view` to now: what a watcher that fell behind is
    /// sent instead of everything it missed. Instances are told apart by Configuration and device
    /// id, so two devices whose names collide (six hex digits, as Akri's) are both kept.
    public func changes(since view: View) -> [InstanceEvent] {
        let now = self.view(configuration: view.configuration).instances
        var events: [InstanceEvent] = []
        for configuration in Set(now.keys).union(view.instances.keys).sorted() {
            let new = now[configuration] ?? [:]
            let old = view.instances[configuration] ?? [:]
            for (id, entry) in new.sorted(by: { $0.value.name < $1.value.name }) {
                if let previous = old[id] {
                    if previous != entry {
                        events.append(InstanceEvent(.updated, instance(entry, configuration: configuration)))
                    }
                } else {
                    events.append(InstanceEvent(.added, instance(entry, configuration: configuration)))
                }
            }
            for (id, entry) in old.sorted(by: { $0.value.name < $1.value.name }) where new[id] == nil {
                events.append(InstanceEvent(.removed, instance(entry, configuration: configuration)))
            }
        }
        return events
    }

    /// A handler's removal reason in words: the engine's phrase for a name it knows, else the
    /// name as sent.
    static func describe(_ reason: String) -> String {
        RemovalReason(name: reason)?.description ?? reason
    }

    /// Whether `endpoint` has sent `configuration` a whole list (and is not half-way through
    /// the pieces of another).
    public func hasCompleteList(configuration: String, endpoint: String) -> Bool {
        lists[configuration]?[endpoint]?.isComplete == true
    }

    /// How many instances there are.
    public var count: Int { instances.values.reduce(0) { $0 + $1.count } }

    /// ``merge(_:_:reasons:fresh:)`` for what one endpoint's list changed: its new and changed
    /// devices are taken as decoded, its removals with their reasons.
    private mutating func merge(
        _ configuration: String,
        _ change: DeviceList.Change,
        from endpoint: String
    ) -> [InstanceEvent] {
        var fresh: [String: DiscoverResponse.Device] = Dictionary(minimumCapacity: change.upserted.count)
        for device in change.upserted { fresh[device.id] = device }
        return merge(
            configuration,
            change.upserted.map(\.id) + change.removed,
            reasons: change.reasons,
            fresh: (endpoint, fresh)
        )
    }

    /// Brings the instances of the device ids in `touched` up to date with the lists, which is
    /// all a change can affect: the work is in proportion to the change, not to the lists.
    /// A removal whose device has a reason in `reasons` (the handler's, by its engine's name for
    /// it) is given that reason in words. `fresh` are devices of one endpoint already decoded.
    private mutating func merge(
        _ configuration: String,
        _ touched: [String],
        reasons: [String: String] = [:],
        fresh: (endpoint: String, devices: [String: DiscoverResponse.Device])? = nil
    ) -> [InstanceEvent] {
        guard !touched.isEmpty else { return [] }
        let shared = sharedness[configuration] ?? true
        let sources = lists[configuration] ?? [:]
        // The first endpoint (in name order) that lists a device gives its properties.
        let endpoints = sources.keys.sorted().map { (name: $0, list: sources[$0]!) }
        let terms = terms[configuration] ?? Terms()
        var current = instances.removeValue(forKey: configuration) ?? [:]
        var events: [(id: String, event: InstanceEvent)] = []
        for id in Set(touched) {
            // Akri's agent builds an instance's properties from the device's, then `extend`s them
            // with the Configuration's brokerProperties: a broker property wins over a device
            // property of the same name (discovery_handler_registry.rs, building the Instance).
            // The first endpoint that lists the device, and the device's bytes there (looked up once).
            let listed = endpoints.lazy.compactMap { endpoint in endpoint.list.bytes(id: id).map { (endpoint, $0) } }
            guard let (source, listedBytes) = listed.first else {
                if let existing = current.removeValue(forKey: id) {
                    let reason = reasons[id].map(Self.describe) ?? ""
                    events.append(
                        (id, InstanceEvent(.removed, instance(existing, configuration: configuration), reason: reason))
                    )
                }
                continue
            }
            var device =
                source.name == fresh?.endpoint
                ? fresh?.devices[id] ?? (try? DiscoverResponse.Device(serialized: listedBytes[...]))
                : try? DiscoverResponse.Device(serialized: listedBytes[...])
            // The instance keeps the list's buffer when the Configuration adds nothing to it.
            var bytes = listedBytes
            if !terms.brokerProperties.isEmpty {
                device?.properties.merge(terms.brokerProperties) { _, broker in broker }
                bytes = device?.serialized ?? []
            }
            guard let device else { continue }
            if var existing = current[id] {
                // Decoded, not byte for byte: Akri's handlers write properties in any order.
                let previous = try? DiscoverResponse.Device(serialized: existing.device[...])
                existing.device = bytes
                current[id] = existing
                guard previous != device else { continue }
                events.append((id, InstanceEvent(.updated, instance(existing, configuration: configuration))))
            } else {
                let entry = Entry(
                    name: InstanceName.make(configuration: configuration, deviceID: id, shared: shared, node: node),
                    device: bytes,
                    shared: shared
                )
                current[id] = entry
                events.append((id, InstanceEvent(.added, instance(entry, configuration: configuration))))
            }
        }
        if !current.isEmpty { instances[configuration] = current }
        // Added and updated first, then removed, each by device id.
        return events.sorted { ($0.event.kind == .removed ? 1 : 0, $0.id) < ($1.event.kind == .removed ? 1 : 0, $1.id) }
            .map(\.event)
    }
}
