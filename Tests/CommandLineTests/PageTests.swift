import Foundation
import Glibc
import TestSupport
import Testing

/// The pages, in a real browser: Debian's chromium, headless, driven by selenium through
/// chromedriver (`Tests/Peers/browser.py`), which reads what each page shows from its DOM.
/// Real mosquitto, `simulate`, `run --http` and `monitor`. Screenshots go to `.build/screenshots/`.
@Suite("pages in a real browser")
struct PageTests {
    static let screenshots = "\(Peers.root)/.build/screenshots"

    static func rows(_ event: [String: Any]) -> [[String: Any]] {
        event["rows"] as? [[String: Any]] ?? []
    }

    static func live(_ event: [String: Any]) -> Set<String> {
        Set(rows(event).filter { $0["state"] as? String == "live" }.compactMap { $0["device"] as? String })
    }

    /// `run` with its pages on a port of their own, once it serves them and has subscribed.
    static func startRun(
        _ configuration: String,
        directory: TemporaryDirectory
    ) async throws -> (run: ExternalProcess, port: HeldPort) {
        let port = try HeldPort()
        let run = try Binary.start([
            "run", "-c", configuration, "--directory", directory.path, "--http", "127.0.0.1:\(port.port)",
            "--log-level", "info",
        ])
        try await run.waitForLog(containing: "serving metrics and health")
        try await run.waitForLog(containing: "subscribed broker=")
        return (run, port)
    }

    /// Waits for the browser's screenshot of the moment and checks it is a PNG.
    static func screenshot(_ browser: ExternalProcess, _ path: String) async throws {
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let count = browser.events.count { $0["event"] as? String == "screenshot" }
        browser.send(SIGUSR1)
        try await browser.waitForEvent("screenshot", count: count + 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG at \(path)")
    }

    @Test("the instances page: three devices live, a killed one marked removed with its reason, device strings inert")
    func instancesPage() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "pages")
        let monitorPort = try HeldPort()
        let configuration = try directory.writeConfiguration(
            "plant.yaml",
            name: "plant",
            details: """
                mqttBrokerUri: \(broker.url)
                topics:
                  - filter: plant/{device}/telemetry
                    timeoutSeconds: 60
                  - filter: plant/{device}/status
                    online: online
                    offline: offline
                """,
            spec: """
                brokerProperties:
                  MONITOR_URL: "http://127.0.0.1:\(monitorPort.port)/"
                  NOT_A_LINK: "javascript:window.__xss=true"
                """
        )
        let (run, port) = try await Self.startRun(configuration, directory: directory)
        let simulate = { (devices: Int, first: Int) in
            try Binary.start([
                "simulate", "--url", broker.url, "--devices", "\(devices)", "--first", "\(first)",
                "--topic", "plant/{device}/telemetry", "--will", "plant/{device}/status", "--interval", "0.5",
            ])
        }
        let steady = try simulate(2, 1)
        let doomed = try simulate(1, 3)
        // A device whose id is markup: it must show as text and run nothing.
        let hostile = #""><img src=x onerror="window.__xss=true">"#
        try await Devices.publish(broker, "plant/\(hostile)/status", "online")

        let path = "\(Self.screenshots)/instances-page.png"
        let browser = try Peers.start("browser.py", ["agent", "http://127.0.0.1:\(port.port)/", "--screenshot", path])
        try await browser.waitForEvent("opened", timeout: .seconds(60))
        let all: Set = ["device-1", "device-2", "device-3", hostile]
        let shown = try await browser.waitForEvent("rows") { Self.live($0) == all }
        #expect((shown["counts"] as? [String]) == ["plant: 4 instances"])
        let first = try #require(Self.rows(shown).first)
        #expect(first["links"] as? [String] == ["http://127.0.0.1:\(monitorPort.port)/"], "only the http URL is a link")
        #expect((first["properties"] as? String)?.contains("NOT_A_LINK=javascript:window.__xss=true") == true)

        // device-3 loses power: the broker publishes its will, and the row says so.
        let killed = ContinuousClock.now
        await doomed.stop(signal: SIGKILL)
        let removed = try await browser.waitForEvent("rows") { event in
            Self.rows(event).contains { $0["device"] as? String == "device-3" && $0["state"] as? String == "removed" }
        }
        print("the instances page showed device-3 removed \(ContinuousClock.now - killed) after kill -9")
        let row = try #require(Self.rows(removed).first { $0["device"] as? String == "device-3" })
        // The handler's engine says why: the will is an offline status (the agent's own fallback,
        // "the handler no longer reports the device", is for handlers that do not say).
        #expect(row["reason"] as? String == "offline status, from its will or itself", "\(row)")
        #expect(Self.live(removed) == all.subtracting(["device-3"]))
        #expect((removed["counts"] as? [String]) == ["plant: 3 instances"])
        #expect(removed["brokers"] as? Int == 1, "run shows its broker's conditions")
        try await Self.screenshot(browser, path)

