public import HTTP
public import IO
public import Logging
import MQTTClient
public import MQTTSession

/// Writes line-protocol points to an InfluxDB HTTP write endpoint (`/write?db=…`, 1.x API), in
/// batches by size and time, one request at a time over a kept-alive connection.
///
/// A batch the server fails with 5xx or 429, or that a network error interrupts, is retried with
/// backoff. One refused with another 4xx (bad points, unknown database) would fail the same way
/// again, so it is dropped, counted and logged with InfluxDB's reason. Points waiting are bounded;
/// past the bound the oldest are dropped and counted. Lives on the event loop.
///
/// `@unchecked Sendable`: lives on the monitor's loop; every method touching its state runs there.
public final class InfluxWriter: ConnectionDelegate, @unchecked Sendable {
    /// Batching and bounds.
    public struct Settings: Sendable {
        /// The write endpoint.
        public var url: HTTPURL
        /// Points per request at most.
        public var batchSize: Int
        /// How long a point waits for its batch to fill.
        public var interval: Duration
        /// Points waiting at most (sent or not); past it the oldest are dropped.
        public var maximumPending: Int
        /// Retry delays.
        public var backoff: Backoff

        /// Settings for `url`: batches of up to 5,000 points or one second, 100,000 points waiting.
        public init(
            url: HTTPURL,
            batchSize: Int = 5_000,
            interval: Duration = .seconds(1),
            maximumPending: Int = 100_000,
            backoff: Backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
        ) {
            self.url = url
            self.batchSize = batchSize
            self.interval = interval
            self.maximumPending = maximumPending
            self.backoff = backoff
        }
    }

    private let settings: Settings
    private let loop: EventLoop
    private let logger: Logger
    private var pending: [String] = []
    private var pendingStart = 0
    /// Points in the request under way (the first `inRequest` of `pending`).
    private var inRequest = 0
    private var connection: Connection?
    private var connecting = false
    private var parser = HTTPResponseParser()
    private var flushTimer: TimerID?
    private var retryTimer: TimerID?
    private var failures = 0
    /// Points InfluxDB accepted.
    public private(set) var written = 0
    /// Points dropped: refused by InfluxDB, or over the bound while it was away.
    public private(set) var dropped = 0
    /// The last failure, for logs and metrics.
    public private(set) var lastError: String?

    /// A writer (nothing is sent until points are added).
    public init(settings: Settings, loop: EventLoop, logger: Logger) {
        self.settings = settings
        self.loop = loop
        var logger = logger
        logger[metadata: "influxdb"] = settings.url.description
        self.logger = logger
    }

    private var pendingCount: Int { pending.count - pendingStart }

    /// Adds one line-protocol point. Call on the loop.
    public func add(_ line: String) {
        pending.append(line)
        if pendingCount > settings.maximumPending {
            // Drop the oldest point not part of the request under way.
            let victim = pendingStart + inRequest
            if victim < pending.count {
                pending.remove(at: victim)
                dropped += 1
            }
        }
        if pendingCount - inRequest >= settings.batchSize {
            send()
        } else if flushTimer == nil {
            flushTimer = loop.scheduleTimer(after: settings.interval) { [self] in
                flushTimer = nil
                send()
            }
        }
    }

    private func send() {
        guard inRequest == 0, retryTimer == nil, pendingCount > 0 else { return }
        guard let connection, connection.isOpen else {
            connect()
            return
        }
        inRequest = min(pendingCount, settings.batchSize)
        var body = pending[pendingStart..<(pendingStart + inRequest)].joined(separator: "\n")
        body += "\n"
        let head =
            "POST \(settings.url.target) HTTP/1.1\r\nHost: \(settings.url.hostHeader)\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        parser = HTTPResponseParser()
        connection.write(Array(head.utf8) + Array(body.utf8))
        connection.flush()
    }

    private func connect() {
        guard !connecting else { return }
        connecting = true
        let loop = self.loop
        Connection.connect(host: settings.url.host, port: settings.url.port, timeout: .seconds(10), on: loop) {
            [self] result in
            connecting = false
            switch result {
            case .success(let connection):
                self.connection = connection
                connection.delegate = self
                send()
            case .failure(let error):
                failed("cannot connect: \(error)")
            }
        }
    }

    private func failed(_ reason: String) {
        inRequest = 0
        connection?.delegate = nil
        connection?.close()
        connection = nil
        failures += 1
        if lastError != reason || failures == 1 {
            logger.warning("writing to InfluxDB failed; retrying", ["reason": "\(reason)"])
        }
        lastError = reason
        let delay = settings.backoff.delay(attempt: failures, randomUnit: Double.random(in: 0..<1))
        retryTimer = loop.scheduleTimer(after: delay) { [self] in
            retryTimer = nil
            send()
        }
    }

    private func finishRequest(_ response: HTTPResponseParser.Response) {
        let count = inRequest
        inRequest = 0
        let status = response.status
        if status.isSuccess {
            written += count
            failures = 0
            lastError = nil
        } else if status.code == 429 || status.code >= 500 {
            failed("InfluxDB answered \(status)")
            return
        } else {
            dropped += count
            let reason = String(decoding: response.body.prefix(512), as: UTF8.self)
            lastError = "InfluxDB refused a batch: \(status): \(reason)"
            logger.error(
                "InfluxDB refused a batch of points; they are dropped",
                ["status": "\(status.code)", "reason": "\(reason)", "points": "\(count)"]
            )
        }
        pendingStart += count
        if pendingStart > 4_096, pendingStart * 2 > pending.count {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        if response.headers["Connection"]?.lowercased() == "close" {
            connection?.delegate = nil
            connection?.close()
            connection = nil
        }
        if pendingCount >= settings.batchSize {
            send()
        } else if pendingCount > 0, flushTimer == nil {
            flushTimer = loop.scheduleTimer(after: settings.interval) { [self] in
                flushTimer = nil
                send()
            }
        }
    }

    // MARK: - ConnectionDelegate

    /// Reads the response to the request under way.
    public func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        guard inRequest > 0 else {
            failed("an HTTP response nobody asked for")
            return
        }
        parser.append(bytes)
        do {
            if let response = try parser.response() { finishRequest(response) }
        } catch {
            failed("a malformed HTTP response: \(error.message)")
        }
    }

    /// Nothing to do: requests are written whole.
    public func connectionDidDrain(_ connection: Connection) {}

    /// A request under way is retried on a new connection.
    public func connectionDidClose(_ connection: Connection, error: IOError?) {
        guard connection === self.connection else { return }
        self.connection = nil
        if inRequest > 0 {
            do {
                if let response = try parser.response(closed: true) {
                    finishRequest(response)
                    return
                }
            } catch {}
            failed("the connection closed: \(error.map { "\($0)" } ?? "closed")")
        }
    }
}
