import IO
import Synchronization

/// Turns a connection's delegate callbacks into an async stream a test can read.
///
/// `@unchecked Sendable`: a delegate called on one loop; it only yields to an AsyncStream (thread-safe) and a
/// mutex.
final class ConnectionEvents: ConnectionDelegate, @unchecked Sendable {
    enum Event: Equatable {
        case data([UInt8])
        case drained
        case closed(IOError?)
    }

    let stream: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let capacities = Mutex<[Int]>([])

    /// The storage size of each array received, in order.
    var receivedCapacities: [Int] { capacities.withLock { $0 } }

    init() {
        (stream, continuation) = AsyncStream.makeStream()
    }

    func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        capacities.withLock { $0.append(bytes.capacity) }
        continuation.yield(.data(bytes))
    }

    func connectionDidDrain(_ connection: Connection) {
        continuation.yield(.drained)
    }

    func connectionDidClose(_ connection: Connection, error: IOError?) {
        continuation.yield(.closed(error))
        continuation.finish()
    }

    /// Collects received bytes until `count` have arrived; fails if the connection closes first.
    func receive(_ count: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for await event in stream {
            switch event {
            case .data(let data):
                bytes += data
                if bytes.count >= count { return bytes }
            case .drained: continue
            case .closed(let error):
                throw ClosedEarly(received: bytes.count, error: error)
            }
        }
        throw ClosedEarly(received: bytes.count, error: nil)
    }

    /// Waits for the close event and returns its error.
    func closed() async -> IOError?? {
        for await event in stream {
            if case .closed(let error) = event { return .some(error) }
        }
        return nil
    }
}

struct ClosedEarly: Error {
    let received: Int
    let error: IOError?
}

/// Echoes every byte back, for a server side.
///
/// `@unchecked Sendable`: stateless.
final class EchoDelegate: ConnectionDelegate, @unchecked Sendable {
    func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        connection.write(bytes)
    }

    func connectionDidDrain(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection, error: IOError?) {}
}

/// Keeps loop-side objects alive for a test (delegates are held weakly by connections).
///
/// `@unchecked Sendable`: its one field is a mutex.
final class Keeper: @unchecked Sendable {
    private let objects = Mutex<[any AnyObject & Sendable]>([])

    func keep(_ object: any AnyObject & Sendable) {
        objects.withLock { $0.append(object) }
    }
}

/// `Connection.connect` as an async call.
func connect(
    host: String,
    port: UInt16,
    tls: TLSConfiguration? = nil,
    timeout: Duration = .seconds(5),
    on loop: EventLoop
) async -> Result<Connection, IOError> {
    await withCheckedContinuation { continuation in
        Connection.connect(host: host, port: port, tls: tls, timeout: timeout, on: loop) {
            continuation.resume(returning: $0)
        }
    }
}

/// Runs `body` on `loop` and returns its result.
func onLoop<Value: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        loop.execute {
            continuation.resume(with: Result { try body() })
        }
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
