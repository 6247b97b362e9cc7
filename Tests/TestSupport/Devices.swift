import Foundation

/// Devices played by mosquitto's own clients, so they are as real as devices get: a publish is
/// `mosquitto_pub`, and a device that dies is a `mosquitto_sub` with a will, killed with SIGKILL
/// so its socket closes without a DISCONNECT and the broker fires the will.
public enum Devices {
    /// Publishes one message with `mosquitto_pub` (payload text, or a file's bytes).
    public static func publish(
        _ broker: Mosquitto,
        _ topic: String,
        _ payload: String? = nil,
        file: String? = nil,
        retain: Bool = false,
        user: (name: String, password: String)? = nil
    ) async throws {
        var arguments = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", topic, "-q", "1"]
        if let user { arguments += ["-u", user.name, "-P", user.password] }
        if let file { arguments += ["-f", file] } else { arguments += ["-m", payload ?? ""] }
        if retain { arguments.append("-r") }
        let process = try ExternalProcess(Machine.which("mosquitto_pub") ?? "/usr/bin/mosquitto_pub", arguments)
        guard let status = await process.waitForExit(timeout: .seconds(10)), status == 0 else {
            throw TestSupportError("mosquitto_pub \(arguments.joined(separator: " ")) failed: \(process.log)")
        }
    }

    /// A connected device whose broker holds `will` for it; returns once the broker accepted it.
    public static func withWill(
        _ broker: Mosquitto,
        id: String,
        willTopic: String,
        willPayload: String,
        retain: Bool = false
    ) async throws -> ExternalProcess {
        var arguments = [
            "-h", "127.0.0.1", "-p", "\(broker.port)", "-i", id, "-d", "-t", "nothing/\(id)",
            "--will-topic", willTopic, "--will-payload", willPayload, "--will-qos", "1",
        ]
        if retain { arguments.append("--will-retain") }
        // Line-buffered, so its debug output ("received SUBACK") can be waited for.
        let process = try ExternalProcess(
            Machine.which("stdbuf") ?? "/usr/bin/stdbuf",
            ["-oL", Machine.which("mosquitto_sub") ?? "/usr/bin/mosquitto_sub"] + arguments
        )
        try await process.waitForLog(containing: "SUBACK")
        return process
    }
}
