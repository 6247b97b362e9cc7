/// The head of an HTTP/1.x message: start line and header fields (RFC 9112 §2.1), parsed strictly.
struct MessageHead {
    var startLine: String
    var headers: HTTPHeaders

    /// Where the head ends in `bytes` (the index after the blank line), nil while incomplete;
    /// throws 413 when the head is longer than `limit` without ending.
    /// A line ended by a bare LF is refused at once (RFC 9112 §2.2 lets a recipient accept it; we
    /// do not, as a stricter server leaves no room for two readings of one request), rather than
    /// waiting for a CRLF CRLF that will never come.
    static func end(in bytes: ArraySlice<UInt8>, limit: Int) throws(HTTPError) -> Int? {
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index < end {
            if bytes[index] == 10, index == bytes.startIndex || bytes[index - 1] != 13 {
                throw HTTPError(.badRequest, "a line that ends in LF without CR")
            }
            if index + 3 < end, bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13,
                bytes[index + 3] == 10
            {
                guard index + 4 - bytes.startIndex <= limit else { break }
                return index + 4
            }
            index += 1
        }
        if end - bytes.startIndex > limit {
            throw HTTPError(.contentTooLarge, "the request line and headers are over \(limit) bytes")
        }
        return nil
    }

    /// Parses a complete head (without its final blank line's CRLF pair checks repeated).
    static func parse(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> MessageHead {
        // Lines end in CRLF; a bare CR or LF elsewhere is malformed (RFC 9112 §2.2).
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 13 {
                guard index + 1 < bytes.endIndex, bytes[index + 1] == 10 else {
                    throw HTTPError(.badRequest, "a CR that does not end a line")
                }
                lines.append(bytes[start..<index])
                index += 2
                start = index
                continue
            }
            if byte == 10 { throw HTTPError(.badRequest, "a line that ends in LF without CR") }
            if byte == 0 { throw HTTPError(.badRequest, "a NUL byte in the head") }
            index += 1
        }
        // The head ends with an empty line.
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first, !first.isEmpty else { throw HTTPError(.badRequest, "an empty start line") }
        guard let startLine = String(validating: first, as: UTF8.self) else {
            throw HTTPError(.badRequest, "a start line that is not UTF-8")
        }
        var headers = HTTPHeaders()
        for (number, line) in lines.dropFirst().enumerated() {
            let lineNumber = number + 2
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
                throw HTTPError(.badRequest, "header line \(lineNumber) is folded (obsolete line folding)")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw HTTPError(.badRequest, "header line \(lineNumber) has no colon")
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                throw HTTPError(.badRequest, "header line \(lineNumber) has an invalid field name")
            }
            let valueBytes = line[(colon + 1)...]
            guard valueBytes.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }),
                let value = String(validating: valueBytes, as: UTF8.self)
            else {
                throw HTTPError(.badRequest, "header line \(lineNumber) has a control character in its value")
            }
            headers.add(String(decoding: name, as: UTF8.self), value.trimmingSpaces())
        }
        return MessageHead(startLine: startLine, headers: headers)
    }

    /// The body length from `Content-Length` (nil when absent); several different values or a
    /// value that is not a number are malformed (RFC 9112 §6.3).
    static func contentLength(_ headers: HTTPHeaders) throws(HTTPError) -> Int? {
        let values = headers.values("Content-Length").flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() }
        guard let first = values.first else { return nil }
        guard values.allSatisfy({ $0 == first }), first.utf8.count <= 18, first.utf8.allSatisfy(isDigit),
            let length = Int(first)
        else {
            throw HTTPError(.badRequest, "an invalid Content-Length")
        }
        return length
    }

    /// `HTTP/1.1` → (1, 1).
    static func version(_ text: Substring) -> (major: Int, minor: Int)? {
        let bytes = Array(text.utf8)
        guard bytes.count == 8, text.hasPrefix("HTTP/"), isDigit(bytes[5]), bytes[6] == UInt8(ascii: "."),
            isDigit(bytes[7])
        else { return nil }
        return (Int(bytes[5] - 48), Int(bytes[7] - 48))
    }
}

func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}

/// `tchar` of RFC 9110 §5.6.2.
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default:
        Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
}
