import COpenSSL
import COpenSSLLoader
import CShims
import CYAML
import Glibc
import Testing

/// The C layer links and its shims do what they say.
@Suite("C system libraries and shims")
struct SystemLibrariesTests {
    @Test("OpenSSL 3 is installed and links")
    func openSSL() throws {
        let version = String(validatingCString: OpenSSL_version(Int32(OPENSSL_VERSION)))
        #expect(version?.hasPrefix("OpenSSL 3") == true)
    }

    @Test("the loader finds OpenSSL on first use; the SNI macro wrapper sets the server name")
    func serverNameIndication() throws {
        #expect(copenssl_load() == nil)
        let context = try #require(copenssl_SSL_CTX_new(copenssl_TLS_client_method()))
        defer { copenssl_SSL_CTX_free(context) }
        #expect(copenssl_ctx_set_min_proto_version(context, TLS1_2_VERSION) == 1)
        let ssl = try #require(copenssl_SSL_new(context))
        defer { copenssl_SSL_free(ssl) }
        #expect(copenssl_set_server_name(ssl, "broker.example") == 1)
        #expect(
            String(validatingCString: copenssl_SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) == "broker.example"
        )
    }

    @Test("libyaml is linked and parses a document")
    func yaml() throws {
        var parser = yaml_parser_t()
        #expect(yaml_parser_initialize(&parser) == 1)
        defer { yaml_parser_delete(&parser) }
        let text = Array("topics: [a/b]\n".utf8)
        var kinds: [yaml_event_type_t] = []
        text.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                kinds.append(event.type)
                let done = event.type == YAML_STREAM_END_EVENT
                yaml_event_delete(&event)
                if done { break }
            }
        }
        #expect(kinds.first == YAML_STREAM_START_EVENT)
        #expect(kinds.last == YAML_STREAM_END_EVENT)
        #expect(kinds.filter { $0 == YAML_SCALAR_EVENT }.count == 2)
    }

    @Test("peer credentials of a Unix socket name this process")
    func peerCredentials() throws {
        var descriptors: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0)
        defer { for descriptor in descriptors { close(descriptor) } }
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        #expect(cshims_peer_credentials(descriptors[0], &pid, &uid, &gid) == 0)
        #expect(pid == getpid())
        #expect(uid == getuid())
    }

    @Test("accepting on a listener with nothing pending reports EAGAIN, not a block")
    func acceptNonBlocking() throws {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let listener = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract socket (leading NUL) needs no file to clean up.
        let name = Array("\0mqtt-discovery-test-\(getpid())".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in name.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        #expect(bound == 0)
        #expect(listen(listener, 1) == 0)
        #expect(cshims_accept_nonblocking(listener) == -1)
        #expect(errno == EAGAIN)
    }

    @Test("the thread name is set, truncated to 15 bytes")
    func threadName() throws {
        let original = try threadNameFromProc()
        defer { _ = cshims_set_thread_name(original) }
        #expect(cshims_set_thread_name("mqtt-discovery-worker") == 0)
        #expect(try threadNameFromProc() == "mqtt-discovery-")
    }

    /// The kernel's name for the calling thread.
    private func threadNameFromProc() throws -> String {
        let descriptor = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(descriptor, &buffer, buffer.count)
        try #require(count > 0)
        return String(decoding: buffer[..<(count - 1)], as: UTF8.self)
    }
}
