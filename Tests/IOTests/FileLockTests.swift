import Foundation
import IO
import TestSupport
import Testing

@Suite("Files: exclusive locks")
struct FileLockTests {
    @Test("a lock held elsewhere is refused at once without waiting, and after the wait with it")
    func refused() throws {
        let directory = try TemporaryDirectory()
        let holder = try File(path: "\(directory.path)/lock")
        #expect(try holder.lockExclusively())
        let other = try File(path: "\(directory.path)/lock")
        #expect(try !other.lockExclusively())
        let start = ContinuousClock.now
        #expect(try !other.lockExclusively(waitingUpTo: 50))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        holder.close()
        other.close()
    }

    @Test("a lock let go of during the wait is taken")
    func takenWhenReleased() throws {
        let directory = try TemporaryDirectory()
        let holder = try File(path: "\(directory.path)/lock")
        #expect(try holder.lockExclusively())
        // Released from a Dispatch thread: the wait below blocks its own thread, and a task
        // would need one of the few threads the (busy, parallel) test run shares.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(30)) { holder.close() }
        let other = try File(path: "\(directory.path)/lock")
        #expect(try other.lockExclusively(waitingUpTo: 10_000))
        other.close()
    }
}
