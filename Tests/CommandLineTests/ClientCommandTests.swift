import Foundation
import IO
import MQTTClient
import MQTTCodec
import MQTTSession
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `sub` and `pub` as a user runs them, against a real mosquitto.
@Suite("sub and pub against mosquitto", .serialized)
struct ClientCommandTests {
    @Test("pub at QoS 0, 1 and 2 and sub -C with JSON output", arguments: ["3.1.1", "5"])
    func pubSub(_ version: String) async throws {
        let broker = try await Mosquitto()
        let sub = try Binary.start([
            "sub", "--url", broker.url, "--protocol", version, "-t", "cli/#", "-q", "2", "-C", "4", "--output", "json",
            "--log-level", "info",
        ])
        try await sub.waitForLog(containing: "subscribed")
        for qos in ["0", "1", "2"] {
            let pub = try await Binary.run(
                [
                    "pub", "--url", broker.url, "--protocol", version, "-t", "cli/q\(qos)", "-m", "qos \(qos)", "-q",
                    qos,
                ],
                timeout: .seconds(10)
            )
            #expect(pub.status == 0, "\(pub.standardError)")
        }
        let lines = try await Binary.run(
            ["pub", "--url", broker.url, "-t", "cli/lines", "-l", "-q", "1"],
            input: "ignored-after-count\n",
            timeout: .seconds(10)
        )
        #expect(lines.status == 0)
        let status = await sub.waitForExit(timeout: .seconds(10))
        #expect(status == 0)
        let output = sub.log.split(separator: "\n").map(String.init)
        #expect(
            output == [
                #"{"topic":"cli/q0","payload":"qos 0","qos":0,"retain":false}"#,
                #"{"topic":"cli/q1","payload":"qos 1","qos":1,"retain":false}"#,
                #"{"topic":"cli/q2","payload":"qos 2","qos":2,"retain":false}"#,
                #"{"topic":"cli/lines","payload":"ignored-after-count","qos":1,"retain":false}"#,
            ]
        )
    }

    @Test("a client of a tcp:// broker never maps OpenSSL (it is loaded by the first TLS connection)")
    func openSSLOnlyForTLS() async throws {
        let broker = try await Mosquitto()
        let sub = try Binary.start(["sub", "--url", broker.url, "-t", "idle/#", "--log-level", "info"])
        try await sub.waitForLog(containing: "subscribed")
        let maps = try String(contentsOfFile: "/proc/\(sub.pid)/maps", encoding: .utf8)
        #expect(!maps.contains("libssl"), "libssl is mapped")
        #expect(!maps.contains("libcrypto"), "libcrypto is mapped")
        #expect(await sub.stop() == 0)
    }

    @Test("SIGTERM while the broker has not answered CONNECT: a clean exit at once, not the connect timeout's 69")
    func signalBeforeConnAck() async throws {
        let broker = try await ScriptedBroker { _, _ in [] }
        let sub = try Binary.start(["sub", "--url", broker.url, "-t", "x", "--connect-timeout", "600"])
        try await broker.waitFor("CONNECT") { if case .connect = $0 { true } else { false } }
        #expect(await sub.stop(grace: .seconds(20)) == 0, "\(sub.errorLog)")
    }

    @Test("SIGINT while the broker has not answered SUBSCRIBE: DISCONNECT and a clean exit")
    func signalBeforeSubAck() async throws {
        let broker = try await ScriptedBroker { packet, _ in
            if case .connect = packet { [.packet(.connack(ConnAckPacket()))] } else { [] }
        }
        let sub = try Binary.start(["sub", "--url", broker.url, "-t", "x"])
        try await broker.waitFor("SUBSCRIBE") { if case .subscribe = $0 { true } else { false } }
        #expect(await sub.stop(signal: SIGINT, grace: .seconds(20)) == 0, "\(sub.errorLog)")
        #expect(broker.received.contains { if case .disconnect = $0 { true } else { false } })
    }

    @Test("a broker that acknowledges QoS 2 with PUBACK (RabbitMQ 3.10): pub says so and exits 76, no hang")
    func pubAckForQoS2() async throws {
        let broker = try await ScriptedBroker { packet, _ in
            switch packet {
            case .connect: [.packet(.connack(ConnAckPacket()))]
            case .publish(let publish):
                [.packet(.puback(PubAckPacket(packetIdentifier: publish.packetIdentifier ?? 0)))]
            default: []
            }
        }
        let result = try await Binary.run(
            ["pub", "--url", broker.url, "-t", "t", "-m", "x", "-q", "2"],
            timeout: .seconds(30)
        )
        #expect(result.status == 76)
        #expect(result.standardError.contains("PUBACK for QoS 2 message"), "\(result.standardError)")
    }

    @Test("3.1.1: a retained 20 MB message (legal under 3.1.1) is skipped and acknowledged; what follows arrives")
    func oversizedUnder311() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory()
        let big = try directory.write("big", bytes: [UInt8](repeating: 0x61, count: 20 << 20))
        try await Devices.publish(broker, "big/retained", file: big, retain: true)
        let session = ["--url", broker.url, "--protocol", "3.1.1", "-t", "big/#", "-t", "small/#", "-q", "1"]
        let sub = try Binary.start(["sub"] + session + ["--no-clean", "-i", "oversized", "--log-level", "info"])
        try await sub.waitForLog(containing: "subscribed")
        try await sub.waitForLog(containing: "skipped a message of 20971541 bytes on big/retained")
        try await Devices.publish(broker, "small/after", "still here")
        try await sub.waitForLog(containing: "small/after still here")
        #expect(await sub.stop() == 0)
        // Acknowledged: a new connection of the same session gets nothing more of it.
        let again = try Binary.start(["sub"] + session + ["--no-clean", "-i", "oversized", "--log-level", "info"])
        try await again.waitForLog(containing: "subscribed")
        try await Devices.publish(broker, "small/marker", "m")
        try await again.waitForLog(containing: "small/marker m")
        #expect(
            again.errorLog.components(separatedBy: "skipped a message").count - 1 <= 1,
            "retained again on resubscribe only"
        )
        #expect(sub.errorLog.components(separatedBy: "skipped a message").count - 1 == 1, "said once")
        #expect(!sub.errorLog.contains("malformed"), "\(sub.errorLog)")
        #expect(await again.stop() == 0)
    }

    @Test("a broker that floods QoS 1 and never reads: sub stops reading, so its memory stays bounded")
    func floodWithoutReading() async throws {
        let broker = try FloodingBroker()
        defer { broker.stop() }
        let sub = try Binary.start(
            ["sub", "--url", "tcp://127.0.0.1:\(broker.port)", "-t", "flood/#", "-q", "1", "--log-level", "info"],
            discardingOutput: true
        )
        // A bound against hanging only: how soon depends on the machine's socket buffers and load.
        try await sub.waitForLog(containing: "reading paused until it does", timeout: .seconds(120))
        let rss = try #require(Machine.residentKiB(sub.pid))
        // The acknowledgements waiting are capped at 1 MiB; the process is ~12 MiB idle.
        #expect(rss < 40_000, "sub's resident set is \(rss) KiB after \(broker.bytesSent) bytes of messages")
        broker.stop()
        #expect(await sub.stop() == 0)
    }

    @Test("pub -f, -s and -l send bytes as they are; -D adds user properties, which sub --output json shows")
    func binarySafePublishing() async throws {
        let broker = try await Mosquitto()
        let sub = try Binary.start([
            "sub", "--url", broker.url, "-t", "bytes/#", "-C", "4", "--output", "json", "--log-level", "info",
        ])
        try await sub.waitForLog(containing: "subscribed")
        let directory = try TemporaryDirectory()
        let file = try directory.write("payload", bytes: [0xFF, 0xFE, 0x41])
        let fromFile = try await Binary.run(
            [
                "pub", "--url", broker.url, "-t", "bytes/file", "-f", file, "-D", "origin", "file", "-D", "origin",
                "again",
            ]
        )
        #expect(fromFile.status == 0, "\(fromFile.standardError)")
        let fromStdin = try await Binary.run(["pub", "--url", broker.url, "-t", "bytes/stdin", "-s"], input: "a\nb\n")
        #expect(fromStdin.status == 0, "\(fromStdin.standardError)")
        let lines = try await Binary.run(["pub", "--url", broker.url, "-t", "bytes/lines", "-l"], input: "one\ntwo")
        #expect(lines.status == 0, "\(lines.standardError)")
        #expect(await sub.waitForExit() == 0)
        #expect(
            sub.log.split(separator: "\n").map(String.init) == [
                #"{"topic":"bytes/file","payload":"//5B","encoding":"base64","qos":0,"retain":false,"userProperties":[{"name":"origin","value":"file"},{"name":"origin","value":"again"}]}"#,
                #"{"topic":"bytes/stdin","payload":"a\nb\n","qos":0,"retain":false}"#,
                #"{"topic":"bytes/lines","payload":"one","qos":0,"retain":false}"#,
                #"{"topic":"bytes/lines","payload":"two","qos":0,"retain":false}"#,
            ]
        )
        let two = try await Binary.run(["pub", "--url", broker.url, "-t", "x", "-m", "a", "-s"])
        #expect(two.status == 64)
        #expect(two.standardError.contains("give exactly one of -m TEXT, -f FILE, -s and -l"))
    }

    @Test("a payload that is not UTF-8 is printed in base64, in text and JSON")
    func binaryPayload() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let publisher = MQTTClient(
            configuration: ClientConfiguration(url: try BrokerURL(broker.url), clientIdentifier: "bin"),
            eventLoop: loop
        )
        try await publisher.connect()
        try await publisher.publish(
            Message(topic: "bin/x", payload: [0xFF, 0x00, 0x10], qos: .atLeastOnce, retain: true)
        )
        let json = try await Binary.run(
            ["sub", "--url", broker.url, "-t", "bin/#", "-C", "1", "--output", "json"],
            timeout: .seconds(10)
        )
        #expect(
            json.standardOutput == #"{"topic":"bin/x","payload":"/wAQ","encoding":"base64","qos":0,"retain":true}"#
                + "\n"
        )
        let text = try await Binary.run(["sub", "--url", broker.url, "-t", "bin/#", "-C", "1"], timeout: .seconds(10))
        #expect(text.standardOutput == "bin/x base64:/wAQ\n")
        await publisher.disconnect()
    }

    @Test("sub -C with a persistent session leaves the messages past COUNT with the broker")
    func countLosesNothing() async throws {
        let broker = try await Mosquitto()
        let session = ["--url", broker.url, "--no-clean", "-i", "counted", "-t", "count/#", "-q", "1"]
        // Make the session: subscribe, take one message, go away.
        let first = try Binary.start(["sub"] + session + ["-C", "1", "--log-level", "info"])
        try await first.waitForLog(containing: "subscribed")
        _ = try await Binary.run(
            ["pub", "--url", broker.url, "-t", "count/0", "-m", "0", "-q", "1"],
            timeout: .seconds(10)
        )
        #expect(await first.waitForExit(timeout: .seconds(10)) == 0)
        // Five messages queue up while nobody is connected.
        for index in 1...5 {
            _ = try await Binary.run(
                ["pub", "--url", broker.url, "-t", "count/\(index)", "-m", "\(index)", "-q", "1"],
                timeout: .seconds(10)
            )
        }
        // Take two: the broker sends all five at once; three are declined, not acknowledged.
        let two = try await Binary.run(["sub"] + session + ["-C", "2"], timeout: .seconds(10))
        #expect(two.standardOutput == "count/1 1\ncount/2 2\n")
        // The other three are still there.
        let rest = try await Binary.run(["sub"] + session + ["-C", "3"], timeout: .seconds(10))
        #expect(rest.standardOutput == "count/3 3\ncount/4 4\ncount/5 5\n")
    }

    @Test("a refused connection prints one line and exits non-zero")
    func refused() async throws {
        let broker = try await Mosquitto(.init(users: ["u": "p"]))
        let result = try await Binary.run(
            ["pub", "--url", broker.url, "-t", "x", "-m", "y", "--username", "u"],
            timeout: .seconds(10)
        )
        #expect(result.status == 77)
        #expect(result.standardError == "error: the broker refused the connection: 0x87 (Not authorized)\n")
        let closed = try HeldPort()  // bound, never listening: connecting is refused
        let unreachable = try await Binary.run(
            ["sub", "--url", "tcp://127.0.0.1:\(closed.port)", "-t", "x"],
            timeout: .seconds(10)
        )
        #expect(unreachable.status == 69)
        #expect(unreachable.standardError.hasPrefix("error: cannot reach the broker: connecting to 127.0.0.1:"))
        #expect(unreachable.standardError.split(separator: "\n").count == 1)
    }

    @Test("the will is published when the client's process is killed")
    func will() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let inbox = WillInbox()
        let observer = MQTTClient(
            configuration: ClientConfiguration(url: try BrokerURL(broker.url), clientIdentifier: "observer"),
            eventLoop: loop,
            onMessage: inbox.handler
        )
        try await observer.connect()
        try await observer.subscribe([Subscription(topicFilter: "status/#")])
        let device = try Binary.start([
            "sub", "--url", broker.url, "-t", "commands/#", "--will-topic", "status/device7", "--will-payload",
            "offline",
            "--will-qos", "1", "--log-level", "info",
        ])
        try await device.waitForLog(containing: "connected")
        await device.stop(signal: 9)
        let message = try await inbox.first(timeout: .seconds(5))
        #expect(message.topic == "status/device7")
        #expect(String(decoding: message.payload, as: UTF8.self) == "offline")
        await observer.disconnect()
    }

    @Test("a clean exit sends DISCONNECT, so the will is not published")
    func noWillOnCleanExit() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let inbox = WillInbox()
        let observer = MQTTClient(
            configuration: ClientConfiguration(url: try BrokerURL(broker.url), clientIdentifier: "observer"),
            eventLoop: loop,
            onMessage: inbox.handler
        )
        try await observer.connect()
        try await observer.subscribe([Subscription(topicFilter: "status/#")])
        let device = try Binary.start([
            "sub", "--url", broker.url, "-t", "commands/#", "--will-topic", "status/device8", "--will-payload",
            "offline",
            "--log-level", "info",
        ])
        try await device.waitForLog(containing: "connected")
        #expect(await device.stop() == 0)  // SIGTERM: disconnect and exit 0
        // Published after the device's connection ended: a will, had there been one, would have
        // reached the observer first.
        try await observer.publish(Message(topic: "status/marker", payload: [1], qos: .atLeastOnce))
        let first = try await inbox.first(timeout: .seconds(10))
        #expect(first.topic == "status/marker")
        #expect(inbox.count == 1)
        await observer.disconnect()
    }
}

