#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Host name resolution. `getaddrinfo` blocks, so it runs on a thread of its own and the result
/// comes back on the event loop; IP literals are answered at once.
enum Resolver {
    /// Resolves `host` for a stream connection to `port`, then calls `completion` on `loop`.
    static func resolve(
        _ host: String,
        port: UInt16,
        on loop: EventLoop,
        completion: @escaping @Sendable (Result<[SocketAddress], IOError>) -> Void
    ) {
        if SocketAddress.isIPLiteral(host) {
            loop.execute { completion(.success([.ip(host, port: port)])) }
            return
        }
        let job = ResolutionJob(host: host, port: port) { result in
            loop.execute { completion(result) }
        }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let created = pthread_create(
            &thread,
            nil,
            { context in
                let job = Unmanaged<ResolutionJob>.fromOpaque(context!).takeRetainedValue()
                job.completion(Resolver.lookUp(job.host, port: job.port))
                return nil
            },
            context
        )
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ResolutionJob>.fromOpaque(context).release()
            loop.execute { completion(.failure(.system(Errno(created, function: "pthread_create")))) }
        }
    }

    /// The blocking lookup. Addresses keep the order `getaddrinfo` gives (RFC 6724 preference).
    static func lookUp(_ host: String, port: UInt16) -> Result<[SocketAddress], IOError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = gai_strerror(status).flatMap { String(validatingCString: $0) } ?? "error \(status)"
            return .failure(.resolutionFailed(host: host, reason: reason))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let raw = current.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: Int(current.pointee.ai_addrlen)))
                }
                if let address = SocketAddress.from(storage), !addresses.contains(address) {
                    addresses.append(address)
                }
            }
            entry = current.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(.resolutionFailed(host: host, reason: "no addresses")) : .success(addresses)
    }
}

private final class ResolutionJob: Sendable {
    let host: String
    let port: UInt16
    let completion: @Sendable (Result<[SocketAddress], IOError>) -> Void

    init(host: String, port: UInt16, completion: @escaping @Sendable (Result<[SocketAddress], IOError>) -> Void) {
        self.host = host
        self.port = port
        self.completion = completion
    }
}
