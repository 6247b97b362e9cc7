import HTTP

/// What the HTTP/1.1 fuzzer checks, beyond "does not crash or leak", for the request parser (our
/// servers' side) and the response parser (our clients': InfluxDB, the status command):
/// 1. whole and byte by byte give the same requests (pipelined ones included) and the same error;
/// 2. the same for a response, and a parsed response, encoded again by our server's encoder,
///    parses to the same status and body.
enum HTTP1FuzzCheck {
    static func check(_ bytes: [UInt8]) {
        precondition(
            requests(bytes, chunk: max(bytes.count, 1)) == requests(bytes, chunk: 1),
            "requests: whole and byte by byte differ"
        )
        let whole = response(bytes, chunk: max(bytes.count, 1))
        precondition(whole == response(bytes, chunk: 1), "response: whole and byte by byte differ")

        var parser = HTTPResponseParser(maximumSize: 1 << 16)
        parser.append(bytes)
        guard let parsed = try? parser.response(closed: true) else { return }
        var again = HTTPResponseParser(maximumSize: 1 << 18)
        again.append(HTTPResponse(status: parsed.status, body: parsed.body).encode(keepAlive: false))
        let reparsed = try? again.response(closed: true)
        precondition(
            reparsed?.status == parsed.status && reparsed?.body == parsed.body,
            "a response did not survive encode and parse"
        )
    }

    /// The requests of `bytes` fed `chunk` bytes at a time, then the error that stopped them.
    static func requests(_ bytes: [UInt8], chunk: Int) -> [String] {
        var parser = HTTPRequestParser(maximumHeadSize: 4_096, maximumBodySize: 4_096)
        var out: [String] = []
        var index = 0
        while index < bytes.count {
            parser.append(Array(bytes[index..<min(index + chunk, bytes.count)]))
            index += chunk
            do {
                while let request = try parser.next() {
                    out.append("\(request.method) \(request.target) \(request.headers) \(request.body)")
                }
            } catch {
                out.append("error: \(error)")
                return out
            }
        }
        return out
    }

    /// The response in `bytes` fed `chunk` bytes at a time, read when the connection closes.
    static func response(_ bytes: [UInt8], chunk: Int) -> String {
        var parser = HTTPResponseParser(maximumSize: 1 << 16)
        var index = 0
        do {
            while index < bytes.count {
                parser.append(Array(bytes[index..<min(index + chunk, bytes.count)]))
                index += chunk
                if let response = try parser.response() {
                    return "\(response.status) \(response.headers) \(response.body)"
                }
            }
            guard let response = try parser.response(closed: true) else { return "incomplete" }
            return "\(response.status) \(response.headers) \(response.body)"
        } catch {
            return "error: \(error)"
        }
    }
}