        let last = try #require(browser.events.last { $0["event"] as? String == "rows" })
        #expect(last["images"] as? Int == 0, "the markup in the id stayed text")
        #expect(last["injected"] as? Bool == false)
        #expect(!browser.events.contains { $0["event"] as? String == "alert" })
        #expect(await browser.stop() == 0)
        await steady.stop()
        #expect(await run.stop() == 0)
    }

    @Test("a monitor's page: the chart gains points as messages arrive, payloads stay text, it reconnects by itself")
    func monitorPage() async throws {
        let broker = try await Mosquitto()
        let monitor = try await MonitorCommandTests.startMonitor(broker)
        let path = "\(Self.screenshots)/monitor-page.png"
        // Something to seed the chart from /history before the page opens.
        try await MonitorCommandTests.publish(
            broker,
            topic: "plant/press7/telemetry",
            lines: [#"{"temperature": 20.5}"#]
        )
        try await Curl.waitFor("\(monitor.base)/latest") { $0.body.contains("20.5") }
        let browser = try Peers.start("browser.py", ["monitor", "\(monitor.base)/", "--screenshot", path])
        try await browser.waitForEvent("opened", timeout: .seconds(60))
        func points(_ event: [String: Any]) -> Int {
            (event["charts"] as? [String: Int])?["plant/press7/telemetry temperature"] ?? 0
        }
        func streaming(_ event: [String: Any]) -> Bool { (event["stream"] as? String)?.hasSuffix(": on") == true }
        let seeded = try await browser.waitForEvent("page") { points($0) == 1 && streaming($0) }
        #expect(seeded["device"] as? String == "press7")
        #expect(seeded["connection"] as? String == "broker: connected, subscribed")

        // Each message adds a point, as it arrives.
        for (index, value) in [21.0, 21.5, 22.25].enumerated() {
            try await MonitorCommandTests.publish(
                broker,
                topic: "plant/press7/telemetry",
                lines: ["{\"temperature\": \(value), \"humidity\": \(40 + index)}"]
            )
            try await browser.waitForEvent("page") { points($0) == 2 + index }
        }
        // Payloads that are markup and script stay text.
        let script = "<script>window.__xss=true</script>"
        let image = #""><img src=x onerror="window.__xss=true;alert(1)">"#
        try await MonitorCommandTests.publish(broker, topic: "plant/press7/note", lines: [script])
        try await MonitorCommandTests.publish(broker, topic: "plant/press7/label", lines: [image])
        let hostile = try await browser.waitForEvent("page") { event in
            let latest = event["latest"] as? [String: String] ?? [:]
            return latest["plant/press7/note"] == script && latest["plant/press7/label"] == image
        }
        #expect(hostile["images"] as? Int == 0)
        #expect(hostile["injected"] as? Bool == false)
        #expect((hostile["charts"] as? [String: Int])?["plant/press7/telemetry humidity"] == 3)
        try await Self.screenshot(browser, path)

        // The monitor restarts: the page says it is disconnected, reconnects by itself, and
        // what arrives after is charted (the new run numbers its messages from 1 again).
        #expect(await monitor.process.stop() == 0)
        try await browser.waitForEvent("page") { ($0["stream"] as? String)?.contains("disconnected") == true }
        // Published while the page is away: the restarted monitor has it, and the page gets it
        // when it reconnects (its Last-Event-ID is of the old run, so it is sent all there is).
        let again = try await MonitorCommandTests.startMonitor(broker, port: monitor.port)
        try await MonitorCommandTests.publish(broker, topic: "plant/press7/telemetry", lines: [#"{"temperature": 23}"#])
        try await browser.waitForEvent("page") { points($0) == 5 && streaming($0) }
        #expect(!browser.events.contains { $0["event"] as? String == "alert" })
        #expect(await browser.stop() == 0)
        #expect(await again.process.stop() == 0)
    }

    @Test("in a narrow window (360 px) both pages fit its width: rows become blocks, each cell with its column's name")
    func narrowWindow() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "narrow")
        let configuration = try directory.writeConfiguration(
            "plant.yaml",
            name: "plant",
            details: """
                mqttBrokerUri: \(broker.url)
                topics:
                  - plant/{device}/telemetry
                """
        )
        let (run, port) = try await Self.startRun(configuration, directory: directory)
        let device = "press-with-a-long-name-\(String(repeating: "x", count: 40))"
        try await Devices.publish(broker, "plant/\(device)/telemetry", "1")
        let agent = try Peers.start(
            "browser.py",
            [
                "agent", "http://127.0.0.1:\(port.port)/", "--width", "360", "--screenshot",
                "\(Self.screenshots)/instances-narrow.png",
            ]
        )
        let shown = try await agent.waitForEvent("rows", timeout: .seconds(60)) { Self.live($0) == [device] }
        #expect(shown["overflow"] as? Int == 0, "no sideways scrolling: \(shown)")
        #expect(
            shown["labels"] as? [String] == ["State", "Instance", "Configuration", "Device", "Properties", "Since"]
        )
        #expect(shown["headerShown"] as? Bool == false, "the labels stand in for the header row")
        try await Self.screenshot(agent, "\(Self.screenshots)/instances-narrow.png")
        #expect(await agent.stop() == 0)

        let monitor = try await MonitorCommandTests.startMonitor(broker)
        try await MonitorCommandTests.publish(
            broker,
            topic: "plant/press7/telemetry",
            lines: [#"{"temperature": 20.5}"#]
        )
        try await Curl.waitFor("\(monitor.base)/latest") { $0.body.contains("20.5") }
        let page = try Peers.start("browser.py", ["monitor", "\(monitor.base)/", "--width", "360"])
        let charted = try await page.waitForEvent("page", timeout: .seconds(60)) { event in
            (event["charts"] as? [String: Int])?["plant/press7/telemetry temperature"] == 1
        }
        #expect(charted["overflow"] as? Int == 0, "no sideways scrolling: \(charted)")
        #expect(await page.stop() == 0)
        #expect(await monitor.process.stop() == 0)
        #expect(await run.stop() == 0)
    }

    @Test("the pages' endpoints: HTML for browsers, the old answers for curl, a strict Content-Security-Policy")
    func endpoints() async throws {
        let broker = try await Mosquitto()
        let monitor = try await MonitorCommandTests.startMonitor(broker)
        // -D -: the response head before the body.
        let page = try await Curl.request("\(monitor.base)/", ["-H", "Accept: text/html", "-D", "-"])
        #expect(page.status == 200)
        let parts = page.body.components(separatedBy: "\r\n\r\n")
        let head = parts[0].lowercased()
        #expect(parts.dropFirst().joined().hasPrefix("<!doctype html>"))
        #expect(head.contains("content-security-policy: default-src 'none'; script-src 'self';"), "\(head)")
        #expect(head.contains("content-type: text/html; charset=utf-8"))
        let script = try await Curl.request("\(monitor.base)/monitor.js")
        #expect(script.status == 200 && script.body.contains("new EventSource(\"/events\")"))
        let plain = try await Curl.request("\(monitor.base)/")
        #expect(plain.body.hasPrefix("mqtt-discovery monitor for device press7"), "curl keeps the summary")
        // Last-Event-ID of this run: what came after it is sent first; of another run: all.
        try await MonitorCommandTests.publish(broker, topic: "plant/press7/count", lines: ["1", "2", "3"])
        try await Curl.waitFor("\(monitor.base)/history?topic=plant/press7/count") { $0.body.contains("\"3\"") }
        // curl reads the stream until the event awaited has come.
        func stream(_ headers: [String], until text: String) async throws -> String {
            let curl = try ExternalProcess(
                try Machine.require("curl"),
                ["-s", "-N"] + headers.flatMap { ["-H", $0] } + ["\(monitor.base)/events"],
                separateStandardError: true
            )
            try await curl.waitForLog(containing: text)
            await curl.stop()
            return curl.log
        }
        let first = try await stream([], until: "}\n\n")  // the hello event, whole
        let started = try #require(
            first.split(separator: "\n").first { $0.hasPrefix("data: {\"started\":") }?
                .dropFirst("data: {\"started\":".count).dropLast()
        )
        let resumed = try await stream(["Last-Event-ID: \(started)-1"], until: "id: \(started)-3\n")
        #expect(!resumed.contains("id: \(started)-1\n"), "\(resumed)")
        let other = try await stream(["Last-Event-ID: 12-3"], until: "id: \(started)-3\n")
        #expect(other.contains("id: \(started)-1\n"), "another run's id: everything held")
        let status = try await Curl.request("\(monitor.base)/status")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])
        #expect(json["device"] as? String == "press7")
        #expect(json["connected"] as? Bool == true)
        #expect(await monitor.process.stop() == 0)
    }
}
