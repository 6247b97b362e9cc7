public import AgentProtocol
public import IO
public import Logging
import MQTTClient
import MQTTSession

/// `--exec`: runs one command per instance, as Akri runs a broker pod per instance. The command
/// gets the device's properties as environment variables (plus `AKRI_INSTANCE`, the instance's
/// name) on top of the agent's own environment; it is stopped (SIGTERM, then SIGKILL) when the
/// instance goes, and started again with backoff if it exits while the instance is still there,
/// as Kubernetes restarts a pod. Lives on the agent's loop: feed it the agent's events.
///
/// `@unchecked Sendable`: its children are watched and stopped on its loop; `stop` hops there.
public final class InstanceRunner: @unchecked Sendable {
    private let command: String
    private let environment: [String: String]
    private let eventLoop: EventLoop
    private let logger: Logger
    private let backoff = Backoff(initial: .seconds(1), maximum: .seconds(30))
    private var running: [String: Child] = [:]
    private var stopping = false
    private var stopWaiter: CheckedContinuation<Void, Never>?
    /// Commands started again after exiting while their instance remained (for metrics).
    public private(set) var restarts = 0
    /// Commands running now.
    public var runningCount: Int { running.values.count { $0.process != nil } }

    private final class Child {
        var instance: Instance
        var process: Subprocess?
        var restart: TimerID?
        var failures = 0
        var wanted = true

        init(instance: Instance) {
            self.instance = instance
        }
    }

    /// Runs `command` (through `/bin/sh -c`) for each instance.
    public init(command: String, environment: [String: String], eventLoop: EventLoop, logger: Logger) {
        self.command = command
        self.environment = environment
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Starts or stops children for an event. Call on the loop.
    public func handle(_ event: InstanceEvent) {
        eventLoop.preconditionInEventLoop()
        guard !stopping, let instance = event.instance else { return }
        switch event.kind {
        case .added:
            // The same name again (removed and back) while the old command is still stopping:
            // that one finishes on its own.
            let child = Child(instance: instance)
            running[instance.name] = child
            start(child)
        case .updated:
            // Like a pod, a running command keeps the environment it started with.
            running[instance.name]?.instance = instance
        case .removed:
            guard let child = running[instance.name] else { return }
            child.wanted = false
            if let restart = child.restart { eventLoop.cancelTimer(restart) }
            if let process = child.process { process.terminate() } else { running[instance.name] = nil }
        default:
            break
        }
    }

    /// Stops every child and waits until all have exited.
    public func stop() async {
        await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                stopping = true
                for child in running.values {
                    child.wanted = false
                    if let restart = child.restart { eventLoop.cancelTimer(restart) }
                    child.process?.terminate()
                }
                running = running.filter { $0.value.process != nil }
                if running.isEmpty { continuation.resume() } else { stopWaiter = continuation }
            }
        }
    }

    private func start(_ child: Child) {
        child.restart = nil
        var environment = self.environment
        for (name, value) in child.instance.device.properties { environment[name] = value }
        environment["AKRI_INSTANCE"] = child.instance.name
        let name = child.instance.name
        do {
            child.process = try Subprocess.spawn(shellCommand: command, environment: environment, on: eventLoop) {
                [weak self, weak child] status in
                guard let self, let child else { return }
                exited(child, name: name, status)
            }
            logger.info("started", ["instance": name, "pid": "\(child.process!.pid)"])
        } catch {
            logger.error("cannot start the command for \(name): \(error)")
            scheduleRestart(child)
        }
    }

    private func exited(_ child: Child, name: String, _ status: Subprocess.Status) {
        child.process = nil
        guard child.wanted, !stopping else {
            logger.info("stopped (\(status))", ["instance": name])
            if running[name] === child { running[name] = nil }
            if stopping, running.values.allSatisfy({ $0.process == nil }), let waiter = stopWaiter {
                stopWaiter = nil
                waiter.resume()
            }
            return
        }
        logger.warning("the command \(status); starting it again", ["instance": name])
        scheduleRestart(child)
    }

    private func scheduleRestart(_ child: Child) {
        child.failures += 1
        restarts += 1
        let delay = backoff.delay(attempt: child.failures - 1, randomUnit: Double.random(in: 0..<1))
        child.restart = eventLoop.scheduleTimer(after: delay) { [weak self, weak child] in
            guard let self, let child, child.wanted, !stopping else { return }
            start(child)
        }
    }
}
