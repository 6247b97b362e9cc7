import Foundation

/// The result of running a command to completion.
public struct ProcessResult: Sendable {
    /// The exit status.
    public let status: Int32
    /// What it wrote to standard output.
    public let standardOutput: String
    /// What it wrote to standard error.
    public let standardError: String
}

/// The built `mqtt-discovery` binary, run the way a user runs it.
public enum Binary {
    /// The executable sits next to the test bundle in the build directory.
    public static let path: String = {
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testExecutable.deletingLastPathComponent().appendingPathComponent("mqtt-discovery").path
    }()

    /// Runs the binary to completion with `input` on standard input, without blocking a thread;
    /// fails if it has not finished after `timeout`.
    public static func run(
        _ arguments: [String],
        input: String? = nil,
        environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessResult {
        let directory = try TemporaryDirectory(prefix: "stdin")
        let stdin = try directory.write("stdin", input ?? "")
        let process = try ExternalProcess(
            path,
            arguments,
            environment: environment,
            standardInput: stdin,
            separateStandardError: true
        )
        guard let status = await process.waitForExit(timeout: timeout) else {
            await process.stop()
            throw TestSupportError(
                "mqtt-discovery \(arguments.joined(separator: " ")) did not finish within \(timeout): \(process.log) \(process.errorLog)"
            )
        }
        return ProcessResult(status: status, standardOutput: process.log, standardError: process.errorLog)
    }

    /// Starts the binary and leaves it running.
    public static func start(
        _ arguments: [String],
        environment: [String: String]? = nil,
        discardingOutput: Bool = false
    ) throws -> ExternalProcess {
        try ExternalProcess(
            path,
            arguments,
            environment: environment,
            separateStandardError: true,
            discardingOutput: discardingOutput
        )
    }
}
