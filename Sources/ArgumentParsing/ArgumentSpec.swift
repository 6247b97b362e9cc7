/// One flag, option or positional argument a command accepts.
public struct ArgumentSpec: Sendable {
    /// What kind of argument it is.
    public enum Kind: Sendable, Equatable {
        /// Present or absent, e.g. `--insecure`.
        case flag
        /// Takes a value, e.g. `--url URL`.
        case option(valueName: String)
        /// A value without a name, e.g. the files of `check FILE...`.
        case positional(valueName: String)
    }

    /// The names, short first: `["-t", "--topic"]`. For a positional, its key.
    public let names: [String]
    /// What kind of argument it is.
    public let kind: Kind
    /// One line of help.
    public let help: String
    /// Whether it may be given more than once.
    public let repeatable: Bool
    /// Whether it must be given.
    public let required: Bool
    /// An environment variable that supplies the value when the argument is not given.
    public let environment: String?
    /// The value used when neither the argument nor its variable is given, shown in help.
    public let defaultValue: String?
    /// How many values one use of an option takes: 1, or 2 for a pair such as `-D KEY VALUE`.
    public let valuesPerUse: Int

    /// The key values are stored under: the longest name without dashes (`--topic` → `topic`).
    public var key: String {
        let longest = names.max { $0.count < $1.count } ?? ""
        return String(longest.drop { $0 == "-" })
    }

    private init(
        names: [String],
        kind: Kind,
        help: String,
        repeatable: Bool,
        required: Bool,
        environment: String?,
        defaultValue: String?,
        valuesPerUse: Int = 1
    ) {
        self.names = names
        self.kind = kind
        self.help = help
        self.repeatable = repeatable
        self.required = required
        self.environment = environment
        self.defaultValue = defaultValue
        self.valuesPerUse = valuesPerUse
    }

    /// An option that takes two values each time, such as `-D KEY VALUE`; repeatable.
    public static func pair(_ names: [String], values: String, help: String) -> ArgumentSpec {
        ArgumentSpec(
            names: names,
            kind: .option(valueName: values),
            help: help,
            repeatable: true,
            required: false,
            environment: nil,
            defaultValue: nil,
            valuesPerUse: 2
        )
    }

    /// A flag such as `--insecure`.
    public static func flag(_ names: String..., help: String, environment: String? = nil) -> ArgumentSpec {
        flag(names, help: help, environment: environment)
    }

    /// A flag with the names in an array.
    public static func flag(_ names: [String], help: String, environment: String? = nil) -> ArgumentSpec {
        ArgumentSpec(
            names: names,
            kind: .flag,
            help: help,
            repeatable: false,
            required: false,
            environment: environment,
            defaultValue: nil
        )
    }

    /// An option that takes a value, such as `--url URL`.
    public static func option(
        _ names: String...,
        value: String,
        help: String,
        repeatable: Bool = false,
        required: Bool = false,
        environment: String? = nil,
        default defaultValue: String? = nil
    ) -> ArgumentSpec {
        option(
            names,
            value: value,
            help: help,
            repeatable: repeatable,
            required: required,
            environment: environment,
            default: defaultValue
        )
    }

    /// An option with the names in an array.
    public static func option(
        _ names: [String],
        value: String,
        help: String,
        repeatable: Bool = false,
        required: Bool = false,
        environment: String? = nil,
        default defaultValue: String? = nil
    ) -> ArgumentSpec {
        ArgumentSpec(
            names: names,
            kind: .option(valueName: value),
            help: help,
            repeatable: repeatable,
            required: required,
            environment: environment,
            defaultValue: defaultValue
        )
    }

    /// Positional values, such as the files of `check FILE...`.
    public static func positional(
        _ key: String,
        value: String,
        help: String,
        repeatable: Bool = false,
        required: Bool = false
    ) -> ArgumentSpec {
        ArgumentSpec(
            names: [key],
            kind: .positional(valueName: value),
            help: help,
            repeatable: repeatable,
            required: required,
            environment: nil,
            defaultValue: nil
        )
    }
}
