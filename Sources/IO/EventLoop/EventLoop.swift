import CShims
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Something registered with an event loop that wants to hear when its descriptor is ready.
/// Called on the loop's thread only.
protocol Selectable: AnyObject {
    /// The descriptor has data (or an error or hang-up to read).
    func readable()
    /// The descriptor can take more bytes.
    func writable()
}

/// One thread waiting on epoll: it runs the I/O of every connection registered with it, the
/// timers scheduled on it, and the tasks other threads submit with ``execute(_:)``.
///
/// Connections and the protocol logic built on them live on one loop and are touched only from
/// its thread, so they need no locks: a message goes from the socket to the application without a
/// lock or a thread hop. Only the task queue is shared, behind a mutex, with an eventfd to wake the
/// loop.
///
/// `@unchecked Sendable`: the task queue is shared under its mutex and the thread id and stop flag are atomics;
/// everything else is touched by the loop's own thread.
public final class EventLoop: @unchecked Sendable {
    // Shared with other threads: the task queue (under its mutex; nil once the loop has ended)
    // and the wake-up descriptor.
    private let tasks = Mutex<[@Sendable () -> Void]?>([])
    private let wakeDescriptor: Int32
    private let epollDescriptor: Int32
    private let threadID = Atomic<UInt>(0)
    private let stopped = Atomic<Bool>(false)
    private let name: String

    // Loop thread only.
    private var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    private var timers = TimerQueue()
    private var events = [epoll_event](repeating: epoll_event(), count: 64)
    private var thread: pthread_t?

    /// Starts a loop on a new thread named `name`.
    public init(name: String = "event-loop") throws(IOError) {
        _ = Syscall.ignoreSIGPIPE
        self.name = name
        do {
            epollDescriptor = try Syscall.run("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
            wakeDescriptor = try Syscall.run("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        } catch {
            throw .system(error)
        }
        var event = epoll_event()
        event.events = Constants.epollIn
        event.data.u64 = 0
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)

        let unmanaged = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            nil,
            { context in
                let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
                loop.run()
                return nil
            },
            unmanaged.toOpaque()
        )
        precondition(result == 0, "pthread_create failed: \(result)")
        self.thread = thread
    }

    deinit {
        Syscall.close(epollDescriptor)
        Syscall.close(wakeDescriptor)
    }

    /// Whether the caller is on this loop's thread.
    public var inEventLoop: Bool {
        pthread_self() == threadID.load(ordering: .acquiring)
    }

