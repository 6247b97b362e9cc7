import HPACK
import Testing

@testable import GRPC

@Suite("gRPC over HTTP/2: messages, statuses, timeouts, heads")
struct GRPCTests {
    @Test("Messages are cut at their 5-octet prefixes, one octet at a time too")
    func messages() throws {
        var reader = GRPCMessageReader()
        let stream = GRPCMessageReader.framed([1, 2, 3]) + GRPCMessageReader.framed([]) + GRPCMessageReader.framed([9])
        var found: [[UInt8]] = []
        for octet in stream {
            reader.append([octet])
            while let message = try reader.next() { found.append(Array(message)) }
        }
        #expect(found == [[1, 2, 3], [], [9]])
        #expect(GRPCMessageReader.framed([7]) == [0, 0, 0, 0, 1, 7])
    }

    @Test("A message over the limit is RESOURCE_EXHAUSTED from its prefix; a compressed one UNIMPLEMENTED")
    func refusals() {
        var large = GRPCMessageReader(maximumMessageSize: 10)
        large.append([0, 0, 0, 0, 11])
        #expect(throws: GRPCStatus.self) { try large.next() }
        do {
            _ = try large.next()
        } catch {
            #expect(error.code == .resourceExhausted)
        }
        var compressed = GRPCMessageReader()
        compressed.append([1, 0, 0, 0, 1, 0])
        do {
            _ = try compressed.next()
            Issue.record("a compressed message was read")
        } catch {
            #expect(error.code == .unimplemented)
        }
    }

    @Test("grpc-message is percent-encoded as the spec says, and decoded leniently")
    func percentEncoding() {
        #expect(GRPCStatus.percentEncoded("3:7 naïve 100%\n") == "3:7 na%C3%AFve 100%25%0A")
        #expect(GRPCStatus.percentDecoded("3:7 na%C3%AFve 100%25%0A") == "3:7 naïve 100%\n")
        #expect(GRPCStatus.percentDecoded("50%zz%4") == "50%zz%4")
    }

    @Test("grpc-timeout: units H M S m u n, at most 8 digits, both ways")
    func timeouts() {
        #expect(GRPCTimeout.parse("1H") == .seconds(3_600))
        #expect(GRPCTimeout.parse("2M") == .seconds(120))
        #expect(GRPCTimeout.parse("10S") == .seconds(10))
        #expect(GRPCTimeout.parse("250m") == .milliseconds(250))
        #expect(GRPCTimeout.parse("7u") == .microseconds(7))
        #expect(GRPCTimeout.parse("99999999n") == .nanoseconds(99_999_999))
        #expect(GRPCTimeout.parse("123456789S") == nil)
        #expect(GRPCTimeout.parse("S") == nil)
        #expect(GRPCTimeout.parse("10x") == nil)
        #expect(GRPCTimeout.encode(.milliseconds(250)) == "250000u")
        #expect(GRPCTimeout.encode(.nanoseconds(1_500)) == "1500n")
        #expect(GRPCTimeout.encode(.seconds(5)) == "5000000u")
        #expect(GRPCTimeout.parse(GRPCTimeout.encode(.seconds(86_400))) == .seconds(86_400))
    }

    @Test("A server refuses what is not a gRPC call: not POST (405), another content type (415), compression")
    func requestHeads() {
        let good = GRPCHeaders.request(
            path: "/v0.Registration/RegisterDiscoveryHandler",
            authority: "[::1]:50051",
            timeout: .seconds(1)
        )
        #expect(throws: Never.self) { try GRPCHeaders.parseRequest(good) }
        #expect((try? GRPCHeaders.parseRequest(good))?.timeout == .seconds(1))
        func refusal(_ fields: [HeaderField]) -> GRPCHeaders.Refusal? {
            do {
                _ = try GRPCHeaders.parseRequest(fields)
                return nil
            } catch {
                return error
            }
        }
        #expect(
            refusal(good.map { $0.name == ":method" ? HeaderField(":method", "GET") : $0 })
                == .http(405, "gRPC calls are POST requests")
        )
        if case .http(415, _) = refusal(
            good.map { $0.name == "content-type" ? HeaderField("content-type", "text/plain") : $0 }
        ) {
        } else {
            Issue.record("another content type was not refused with 415")
        }
        if case .grpc(let status) = refusal(good + [HeaderField("grpc-encoding", "gzip")]) {
            #expect(status.code == .unimplemented)
        } else {
            Issue.record("gzip was not refused")
        }
    }

    @Test("Custom metadata travels in the request head and reaches the server; gRPC's own fields do not")
    func requestMetadata() throws {
        let fields = GRPCHeaders.request(
            path: "/v0.DiscoveryHandler/Discover",
            authority: "localhost",
            timeout: .seconds(2),
            metadata: [HeaderField("x-trace", "abc")]
        )
        let request = try GRPCHeaders.parseRequest(fields + [HeaderField("grpc-accept-encoding", "identity")])
        #expect(request.metadata == [HeaderField("x-trace", "abc")])
        #expect(request.timeout == .seconds(2))
    }

    @Test("A client reads statuses from trailers, trailers-only responses and HTTP errors")
    func responseHeads() {
        #expect(GRPCHeaders.responseStatus(GRPCHeaders.response) == nil)
        let only = GRPCHeaders.trailersOnly(GRPCStatus(.invalidArgument, "1:1: bad"))
        #expect(GRPCHeaders.responseStatus(only) == GRPCStatus(.invalidArgument, "1:1: bad"))
        #expect(GRPCHeaders.responseStatus([HeaderField(":status", "404")])?.code == .unimplemented)
        #expect(GRPCHeaders.responseStatus([HeaderField(":status", "503")])?.code == .unavailable)
        #expect(GRPCHeaders.status([]).code == .unknown)
        #expect(GRPCHeaders.status(GRPCHeaders.trailers(.ok)) == .ok)
    }
}
