import Foundation
import Glibc
import TestSupport
import Testing

/// `mqtt-discovery monitor` as Akri runs it, against real processes: mosquitto for the device,
/// a second mosquitto upstream, InfluxDB, and curl for the HTTP endpoints.
@Suite("monitor command")
struct MonitorCommandTests {
    /// A running monitor, the port held for it and its HTTP base URL.
    struct RunningMonitor {
        let process: ExternalProcess
        let port: HeldPort
        var base: String { "http://127.0.0.1:\(port.port)" }
    }

    /// Starts a monitor of `broker` on a port held for it (`port`, to start one again on the same
    /// port) and returns once it says it is ready.
    static func startMonitor(
        _ broker: Mosquitto,
        topic: String = "plant/press7/#",
        port: HeldPort? = nil,
        extra: [String] = []
    ) async throws -> RunningMonitor {
        let port = try port ?? HeldPort()
        let process = try ExternalProcess(
            Binary.path,
            ["monitor", "--listen", "127.0.0.1:\(port.port)", "--log-level", "debug"] + extra,
            environment: [
                "MQTT_BROKER_URI": broker.url, "MQTT_TOPIC": topic, "MQTT_DEVICE_ID": "press7",
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ],
            separateStandardError: true
        )
        let monitor = RunningMonitor(process: process, port: port)
        try await Curl.waitFor("\(monitor.base)/readyz") { $0.status == 200 }
        return monitor
    }

    static func publish(_ broker: Mosquitto, topic: String, lines: [String], qos: Int = 1) async throws {
        let result = try await Binary.run(
            ["pub", "--url", broker.url, "-t", topic, "-q", "\(qos)", "-l"],
            input: lines.joined(separator: "\n") + "\n"
        )
        #expect(result.status == 0, "\(result.standardError)")
    }

    static func payloads(_ json: String) throws -> [String] {
        let array = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        return array.compactMap { $0["payload"] as? String }
    }

    @Test("configuration from Akri's environment, with a properties prefix; bad options exit 64")
    func environment() async throws {
        let help = try await Binary.run(["monitor", "--help"])
        #expect(help.status == 0)
        for variable in [
            "MONITOR_LISTEN", "MONITOR_UPSTREAM", "MONITOR_QUEUE_DIR", "MONITOR_INFLUXDB", "MQTT_PASSWORD_FILE",
            "MONITOR_FSYNC",
        ] {
            #expect(help.standardOutput.contains(variable), "--help lists \(variable)")
        }
        let missing = try await Binary.run(["monitor"], environment: [:])
        #expect(missing.status == 64)
        #expect(missing.standardError.contains("no broker: set --url or MQTT_BROKER_URI"))
        let badListen = try await Binary.run(
            ["monitor", "--url", "tcp://127.0.0.1:1", "-t", "a", "--listen", "nowhere"],
            environment: [:]
        )
        #expect(badListen.status == 64)
        #expect(badListen.standardError.contains("--listen 'nowhere' must be IP:PORT"))
        let badTopic = try await Binary.run(["monitor", "--url", "tcp://127.0.0.1:1", "-t", "a/#/b"], environment: [:])
        #expect(badTopic.status == 64)
        let badSync = try await Binary.run(
            ["monitor", "--url", "tcp://127.0.0.1:1", "-t", "a", "--fsync", "sometimes"],
            environment: [:]
        )
        #expect(badSync.status == 64)
        #expect(badSync.standardError.contains("never, batch, always"), "\(badSync.standardError)")

        let broker = try await Mosquitto()
        let port = try HeldPort()
        let process = try ExternalProcess(
            Binary.path,
            ["monitor", "--listen", "127.0.0.1:\(port.port)"],
            environment: [
                "LINE_MQTT_BROKER_URI": broker.url, "LINE_MQTT_TOPIC": "line/+/temp", "LINE_MQTT_DEVICE_ID": "line-dev",
            ],
            separateStandardError: true
        )
        defer { process.terminate() }
        let base = "http://127.0.0.1:\(port.port)"
        try await Curl.waitFor("\(base)/readyz") { $0.status == 200 }
        try await Self.publish(broker, topic: "line/4/temp", lines: ["19.5"])
        let latest = try await Curl.waitFor("\(base)/latest") { $0.body.contains("19.5") }
        #expect(latest.body.contains(#""topic":"line/4/temp""#))
        await #expect(try Curl.request("\(base)/").body.contains("line-dev"))
    }

