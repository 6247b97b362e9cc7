import ArgumentParsing
import CommandLineSupport
import HTTP
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession
import Monitor
import MonitorService

/// `mqtt-discovery monitor`: the monitoring broker of one discovered device.
enum MonitorCommand: Command {
    static let logging = LoggingOptions(defaultLevel: .info)

    static let spec = CommandSpec(
        name: "mqtt-discovery monitor",
        abstract: "Keep watch on one device: latest values, history, events and metrics over HTTP; forward upstream.",
        discussion: """
            The per-device workload Akri starts for each discovered instance. It reads the device from the
            environment as Akri hands it over: MQTT_BROKER_URI, MQTT_TOPIC and MQTT_DEVICE_ID, each with the
            configuration's propertiesPrefix and "_" in front when it has one (set --properties-prefix, or
            the prefix is found from the one variable ending in _MQTT_BROKER_URI). Options override them.

            It subscribes at QoS 1 with a persistent session whose client id is derived from the broker and
            device, so a restarted monitor resumes where it stopped. HTTP endpoints: GET /latest[?topic=T],
            /history?topic=T&limit=N, /events[?topic=T] (Server-Sent Events), /metrics (Prometheus),
            /healthz, /readyz (200 once connected and subscribed).

            With --upstream every message is written to a disk queue (--queue-dir) before it is
            acknowledged, and leaves it once the upstream broker has acknowledged it: nothing accepted is
            lost to an outage, a restart or kill -9. When the queue is over --queue-max-bytes the oldest
            messages are dropped and counted. With --influxdb, numbers in payloads (a plain number, or a
            flat JSON object's numbers) are written in line protocol with tags device and topic.

            SIGINT or SIGTERM disconnects and exits 0. Exits 64 for bad options, 1 when the address cannot
            be bound or the queue cannot be opened.
            """,
        arguments: MonitorSettings.arguments + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "monitor")
        let settings = try MonitorSettings(arguments, environment: environment)
        let loop = try EventLoop(name: "monitor")
        defer { loop.shutdown() }
        let monitor = Monitor(settings: settings, loop: loop, logger: logger)
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        let started = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<SocketAddress, IOError>, Never>) in
            loop.execute {
                do throws(IOError) {
                    continuation.resume(returning: .success(try monitor.start()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch started {
        case .success(let address):
            logger.info(
                "monitoring",
                [
                    "broker": settings.client.url.description, "topics": settings.topics.joined(separator: " "),
                    "http": "http://\(address)",
                ]
            )
        case .failure(let error):
            Console.error("error: \(error)")
            await monitor.stop()
            return .failure
        }
        for await _ in finished { break }
        logger.info("stopping")
        await monitor.stop()
        return .success
    }
}
