import Discovery
import DiscoveryService
import IO
import Synchronization
import TestSupport
import Testing

/// A ``Discoverer`` running against a real broker, with every change it decided recorded.
final class LiveDiscovery: Sendable {
    let loop: EventLoop
    let discoverer: Discoverer
    /// Whether the loop is a pool's, which its owner shuts down.
    private let sharesLoop: Bool
    private let log = Recorder()

    /// Where the loop thread records changes.
    private final class Recorder: Sendable {
        let changes = Mutex<[DeviceChange]>([])
    }

    /// Discovery for the details in `yaml`, where `BROKER` stands for the broker's URL.
    /// Given a `pool`, it runs on the pool's loop and shares its clients.
    init(_ yaml: String, broker: Mosquitto, identity: String = #function, pool: BrokerPool? = nil) async throws {
        let details = try DiscoveryDetails.parse(yaml.replacing("BROKER", with: broker.url)).details
        loop = try pool?.eventLoop ?? EventLoop()
        sharesLoop = pool != nil
        let log = log
        discoverer = try Discoverer(details: details, identity: identity, eventLoop: loop, pool: pool) { changes in
            log.changes.withLock { $0 += changes }
        }
        discoverer.start()
        await discoverer.waitUntilSubscribed()
    }

    deinit {
        if !sharesLoop { loop.shutdown() }
    }

    /// Every change so far, as `added id` / `updated id` / `removed id`.
    var changes: [String] { log.changes.withLock { $0.map(\.description) } }

    /// The changes so far, with properties.
    var deviceChanges: [DeviceChange] { log.changes.withLock { $0 } }

    /// Waits until `change` (e.g. `removed pump2`) has been decided; fails after `timeout`.
    func waitFor(_ change: String, timeout: Duration = .seconds(20)) async throws {
        try await waitUntil("'\(change)'", timeout: timeout) { $0.contains(change) }
    }

    /// Waits until `count` changes have been decided; fails after `timeout`.
    func waitFor(changeCount count: Int, timeout: Duration = .seconds(20)) async throws {
        try await waitUntil("\(count) changes", timeout: timeout) { $0.count >= count }
    }

    private func waitUntil(
        _ what: String,
        timeout: Duration,
        _ condition: ([String]) -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !condition(changes) {
            guard clock.now < deadline else {
                throw TestSupportError("\(what) not decided within \(timeout); changes: \(changes)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() async {
        await discoverer.stop()
    }
}
