import ArgumentParsing
import Foundation
import TestSupport

/// What one run of a command cost, from `wait4`'s resource usage.
struct Measurement {
    var wall: Double
    var cpu: Double
    /// Peak resident set size in KiB.
    var peakRSS: Int
    var status: Int32
    /// When the program was seen to have exited.
    var ended: ContinuousClock.Instant
}

/// Runs programs for benchmarks and measures them.
enum Spawn {
    /// Runs `path` with `arguments` to completion (standard output discarded) and measures it, on
    /// a thread of its own: the wait blocks. Peak RSS is the child's own high-water mark (`VmHWM`,
    /// which starts afresh at exec), read every millisecond while it runs: `ru_maxrss` from wait4
    /// would include the parent's memory, which a spawned child starts out sharing.
    static func measure(_ path: String, _ arguments: [String]) async throws -> Measurement {
        let pid = try Spawner.spawn(path, arguments, environment: ProcessInfo.processInfo.environment)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: wait(for: pid, started: .now))
            }
        }
    }

    private static func wait(for pid: Int32, started: ContinuousClock.Instant) -> Measurement {
        var status: Int32 = 0
        var usage = rusage()
        var peak = 0
        while true {
            if let highWater = Machine.statusField(pid, "VmHWM:") { peak = max(peak, highWater) }
            let result = wait4(pid, &status, WNOHANG, &usage)
            if result == pid { break }
            if result < 0 && errno != EINTR { break }
            usleep(1_000)
        }
        let wall = seconds(ContinuousClock.now - started)
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        return Measurement(wall: wall, cpu: cpu, peakRSS: peak, status: (status >> 8) & 0xFF, ended: .now)
    }
}

/// The `mqtt-discovery` binary a benchmark runs: `--binary PATH`, a release build by default.
enum OurBinary {
    /// The option, as each benchmark that runs the binary declares it.
    static let option = ArgumentSpec.option(
        "--binary",
        value: "PATH",
        help: "The mqtt-discovery binary.",
        default: ".build/release/mqtt-discovery"
    )

    /// The path given, once it is known to be an executable.
    static func path(_ arguments: ParsedArguments) throws -> String {
        let path = arguments.value("binary")!
        guard access(path, X_OK) == 0 else { throw BenchmarkError("\(path) is not built (swift build -c release)") }
        return path
    }
}