    @Test("HTTP: latest, history, metrics, events, health; bad, oversized and unknown requests")
    func http() async throws {
        let broker = try await Mosquitto()
        let monitor = try await Self.startMonitor(broker)
        defer { monitor.process.terminate() }
        let base = monitor.base
        await #expect(try Curl.request("\(base)/healthz").status == 200)

        // An event stream open before the messages arrive.
        let events = try ExternalProcess(Machine.which("curl")!, ["-s", "-N", "--max-time", "20", "\(base)/events"])
        defer { events.terminate() }
        try await Curl.waitFor("\(base)/metrics") { $0.body.contains("mqtt_monitor_event_stream_clients 1") }

        try await Self.publish(broker, topic: "plant/press7/temp", lines: ["20.5", "21", "21.5"])
        try await Self.publish(
            broker,
            topic: "plant/press7/state",
            lines: [#"{"rpm": 1200, "ok": true, "load": 0.75}"#]
        )
        try await Self.publish(broker, topic: "plant/other/temp", lines: ["99"])

        let latest = try await Curl.waitFor("\(base)/latest") { $0.body.contains("rpm") }
        #expect(try Self.payloads(latest.body) == [#"{"rpm": 1200, "ok": true, "load": 0.75}"#, "21.5"])
        let one = try await Curl.request("\(base)/latest?topic=plant%2Fpress7%2Ftemp")
        #expect(one.status == 200 && one.body.contains(#""payload":"21.5""#) && one.body.contains(#""received":"20"#))
        await #expect(try Curl.request("\(base)/latest?topic=none").status == 404)

        let history = try await Curl.request("\(base)/history?topic=plant/press7/temp&limit=2")
        #expect(try Self.payloads(history.body) == ["21", "21.5"])
        await #expect(try Self.payloads(Curl.request("\(base)/history").body).count == 4)
        let badLimit = try await Curl.request("\(base)/history?limit=-3")
        #expect(badLimit.status == 400 && badLimit.body.contains("limit must be a positive whole number"))

        let metrics = try await Curl.request("\(base)/metrics")
        #expect(metrics.status == 200)
        for line in [
            "mqtt_monitor_messages_received_total 4",
            #"mqtt_monitor_value{topic="plant/press7/temp",field="value"} 21.5"#,
            #"mqtt_monitor_value{topic="plant/press7/state",field="rpm"} 1200"#,
            #"mqtt_monitor_value{topic="plant/press7/state",field="load"} 0.75"#,
            #"mqtt_monitor_connected{broker="\#(broker.url)"} 1"#,
            #"mqtt_monitor_topic_last_seen_timestamp_seconds{topic="plant/press7/temp"} "#,
        ] {
            #expect(metrics.body.contains(line), "metrics have \(line)")
        }
        #expect(!metrics.body.contains("field=\"ok\""))

        // The event stream saw each message as an SSE event.
        try await events.waitForLog(containing: "data: {\"topic\":\"plant/press7/state\"")
        // Ids are RUN-SEQUENCE: the monitor's start time, then the message's number.
        #expect(events.log.contains("event: hello\ndata: {\"started\":"))
        #expect(
            events.log.contains(
                "-1\nevent: message\ndata: {\"topic\":\"plant/press7/temp\",\"payload\":\"20.5\""
            ),
            "\(events.log)"
        )

        await #expect(try Curl.request("\(base)/nothing").status == 404)
        let post = try await Curl.request("\(base)/latest", ["-X", "POST", "-d", "x"])
        #expect(post.status == 405)
        let big = try await Curl.request("\(base)/latest", ["-H", "X-Big: " + String(repeating: "b", count: 20_000)])
        #expect(big.status == 413)
        let hostless = try await Curl.request("\(base)/latest", ["-H", "Host:"])
        #expect(hostless.status == 400 && hostless.body.contains("without a Host header"))
        let body = try await Curl.request(
            "\(base)/latest",
            ["-X", "GET", "--data-binary", String(repeating: "x", count: 70_000)]
        )
        #expect(body.status == 413)
        let version = try await Curl.request("\(base)/latest", ["--http1.0"])
        #expect(version.status == 200)
        // Still serving after all that.
        await #expect(try Curl.request("\(base)/readyz").status == 200)
    }

