import Foundation

/// HTTP requests made with the curl command-line tool, as a user makes them.
public enum Curl {
    /// A response: the status code and the body.
    public struct Response: Sendable {
        /// The HTTP status code (0 when no response came).
        public let status: Int
        /// The body, as text.
        public let body: String
    }

    /// Runs `curl URL` with extra `options`; returns the status and body.
    public static func request(_ url: String, _ options: [String] = [], timeout: Int = 10) async throws -> Response {
        let curl = try Machine.require("curl")
        let marker = "\n--status:"
        let process = try ExternalProcess(
            curl,
            ["-s", "--max-time", "\(timeout)", "-w", "\(marker)%{http_code}"] + options + [url],
            separateStandardError: true
        )
        guard await process.waitForExit(timeout: .seconds(timeout + 10)) != nil else {
            throw TestSupportError("curl \(url) did not finish")
        }
        let output = process.log
        guard let range = output.range(of: marker, options: .backwards) else {
            throw TestSupportError("curl \(url): no status in \(output) \(process.errorLog)")
        }
        return Response(status: Int(output[range.upperBound...]) ?? 0, body: String(output[..<range.lowerBound]))
    }

    /// Polls `url` until `condition` holds for the response, or fails after `timeout`.
    @discardableResult
    public static func waitFor(
        _ url: String,
        timeout: Duration = .seconds(15),
        _ condition: (Response) -> Bool
    ) async throws -> Response {
        let deadline = ContinuousClock.now + timeout
        var last = Response(status: 0, body: "")
        while ContinuousClock.now < deadline {
            last = try await request(url, timeout: 5)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("\(url) did not get there within \(timeout); last: \(last.status) \(last.body)")
    }
}