@Suite("TLS from the command line against mosquitto", .serialized)
struct TLSCommandTests {
    let directory: TemporaryDirectory
    let certificates: Certificates

    init() async throws {
        directory = try TemporaryDirectory()
        certificates = try await Certificates.make(in: directory)
    }

    @Test("verified TLS works; a wrong CA and a wrong host name are refused with OpenSSL's reason")
    func verification() async throws {
        let broker = try await Mosquitto(.init(certificates: certificates))
        let good = try await Binary.run(
            [
                "pub", "--url", "ssl://localhost:\(broker.tlsPort!)", "--cafile", certificates.caFile, "-t", "t", "-m",
                "m", "-q", "1",
            ],
            timeout: .seconds(10)
        )
        #expect(good.status == 0, "\(good.standardError)")
        let wrongCA = try await Binary.run(
            [
                "pub", "--url", "mqtts://localhost:\(broker.tlsPort!)", "--cafile", certificates.otherCAFile, "-t", "t",
                "-m", "m",
            ],
            timeout: .seconds(10)
        )
        #expect(wrongCA.status == 69)
        // OpenSSL's reason depends on whether the broker sends its CA in the chain (mosquitto does).
        #expect(
            [
                "error: TLS verification failed: self-signed certificate in certificate chain\n",
                "error: TLS verification failed: unable to get local issuer certificate\n",
            ].contains(wrongCA.standardError),
            "\(wrongCA.standardError)"
        )
        let wrongHost = try await Binary.run(
            [
                "pub", "--url", "ssl://localhost:\(broker.wrongHostTLSPort!)", "--cafile", certificates.caFile, "-t",
                "t", "-m", "m",
            ],
            timeout: .seconds(10)
        )
        #expect(wrongHost.status == 69)
        #expect(wrongHost.standardError == "error: TLS verification failed: hostname mismatch\n")
        let insecure = try await Binary.run(
            ["pub", "--url", "ssl://localhost:\(broker.wrongHostTLSPort!)", "--insecure", "-t", "t", "-m", "m"],
            timeout: .seconds(10)
        )
        #expect(insecure.status == 0)
        #expect(insecure.standardError.contains("warning pub: TLS certificate verification is off"))
    }

    @Test("mutual TLS: with the client certificate it works, without it does not")
    func mutualTLS() async throws {
        let broker = try await Mosquitto(.init(certificates: certificates))
        let url = "ssl://127.0.0.1:\(broker.mutualTLSPort!)"
        let with = try await Binary.run(
            [
                "pub", "--url", url, "--cafile", certificates.caFile, "--cert", certificates.clientCertificate,
                "--key", certificates.clientKey, "-t", "t", "-m", "m", "-q", "1",
            ],
            timeout: .seconds(10)
        )
        #expect(with.status == 0, "\(with.standardError)")
        let without = try await Binary.run(
            ["pub", "--url", url, "--cafile", certificates.caFile, "-t", "t", "-m", "m", "-q", "1"],
            timeout: .seconds(10)
        )
        #expect(without.status == 69)
        #expect(without.standardError.hasPrefix("error: "))
    }

    @Test("pub --session-store: what a killed pub held is delivered by the next one, each QoS 2 message once")
    func sessionStoreSurvivesKill() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory()
        let store = directory.path + "/store"
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let inbox = WillInbox()
        var subscriber = ClientConfiguration(url: try BrokerURL(broker.url), clientIdentifier: "store-subscriber")
        subscriber.cleanStart = false
        let observer = MQTTClient(configuration: subscriber, eventLoop: loop, onMessage: inbox.handler)
        try await observer.connect()
        try await observer.subscribe([Subscription(topicFilter: "store/#", qos: .exactlyOnce)])

        // Standard input is a FIFO we write to once pub is connected and the broker frozen: pub
        // then sends what the broker's Receive Maximum allows, queues the rest, and is killed.
        let fifo = directory.path + "/stdin"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = open(fifo, O_RDWR | O_CLOEXEC)
        let session = ["--url", broker.url, "-t", "store/x", "-q", "2", "-i", "store-pub", "--no-clean"]
        let pub = try ExternalProcess(
            Binary.path,
            ["pub", "-l", "--session-store", store, "--fsync", "always", "--log-level", "info"] + session,
            standardInput: fifo,
            separateStandardError: true
        )
        try await pub.waitForLog(containing: "connected")
        broker.freeze()
        let count = 200
        let lines = (0..<count).map { "m-\($0)\n" }.joined()
        _ = lines.utf8CString.withUnsafeBytes { write(writer, $0.baseAddress, $0.count - 1) }
        close(writer)
        let deadline = ContinuousClock.now + .seconds(10)
        while (try? SessionStore.pending(inDirectory: store).outgoing) != count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try SessionStore.pending(inDirectory: store).outgoing == count, "every line kept before the kill")
        await pub.stop(signal: 9)
        broker.thaw()

        let next = try await Binary.run(
            ["pub", "-m", "last", "--session-store", store, "--log-level", "info"] + session,
            timeout: .seconds(30)
        )
        #expect(next.status == 0, "\(next.standardError)")
        #expect(next.standardError.contains("\(count) unacknowledged messages from the session store will be sent"))
        #expect(try SessionStore.pending(inDirectory: store).outgoing == 0)

        let expected = Set((0..<count).map { "m-\($0)" } + ["last"])
        // Published once the second pub has had every message acknowledged: anything delivered
        // twice would reach the subscriber before it.
        try await observer.publish(Message(topic: "store/end", payload: ArraySlice("end".utf8), qos: .exactlyOnce))
        try await inbox.wait(for: "end", timeout: .seconds(20))
        let payloads = inbox.payloads.filter { $0 != "end" }
        let missing = expected.subtracting(payloads)
        #expect(missing.isEmpty, "\(missing.count) missing, e.g. \(missing.sorted().prefix(3))")
        #expect(payloads.count == expected.count, "delivered twice: \(payloads.count - Set(payloads).count)")
        await observer.disconnect()
    }
}

/// Collects messages for the will tests.
final class WillInbox: Sendable {
    private let messages = Mutex<[Message]>([])

    var handler: @Sendable (Message) -> Bool {
        { [self] message in
            messages.withLock { $0.append(message) }
            return true
        }
    }

    var count: Int { messages.withLock { $0.count } }

    var payloads: [String] { messages.withLock { $0.map { String(decoding: $0.payload, as: UTF8.self) } } }

    func first(timeout: Duration) async throws -> Message {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = messages.withLock({ $0.first }) { return message }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestSupportError("no message within \(timeout)")
    }

    /// Waits until a message with `payload` has arrived.
    func wait(for payload: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !payloads.contains(payload) {
            guard ContinuousClock.now < deadline else {
                throw TestSupportError("'\(payload)' did not arrive within \(timeout); \(count) messages did")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
