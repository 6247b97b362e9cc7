import ArgumentParsing
import CommandLineSupport
import Discovery

/// Reads the files named on a command line into ``ConfigurationFile``s: the I/O half of loading
/// Configurations (the file, and any `valueFrom.file` it names), for `check`, `discover`, `agent`
/// and `run` alike.
enum ConfigurationFiles {
    /// The largest file a discovery property is read from.
    static let propertyFileLimit = 1 << 20

    /// Where Secrets are found outside Kubernetes.
    static let secretsDirectory = Option<String?>.text(
        "--secrets-dir",
        value: "DIR",
        help: "Resolve secretKeyRef properties from DIR/<namespace>/<name>/<key>, as Kubernetes mounts Secrets.",
        environment: "MQTT_DISCOVERY_SECRETS_DIR"
    )
    /// Where ConfigMaps are found outside Kubernetes.
    static let configMapsDirectory = Option<String?>.text(
        "--config-maps-dir",
        value: "DIR",
        help: "Resolve configMapKeyRef properties from DIR/<namespace>/<name>/<key>.",
        environment: "MQTT_DISCOVERY_CONFIG_MAPS_DIR"
    )
    /// The options of every command that reads Configurations.
    static let arguments = [secretsDirectory.spec, configMapsDirectory.spec]

    /// The directories the options name.
    static func mounts(_ arguments: ParsedArguments) throws -> AkriConfiguration.Mounts {
        AkriConfiguration.Mounts(
            secrets: try arguments(secretsDirectory),
            configMaps: try arguments(configMapsDirectory)
        )
    }

    /// Reads `path`, or says why it cannot be read; Secrets and ConfigMaps come from `mounts`.
    static func load(
        _ path: String,
        bareDetails: ConfigurationFile.BareDetails,
        mounts: AkriConfiguration.Mounts = AkriConfiguration.Mounts()
    ) -> Result<ConfigurationFile, Files.ReadError> {
        Result { () throws(Files.ReadError) in
            ConfigurationFile(
                path: path,
                contents: try Files.read(path),
                bareDetails: bareDetails,
                mounts: mounts,
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
