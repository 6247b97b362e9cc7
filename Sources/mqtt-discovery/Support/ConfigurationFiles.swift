import CommandLineSupport
import Discovery

/// Reads the files named on a command line into ``ConfigurationFile``s: the I/O half of loading
/// Configurations (the file, and any `valueFrom.file` it names), for `check`, `discover`, `agent`
/// and `run` alike.
enum ConfigurationFiles {
    /// The largest file a discovery property is read from.
    static let propertyFileLimit = 1 << 20

    /// Reads `path`, or says why it cannot be read.
    static func load(
        _ path: String,
        bareDetails: ConfigurationFile.BareDetails
    ) -> Result<ConfigurationFile, Files.ReadError> {
        Result { () throws(Files.ReadError) in
            ConfigurationFile(
                path: path,
                contents: try Files.read(path),
                bareDetails: bareDetails,
                readFile: { property in
                    Result { () throws(Files.ReadError) in try Files.read(property, limit: propertyFileLimit) }
                        .mapError { AkriConfiguration.ReadFailure($0.reason) }
                }
            )
        }
    }

    /// Every problem of `file`, one line each: `FILE:LINE:COLUMN: message`.
    static func lines(_ file: ConfigurationFile, severity: DetailsProblem.Severity) -> [String] {
        file.problems.filter { $0.severity == severity }.map { "\(file.path):\($0)" }
    }
}