    @Test("out of descriptors, the HTTP server pauses accepting (no spinning), says so, and serves again")
    func descriptorLimit() async throws {
        let broker = try await Mosquitto()
        let port = try HeldPort()
        let monitor = try ExternalProcess(
            "/bin/sh",
            ["-c", "ulimit -n 48 && exec \"$0\" monitor --listen 127.0.0.1:\(port.port)", Binary.path],
            environment: [
                "MQTT_BROKER_URI": broker.url, "MQTT_TOPIC": "plant/#", "MQTT_DEVICE_ID": "press7",
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ],
            separateStandardError: true
        )
        defer { monitor.terminate() }
        let base = "http://127.0.0.1:\(port.port)"
        try await Curl.waitFor("\(base)/readyz") { $0.status == 200 }
        // More connections than the monitor has descriptors left: the kernel completes them all
        // (the backlog holds 128), the monitor accepts until accept(2) fails with EMFILE.
        let clients = try (0..<80).map { _ in try LoopbackClient(port: port.port) }
        try await monitor.waitForLog(containing: "pausing accepts")
        for client in clients { client.close() }
        let metrics = try await Curl.waitFor("\(base)/metrics") { $0.status == 200 }
        let pauses = try #require(
            metrics.body.split(separator: "\n").first { $0.hasPrefix("mqtt_monitor_http_accept_pauses_total ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
        )
        // One pause per 100 ms while the descriptors were gone; a listener polled in a loop would
        // have counted a failed accept for every turn of the loop, millions of them.
        #expect(pauses >= 1 && pauses < 1_000, "\(pauses) pauses")
        #expect(monitor.errorLog.components(separatedBy: "pausing accepts").count - 1 <= Int(pauses))
    }

    @Test("slow clients cannot shut the server out: at the connection limit the least active make room")
    func connectionLimit() async throws {
        let broker = try await Mosquitto()
        let monitor = try await Self.startMonitor(broker, extra: ["--http-max-connections", "50"])
        defer { monitor.process.terminate() }
        // 80 clients holding a place: each starts a request and never finishes it.
        let clients = try (0..<80).map { _ in try LoopbackClient(port: monitor.port.port) }
        for client in clients { client.send("GET /latest HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
        try await monitor.process.waitForLog(containing: "closing the least active to make room")
        let health = try await Curl.request("\(monitor.base)/healthz")
        #expect(health.status == 200)
        withExtendedLifetime(clients) {}
    }

    @Test("a request trickled a byte at a time gets 408 when its time is up, however long the trickle")
    func trickledRequest() async throws {
        let broker = try await Mosquitto()
        let monitor = try await Self.startMonitor(broker, extra: ["--http-request-timeout", "0.5"])
        defer { monitor.process.terminate() }
        let client = try LoopbackClient(port: monitor.port.port)
        client.send("GET /latest HTTP/1.1\r\n")
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while !answer.contains("\r\n\r\n") {
            guard ContinuousClock.now < deadline else { throw TestSupportError("no answer: \(answer)") }
            client.send("X")  // a header that never ends, a byte at a time
            if let more = client.receive() {
                if more.isEmpty { break }
                answer += more
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
    }

    @Test("a bare-LF request is answered 400 at once; an absolute-form target is served (RFC 9112 §3.2.2)")
    func requestForms() async throws {
        let broker = try await Mosquitto()
        let monitor = try await Self.startMonitor(broker)
        defer { monitor.process.terminate() }
        let client = try LoopbackClient(port: monitor.port.port)
        client.send("GET /healthz HTTP/1.1\nHost: x\n\n")
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while !answer.contains("\r\n\r\n") {
            guard ContinuousClock.now < deadline else { throw TestSupportError("no answer: \(answer)") }
            if let more = client.receive() {
                if more.isEmpty { break }
                answer += more
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(answer.hasPrefix("HTTP/1.1 400 "), "\(answer)")
        let absolute = try await Curl.request("\(monitor.base)/", ["--request-target", "http://127.0.0.1/healthz"])
        #expect(absolute.status == 200, "\(absolute.body)")
    }

    @Test("a stuck event-stream client is cut off and never holds up the MQTT side")
    func stuckClient() async throws {
        let broker = try await Mosquitto()
        let monitor = try await Self.startMonitor(broker)
        defer { monitor.process.terminate() }
        // curl reading one byte a second is, for the monitor, a client that does not read.
        let slow = try ExternalProcess(
            Machine.which("curl")!,
            ["-s", "-N", "--limit-rate", "1", "--max-time", "60", "\(monitor.base)/events"]
        )
        defer { slow.terminate() }
        try await Curl.waitFor("\(monitor.base)/metrics") { $0.body.contains("mqtt_monitor_event_stream_clients 1") }
        let payload = String(repeating: "p", count: 4_000)
        try await Self.publish(broker, topic: "plant/press7/bulk", lines: Array(repeating: payload, count: 2_000))
        try await Curl.waitFor("\(monitor.base)/metrics", timeout: .seconds(30)) {
            $0.body.contains("mqtt_monitor_messages_received_total 2000")
                && $0.body.contains("mqtt_monitor_event_stream_clients 0")
        }
        #expect(monitor.process.errorLog.contains("disconnecting an event-stream client that fell behind"))
    }

    @Test("messages published while the monitor restarts are there afterwards")
    func restart() async throws {
        let broker = try await Mosquitto()
        var monitor = try await Self.startMonitor(broker)
        try await Self.publish(broker, topic: "plant/press7/seq", lines: ["before"])
        try await Curl.waitFor("\(monitor.base)/latest") { $0.body.contains("before") }
        #expect(await monitor.process.stop() == 0)

        let missed = (1...25).map { "missed-\($0)" }
        try await Self.publish(broker, topic: "plant/press7/seq", lines: missed)
        monitor = try await Self.startMonitor(broker, port: monitor.port)
        defer { monitor.process.terminate() }
        let history = try await Curl.waitFor("\(monitor.base)/history?limit=100") {
            (try? Self.payloads($0.body).count) == 25
        }
        #expect(try Self.payloads(history.body) == missed)
        #expect(monitor.process.errorLog.contains("session resumed"))
    }

    @Test("upstream down then back: everything forwarded in order; kill -9 mid-outage loses nothing")
    func upstreamOutage() async throws {
        let device = try await Mosquitto()
        let upstream = try await Mosquitto()
        let queue = try TemporaryDirectory(prefix: "queue")
        // Every queued message synchronised to the device before it is acknowledged.
        let options = [
            "--upstream", upstream.url, "--upstream-topic", "edge/{device}/{topic}", "--queue-dir", queue.path,
            "--fsync", "always",
        ]
        // A persistent subscriber upstream: it reconnects by itself, and its session (kept in the
        // upstream's persistence file) holds what arrives while it is away.
        let subscriber = try Binary.start([
            "sub", "--url", upstream.url, "-t", "edge/#", "-q", "1", "--no-clean", "-i", "edge-reader",
            "--output", "json", "--log-level", "info",
        ])
        defer { subscriber.terminate() }
        try await subscriber.waitForLog(containing: "subscribed")

        var monitor = try await Self.startMonitor(device, extra: options)
        try await Self.publish(device, topic: "plant/press7/seq", lines: ["live-0"])
        try await subscriber.waitForLog(containing: "live-0")

        // Phase 1: the upstream goes away; messages wait on disk; it comes back.
        await upstream.stop()
        let first = (1...40).map { "outage-\($0)" }
        try await Self.publish(device, topic: "plant/press7/seq", lines: first)
        try await Curl.waitFor("\(monitor.base)/metrics") {
            $0.body.contains("mqtt_monitor_messages_received_total 41")
                && $0.body.contains("mqtt_monitor_upstream_connected{broker=\"\(upstream.url)\"} 0")
        }
        let queued = try await Curl.request("\(monitor.base)/metrics").body
        #expect(!queued.contains("mqtt_monitor_upstream_queue_bytes 0\n"))
        try await upstream.start()
        try await subscriber.waitForLog(containing: "outage-40", timeout: .seconds(30))

        // Phase 2: the upstream goes away again, and the monitor is killed with messages queued.
        await upstream.stop()
        let second = (1...30).map { "killed-\($0)" }
        try await Self.publish(device, topic: "plant/press7/seq", lines: second)
        try await Curl.waitFor("\(monitor.base)/metrics") {
            $0.body.contains("mqtt_monitor_messages_received_total 71")
        }
        await monitor.process.stop(signal: SIGKILL)
        try await upstream.start()
        monitor = try await Self.startMonitor(device, port: monitor.port, extra: options)
        defer { monitor.process.terminate() }
        try await subscriber.waitForLog(containing: "killed-30", timeout: .seconds(30))

        let received = subscriber.log.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            #expect(object["topic"] as? String == "edge/press7/plant/press7/seq")
            return object["payload"] as? String
        }
        // At least once: a message in flight when the monitor was killed may come twice, but none
        // is missing and the order holds.
        var unique: [String] = []
        for payload in received where unique.last != payload && !unique.contains(payload) { unique.append(payload) }
        #expect(unique == ["live-0"] + first + second)
        try await Curl.waitFor("\(monitor.base)/metrics") { $0.body.contains("mqtt_monitor_upstream_queue_bytes 0\n") }
    }

    @Test("numbers reach InfluxDB and can be queried afterwards")
    func influx() async throws {
        let broker = try await Mosquitto()
        let influx = try await InfluxDB()
        _ = try await influx.query("CREATE DATABASE telemetry")
        let monitor = try await Self.startMonitor(
            broker,
            extra: ["--influxdb", "\(influx.url)/write?db=telemetry", "--measurement", "press"]
        )
        defer { monitor.process.terminate() }
        try await Self.publish(broker, topic: "plant/press7/temp", lines: ["20.5", "21.25"])
        try await Self.publish(
            broker,
            topic: "plant/press7/state",
            lines: [#"{"rpm": 1200, "mode": "auto"}"#, "not a number"]
        )
        try await Curl.waitFor("\(monitor.base)/metrics") {
            $0.body.contains("mqtt_monitor_influxdb_points_written_total 3")
        }
        let temperatures = try await influx.query(
            "SELECT value FROM press WHERE device = 'press7' AND topic = 'plant/press7/temp'",
            database: "telemetry"
        )
        #expect(temperatures.contains("20.5") && temperatures.contains("21.25"), "\(temperatures)")
        let rpm = try await influx.query(
            "SELECT rpm FROM press WHERE topic = 'plant/press7/state'",
            database: "telemetry"
        )
        #expect(rpm.contains("1200"), "\(rpm)")
        await #expect(
            try Curl.request("\(monitor.base)/metrics").body.contains("mqtt_monitor_influxdb_points_dropped_total 0")
        )
    }

    @Test("InfluxDB away for a while: points wait, are retried with backoff, and arrive")
    func influxOutage() async throws {
        let broker = try await Mosquitto()
        let influx = try await InfluxDB()
        _ = try await influx.query("CREATE DATABASE telemetry")
        await influx.stop()
        let monitor = try await Self.startMonitor(broker, extra: ["--influxdb", "\(influx.url)/write?db=telemetry"])
        defer { monitor.process.terminate() }
        try await Self.publish(broker, topic: "plant/press7/temp", lines: ["7.25", "8.5"])
        try await monitor.process.waitForLog(containing: "writing to InfluxDB failed; retrying")
        await #expect(
            try Curl.request("\(monitor.base)/metrics").body.contains("mqtt_monitor_influxdb_points_written_total 0")
        )
        try await influx.start()
        try await Curl.waitFor("\(monitor.base)/metrics", timeout: .seconds(40)) {
            $0.body.contains("mqtt_monitor_influxdb_points_written_total 2")
        }
        let values = try await influx.query("SELECT value FROM mqtt", database: "telemetry")
        #expect(values.contains("7.25") && values.contains("8.5"), "\(values)")
        await #expect(
            try Curl.request("\(monitor.base)/metrics").body.contains("mqtt_monitor_influxdb_points_dropped_total 0")
        )
    }

    @Test("InfluxDB refusing a batch: dropped, counted and logged with its reason")
    func influxRefuses() async throws {
        let broker = try await Mosquitto()
        let influx = try await InfluxDB()
        let monitor = try await Self.startMonitor(broker, extra: ["--influxdb", "\(influx.url)/write?db=missing"])
        defer { monitor.process.terminate() }
        try await Self.publish(broker, topic: "plant/press7/temp", lines: ["1"])
        try await Curl.waitFor("\(monitor.base)/metrics") {
            $0.body.contains("mqtt_monitor_influxdb_points_dropped_total 1")
        }
        #expect(monitor.process.errorLog.contains("database not found"))
    }

    @Test("run --exec starts a monitor per discovered instance, serving that device's data")
    func perInstance() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "run")
        let details = try directory.write("plant.yaml", EndToEndTests.details(broker))
        // device-N listens on the N-th port held here.
        let ports = [try HeldPort(), try HeldPort()]
        let command = """
            case $MQTT_DEVICE_ID in device-1) port=\(ports[0].port);; device-2) port=\(ports[1].port);; esac
            exec '\(Binary.path)' monitor --listen 127.0.0.1:$port
            """
        let run = try Binary.start(["run", "-c", details, "--output", "json", "--exec", command])
        defer { run.terminate() }
        let devices = try EndToEndTests.simulate(broker, devices: 2, first: 1)
        defer { devices.terminate() }
        for (index, port) in ports.enumerated() {
            let device = index + 1
            let latest = try await Curl.waitFor("http://127.0.0.1:\(port.port)/latest", timeout: .seconds(20)) {
                $0.body.contains("temperature")
            }
            #expect(latest.body.contains("\"topic\":\"demo/device-\(device)/telemetry\""), "\(latest.body)")
            #expect(!latest.body.contains("device-\(3 - device)/"))
        }
    }
}

/// A TCP connection to a loopback port that the test holds open and sends nothing on.
final class LoopbackClient {
    private var descriptor: Int32

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        // Loopback connections complete in the kernel's backlog, accepted or not.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            Glibc.close(descriptor)
            throw TestSupportError("connect to port \(port): errno \(errno)")
        }
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends `text` (small: the socket buffer takes it at once).
    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What has arrived, without waiting: nil when nothing has, "" once the peer has closed.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count < 0 { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    deinit { close() }
}
