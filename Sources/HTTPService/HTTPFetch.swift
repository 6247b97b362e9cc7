public import HTTP
public import IO

/// One HTTP/1.1 GET, for commands that read a daemon's endpoints (`status`): connect, send,
/// read the response (`Connection: close`), within a deadline. Lives on `loop` while it runs.
public enum HTTPFetch {
    /// Why a fetch failed.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The connection could not be made or broke.
        case connection(IOError)
        /// The response was malformed or too large.
        case response(HTTPError)
        /// Nothing complete came within the deadline.
        case timedOut(Duration)

        /// For a person.
        public var description: String {
            switch self {
            case .connection(let error): "\(error)"
            case .response(let error): "a malformed response: \(error)"
            case .timedOut(let timeout): "no response within \(timeout)"
            }
        }
    }

    /// GETs `url`'s target from its host.
    public static func get(
        _ url: HTTPURL,
        on loop: EventLoop,
        timeout: Duration = .seconds(10)
    ) async -> Result<HTTPResponseParser.Response, Failure> {
        await withCheckedContinuation { continuation in
            let request = Array(
                "GET \(url.target) HTTP/1.1\r\nHost: \(url.host):\(url.port)\r\nConnection: close\r\nUser-Agent: mqtt-discovery\r\n\r\n"
                    .utf8
            )
            let fetch = Fetch(continuation: continuation, loop: loop)
            loop.execute {
                fetch.deadline = loop.scheduleTimer(after: timeout) { fetch.finish(.failure(.timedOut(timeout))) }
                Connection.connect(host: url.host, port: url.port, timeout: timeout, on: loop) { result in
                    switch result {
                    case .success(let connection):
                        fetch.connection = connection
                        connection.delegate = fetch
                        connection.write(request)
                        connection.flush()
                    case .failure(let error):
                        fetch.finish(.failure(.connection(error)))
                    }
                }
            }
        }
    }

    /// One fetch in progress.
    ///
    /// `@unchecked Sendable`: made off the loop, then used on it only.
    private final class Fetch: ConnectionDelegate, @unchecked Sendable {
        private var continuation: CheckedContinuation<Result<HTTPResponseParser.Response, Failure>, Never>?
        private var parser = HTTPResponseParser()
        private let loop: EventLoop
        var connection: Connection?
        var deadline: TimerID?

        init(continuation: CheckedContinuation<Result<HTTPResponseParser.Response, Failure>, Never>, loop: EventLoop) {
            self.continuation = continuation
            self.loop = loop
        }

        func finish(_ result: Result<HTTPResponseParser.Response, Failure>) {
            guard let continuation else { return }
            self.continuation = nil
            if let deadline { loop.cancelTimer(deadline) }
            connection?.close()
            continuation.resume(returning: result)
        }

        func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
            parser.append(bytes)
            read(closed: false)
        }

        func connectionDidDrain(_ connection: Connection) {}

        func connectionDidClose(_ connection: Connection, error: IOError?) {
            read(closed: true)
            finish(.failure(.connection(error ?? .closedByPeer)))
        }

        private func read(closed: Bool) {
            do {
                if let response = try parser.response(closed: closed) { finish(.success(response)) }
            } catch {
                finish(.failure(.response(error)))
            }
        }
    }
}
