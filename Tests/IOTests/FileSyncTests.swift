import IO
import Synchronization
import Testing

/// `--fsync`: when writes are synchronised, counted through the synchronising closure.
@Suite("file sync policies")
struct FileSyncTests {
    /// Runs `body` on a loop with a syncer of `policy`; returns the synchronisations seen when
    /// `done` (given the count so far) says the test is over.
    static func run(
        _ policy: SyncPolicy,
        _ body: @escaping @Sendable (FileSync) throws(IOError) -> Void,
        until done: @escaping @Sendable (Int) -> Bool
    ) async throws -> Int {
        let loop = try EventLoop(name: "sync-test")
        defer { loop.shutdown() }
        let synced = Mutex(0)
        let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let holder = Mutex<FileSync?>(nil)
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            waiter.withLock { $0 = finished }
            loop.execute {
                let sync = FileSync(
                    policy: policy,
                    loop: loop,
                    synchronize: { () throws(IOError) in
                        let count = synced.withLock { count in
                            count += 1
                            return count
                        }
                        if done(count) { waiter.withLock { $0.take() }?.resume() }
                    },
                    onFailure: { _ in }
                )
                holder.withLock { $0 = sync }
                try? body(sync)
                if done(synced.withLock { $0 }) { waiter.withLock { $0.take() }?.resume() }
            }
        }
        loop.execute { holder.withLock { $0 = nil } }
        return synced.withLock { $0 }
    }

    @Test("always: every write is synchronised before wrote() returns")
    func always() async throws {
        let count = try await Self.run(
            .always,
            { sync throws(IOError) in
                for _ in 0..<5 {
                    let before = sync.count
                    try sync.wrote()
                    precondition(sync.count == before + 1 && !sync.isDirty)
                }
            },
            until: { $0 == 5 }
        )
        #expect(count == 5)
    }

    @Test("batch: a burst of writes is synchronised once, by the timer, within 100 ms")
    func batch() async throws {
        let started = ContinuousClock.now
        let count = try await Self.run(
            .batch,
            { sync throws(IOError) in
                for _ in 0..<1_000 { try sync.wrote() }
                precondition(sync.count == 0 && sync.isDirty, "nothing synchronised yet")
            },
            until: { $0 == 1 }
        )
        #expect(count == 1)
        #expect(ContinuousClock.now - started >= FileSync.batchInterval)
    }

    @Test("never: nothing is synchronised, not even by flush()")
    func never() async throws {
        let count = try await Self.run(
            .never,
            { sync throws(IOError) in
                for _ in 0..<10 { try sync.wrote() }
                try sync.flush()
                precondition(sync.count == 0)
            },
            until: { _ in true }
        )
        #expect(count == 0)
    }

    @Test("--fsync names: never, batch, always")
    func names() {
        #expect(SyncPolicy.allCases.map(\.description) == ["never", "batch", "always"])
    }
}
