import Foundation

/// Finding what tests need on the machine.
public enum Machine {
    /// The full path of a program on PATH (or in the sbin directories), or nil.
    public static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The full path of a program that must be installed, or an error saying how to get it.
    public static func require(_ program: String, package: String? = nil) throws -> String {
        guard let path = which(program) else {
            throw TestSupportError(
                "\(program) is not installed (Scripts/install-dependencies installs \(package ?? program))"
            )
        }
        return path
    }

    /// The resident set size of a running process in KiB (`VmRSS`), or nil once it is gone.
    public static func residentKiB(_ pid: Int32) -> Int? {
        statusField(pid, "VmRSS:")
    }

    /// A KiB figure from `/proc/PID/status` (`VmRSS:`, `VmHWM:`), or nil.
    public static func statusField(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
}