    /// Runs `task` on the loop's thread, soon. Safe from any thread.
    ///
    /// Calling it once the loop has shut down is a programming error and stops the process: the
    /// task would never run, and whoever waits for it (a continuation resumed by the task) would
    /// wait forever without a word.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let accepted = tasks.withLock { queue in
            queue?.append(task)
            return queue != nil
        }
        precondition(accepted, "EventLoop \(name): execute(_:) after shutdown(); the task would never run")
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    /// Stops the loop after the tasks already submitted, and waits for its thread to end.
    /// Must not be called on the loop itself.
    /// Calling it again does nothing.
    public func shutdown() {
        precondition(!inEventLoop, "EventLoop.shutdown() called on the loop's own thread")
        guard tasks.withLock({ $0 != nil }) else { return }
        execute { [self] in stopped.store(true, ordering: .releasing) }
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    // MARK: - Timers (loop thread only)

    /// Runs `task` on the loop at `deadline`. Call on the loop.
    @discardableResult
    public func scheduleTimer(at deadline: ContinuousClock.Instant, _ task: @escaping () -> Void) -> TimerID {
        preconditionInEventLoop()
        return timers.schedule(at: deadline, task)
    }

    /// Runs `task` on the loop after `delay`. Call on the loop.
    @discardableResult
    public func scheduleTimer(after delay: Duration, _ task: @escaping () -> Void) -> TimerID {
        scheduleTimer(at: .now + delay, task)
    }

    /// Cancels a timer that has not fired. Call on the loop.
    public func cancelTimer(_ id: TimerID) {
        preconditionInEventLoop()
        timers.cancel(id)
    }

    // MARK: - Registration (loop thread only)

    /// A registered descriptor. It is in the epoll set only while it wants reads or writes:
    /// epoll reports hang-ups and errors whatever the interest, so a descriptor nobody reads would
    /// otherwise wake the loop forever.
    private struct Registration {
        let generation: UInt32
        let handler: any Selectable
        var armed: Bool
    }

    func register(
        _ descriptor: Int32,
        _ handler: any Selectable,
        readable: Bool = true,
        writable: Bool
    ) throws(IOError) {
        preconditionInEventLoop()
        let generation = nextGeneration
        nextGeneration &+= 1
        registrations[descriptor] = Registration(generation: generation, handler: handler, armed: false)
        do {
            try arm(descriptor, readable: readable, writable: writable)
        } catch {
            registrations[descriptor] = nil
            throw .system(error)
        }
    }

    func setInterest(_ descriptor: Int32, readable: Bool, writable: Bool) {
        preconditionInEventLoop()
        try? arm(descriptor, readable: readable, writable: writable)
    }

    func deregister(_ descriptor: Int32) {
        preconditionInEventLoop()
        guard let registration = registrations.removeValue(forKey: descriptor) else { return }
        if registration.armed { _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil) }
    }

    private func arm(_ descriptor: Int32, readable: Bool, writable: Bool) throws(Errno) {
        guard var registration = registrations[descriptor] else { return }
        let wanted = readable || writable
        defer { registrations[descriptor] = registration }
        switch (registration.armed, wanted) {
        case (false, false):
            return
        case (true, false):
            _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
            registration.armed = false
        case (let armed, true):
            var event = epollEvent(
                descriptor,
                generation: registration.generation,
                readable: readable,
                writable: writable
            )
            let operation = armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
            _ = try Syscall.run("epoll_ctl") { epoll_ctl(epollDescriptor, operation, descriptor, &event) }
            registration.armed = true
        }
    }

    /// Stops the process when called off the loop's thread: loop-confined state is about to be
    /// touched from elsewhere. Checked in release builds too, because a data race there would
    /// corrupt state silently; the check is a thread-id comparison.
    public func preconditionInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inEventLoop, "not on the event loop \(name)", file: file, line: line)
    }

    /// Level-triggered interest; the data word carries the descriptor and a generation, so an
    /// event for a descriptor number that was closed and reused is recognised and dropped.
    private func epollEvent(_ descriptor: Int32, generation: UInt32, readable: Bool, writable: Bool) -> epoll_event {
        var event = epoll_event()
        event.events =
            (readable ? Constants.epollIn | Constants.epollReadHangup : 0) | (writable ? Constants.epollOut : 0)
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: descriptor))
        return event
    }

    // MARK: - The loop

    private func run() {
        threadID.store(pthread_self(), ordering: .releasing)
        _ = cshims_set_thread_name(name)
        while !stopped.load(ordering: .acquiring) {
            let timeout = timers.millisecondsUntilNextDeadline(now: .now)
            let count = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epollDescriptor, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if count < 0 {
                precondition(errno == EINTR, "epoll_wait failed: \(Errno(errno, function: "epoll_wait"))")
                continue
            }
            for index in 0..<Int(count) {
                dispatch(events[index])
            }
            let now = ContinuousClock.now
            while let task = timers.popExpired(now: now) { task() }
            runTasks()
        }
        // Tasks submitted while stopping still run, so nothing waits forever on them; from now on
        // a submission is refused.
        runTasks()
        let late = tasks.withLock { queue in
            defer { queue = nil }
            return queue ?? []
        }
        for task in late { task() }
        for (descriptor, registration) in registrations where registration.armed {
            _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
        }
        registrations = [:]
        timers = TimerQueue()
    }

    private func dispatch(_ event: epoll_event) {
        let data = event.data.u64
        if data == 0 {
            var value: UInt64 = 0
            _ = read(wakeDescriptor, &value, 8)
            return
        }
        let descriptor = Int32(bitPattern: UInt32(truncatingIfNeeded: data))
        let generation = UInt32(truncatingIfNeeded: data >> 32)
        guard let registration = registrations[descriptor], registration.generation == generation else { return }
        let flags = event.events
        if flags & (Constants.epollIn | Constants.epollError | Constants.epollReadHangup) != 0 {
            registration.handler.readable()
        }
        // The handler may have closed the descriptor while reading.
        if flags & Constants.epollOut != 0, let current = registrations[descriptor], current.generation == generation {
            current.handler.writable()
        }
    }

    private func runTasks() {
        while true {
            let batch = tasks.withLock { queue -> [@Sendable () -> Void] in
                let batch = queue ?? []
                queue?.removeAll(keepingCapacity: true)
                return batch
            }
            if batch.isEmpty { return }
            for task in batch { task() }
        }
    }
}
