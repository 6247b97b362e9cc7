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
    private var sharesLoop: Bool { ownsNoLoop }
    private let ownsNoLoop: Bool
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
        ownsNoLoop = pool != nil
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
    func waitFor(_ change: String, timeout: Duration = .seconds(15)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !changes.contains(change) {
            guard clock.now < deadline else {
                throw TestSupportError("'\(change)' was not decided within \(timeout); changes: \(changes)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        await discoverer.stop()
    }
}
