import IO
import Synchronization
import Testing

@Suite("EventLoop")
struct EventLoopTests {
    @Test("tasks from other threads run on the loop, in order")
    func tasksRunInOrder() async throws {
        let loop = try EventLoop(name: "test-loop")
        defer { loop.shutdown() }
        let order = Mutex<[Int]>([])
        let onLoop = Mutex<[Bool]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for index in 0..<100 {
                loop.execute {
                    order.withLock { $0.append(index) }
                    onLoop.withLock { $0.append(loop.inEventLoop) }
                    if index == 99 { done.resume() }
                }
            }
        }
        #expect(order.withLock { $0 } == Array(0..<100))
        #expect(onLoop.withLock { $0.allSatisfy { $0 } })
        #expect(!loop.inEventLoop)
    }

    @Test("timers fire in deadline order and cancelled ones never fire")
    func timers() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let fired = Mutex<[String]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.scheduleTimer(after: .milliseconds(60)) { fired.withLock { $0.append("60") } }
                loop.scheduleTimer(after: .milliseconds(20)) { fired.withLock { $0.append("20") } }
                let cancelled = loop.scheduleTimer(after: .milliseconds(40)) { fired.withLock { $0.append("40") } }
                loop.scheduleTimer(after: .milliseconds(30)) { loop.cancelTimer(cancelled) }
                loop.scheduleTimer(after: .milliseconds(80)) { done.resume() }
            }
        }
        #expect(fired.withLock { $0 } == ["20", "60"])
    }

    @Test("a timer does not fire before its deadline")
    func timerDeadline() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let start = ContinuousClock.now
        let firedAt = await withCheckedContinuation { (done: CheckedContinuation<ContinuousClock.Instant, Never>) in
            loop.execute { loop.scheduleTimer(after: .milliseconds(50)) { done.resume(returning: .now) } }
        }
        #expect(firedAt - start >= .milliseconds(50))
    }
}
