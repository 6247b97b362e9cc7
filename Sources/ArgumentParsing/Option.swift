/// A typed argument: its ``ArgumentSpec`` (names, help, environment variable, default) and how its
/// text becomes a value. A command declares each argument once and reads it as a value of its
/// type; a default is given as a value, and the help shows it, so it is written in one place.
///
/// An option declared with a default reads as `Value`; one without reads as `Value?`
/// (`Option<Int?>`); a repeatable one as an array.
public struct Option<Value: Sendable>: Sendable {
    /// How the argument is parsed and shown in help.
    public let spec: ArgumentSpec
    private let read: @Sendable ([String]) -> Result<Value, Problem>

    /// Why a value is not acceptable, e.g. `must be a whole number, not 'x'`.
    struct Problem: Error {
        let message: String
    }

    private init(_ spec: ArgumentSpec, read: @escaping @Sendable ([String]) -> Result<Value, Problem>) {
        self.spec = spec
        self.read = read
    }

    /// The value from the texts given (the last wins, for an option given once).
    func value(from texts: [String], command: String) throws(UsageError) -> Value {
        switch read(texts) {
        case .success(let value): return value
        case .failure(let problem):
            let name =
                if case .positional(let valueName) = spec.kind { valueName } else { spec.names.last ?? spec.key }
            throw UsageError("\(name) \(problem.message)", command: command)
        }
    }

    /// An option whose text `convert` reads (nil: not acceptable, with `expected` saying what is).
    private static func single<Converted: Sendable>(
        _ spec: ArgumentSpec,
        expected: String,
        convert: @escaping @Sendable (String) -> Converted?,
        absent: Value?,
        wrap: @escaping @Sendable (Converted) -> Value
    ) -> Option {
        Option(spec) { texts in
            guard let text = texts.last else {
                return absent.map { .success($0) } ?? .failure(Problem(message: "missing"))
            }
            guard let converted = convert(text) else {
                return .failure(Problem(message: "must be \(expected), not '\(text)'"))
            }
            return .success(wrap(converted))
        }
    }
}

// MARK: - Text

extension Option where Value == String {
    /// Text with a default.
    public static func text(
        _ names: String...,
        value: String,
        help: String,
        environment: String? = nil,
        default defaultValue: String
    ) -> Option {
        let spec = ArgumentSpec.option(names, value: value, help: help, environment: environment, default: defaultValue)
        return single(spec, expected: "text", convert: { $0 }, absent: defaultValue, wrap: { $0 })
    }
}

extension Option {
    /// Text, nil when not given; `required` makes the command line fail without it.
    public static func text(
        _ names: String...,
        value: String,
        help: String,
        required: Bool = false,
        environment: String? = nil
    ) -> Option where Value == String? {
        let spec = ArgumentSpec.option(names, value: value, help: help, required: required, environment: environment)
        return single(spec, expected: "text", convert: { $0 }, absent: .some(nil), wrap: { $0 })
    }

    /// Text given any number of times, in order.
    public static func list(
        _ names: String...,
        value: String,
        help: String,
        required: Bool = false
    ) -> Option where Value == [String] {
        Option(ArgumentSpec.option(names, value: value, help: help, repeatable: true, required: required)) {
            .success($0)
        }
    }

    /// Pairs given any number of times, in order: `-D KEY VALUE`.
    public static func pairs(
        _ names: String...,
        values: String,
        help: String
    ) -> Option where Value == [(String, String)] {
        Option(ArgumentSpec.pair(names, values: values, help: help)) { texts in
            .success(stride(from: 0, to: texts.count - 1, by: 2).map { (texts[$0], texts[$0 + 1]) })
        }
    }

    /// A value without a name, e.g. the file of `discover FILE`; nil when not given.
    public static func positional(
        _ key: String,
        value: String,
        help: String,
        required: Bool = false
    ) -> Option where Value == String? {
        let spec = ArgumentSpec.positional(key, value: value, help: help, required: required)
        return single(spec, expected: "text", convert: { $0 }, absent: .some(nil), wrap: { $0 })
    }

    /// Every value without a name, in order, e.g. the files of `check FILE...`.
    public static func positionals(
        _ key: String,
        value: String,
        help: String,
        required: Bool = false
    ) -> Option where Value == [String] {
        Option(ArgumentSpec.positional(key, value: value, help: help, repeatable: true, required: required)) {
            .success($0)
        }
    }

    /// A flag: true when given (or when its variable says yes).
    public static func flag(_ names: String..., help: String, environment: String? = nil) -> Option
    where Value == Bool {
        Option(ArgumentSpec.flag(names, help: help, environment: environment)) { .success($0.last == "true") }
    }
}

// MARK: - Numbers

extension Option where Value: FixedWidthInteger {
    /// A whole number in `range`, with a default.
    public static func integer(
        _ names: String...,
        value: String,
        help: String,
        in range: ClosedRange<Value> = .min ... .max,
        environment: String? = nil,
        default defaultValue: Value
    ) -> Option {
        let spec = ArgumentSpec.option(
            names,
            value: value,
            help: help,
            environment: environment,
            default: "\(defaultValue)"
        )
        return single(
            spec,
            expected: Self.expected(range),
            convert: { Value($0).flatMap { range.contains($0) ? $0 : nil } },
            absent: defaultValue,
            wrap: { $0 }
        )
    }

    static func expected(_ range: ClosedRange<Value>) -> String {
        range == .min ... .max
            ? "a whole number" : "a whole number from \(range.lowerBound) to \(range.upperBound)"
    }
}

extension Option {
    /// A whole number in `range`, nil when not given.
    public static func integer<Integer: FixedWidthInteger & Sendable>(
        _ names: String...,
        value: String,
        help: String,
        in range: ClosedRange<Integer> = .min ... .max,
        environment: String? = nil
    ) -> Option where Value == Integer? {
        let spec = ArgumentSpec.option(names, value: value, help: help, environment: environment)
        return single(
            spec,
            expected: Option<Integer>.expected(range),
            convert: { Integer($0).flatMap { range.contains($0) ? $0 : nil } },
            absent: .some(nil),
            wrap: { $0 }
        )
    }

    /// A time in seconds (`5`, `0.5`) within `range`, nil when not given.
    public static func seconds(
        _ names: String...,
        value: String = "SECONDS",
        help: String,
        in range: ClosedRange<Double>,
        environment: String? = nil
    ) -> Option where Value == Duration? {
        let spec = ArgumentSpec.option(names, value: value, help: help, environment: environment)
        return single(
            spec,
            expected: Option<Duration>.expected(range),
            convert: { Option<Duration>.duration($0, in: range) },
            absent: .some(nil),
            wrap: { $0 }
        )
    }
}

extension Option where Value == Duration {
    /// A time in seconds (`5`, `0.5`) within `range`, with a default.
    public static func seconds(
        _ names: String...,
        value: String = "SECONDS",
        help: String,
        in range: ClosedRange<Double>,
        environment: String? = nil,
        default defaultValue: Duration
    ) -> Option {
        let (whole, attoseconds) = defaultValue.components
        let text = attoseconds == 0 ? "\(whole)" : "\(Double(whole) + Double(attoseconds) / 1e18)"
        let spec = ArgumentSpec.option(names, value: value, help: help, environment: environment, default: text)
        return single(
            spec,
            expected: expected(range),
            convert: { duration($0, in: range) },
            absent: defaultValue,
            wrap: { $0 }
        )
    }

    static func expected(_ range: ClosedRange<Double>) -> String {
        "a number of seconds from \(format(range.lowerBound)) to \(format(range.upperBound))"
    }

    static func duration(_ text: String, in range: ClosedRange<Double>) -> Duration? {
        guard let seconds = Double(text), seconds.isFinite, range.contains(seconds) else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? "\(Int64(number))" : "\(number)"
    }
}

// MARK: - Choices

extension Option where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of a fixed set, e.g. `--output text|json`, with a default.
    public static func choice(
        _ names: String...,
        help: String,
        environment: String? = nil,
        default defaultValue: Value
    ) -> Option {
        choice(names, help: help, environment: environment, default: defaultValue, named: { $0.rawValue })
    }
}

extension Option where Value: CaseIterable {
    /// One of a fixed set, each known by `name`, with a default.
    public static func choice(
        _ names: [String],
        help: String,
        environment: String? = nil,
        default defaultValue: Value,
        named name: @escaping @Sendable (Value) -> String
    ) -> Option {
        let allowed = Value.allCases.map(name)
        let spec = ArgumentSpec.option(
            names,
            value: allowed.joined(separator: "|"),
            help: help,
            environment: environment,
            default: name(defaultValue)
        )
        return single(
            spec,
            expected: "one of \(allowed.joined(separator: ", "))",
            convert: { text in Value.allCases.first { name($0) == text } },
            absent: defaultValue,
            wrap: { $0 }
        )
    }
}

// MARK: - Reading

extension ParsedArguments {
    /// The value of a typed argument: given, from its variable, or its default.
    public func callAsFunction<Value>(_ option: Option<Value>) throws(UsageError) -> Value {
        try option.value(from: values(option.spec.key), command: command)
    }
}

/// A set of options several commands share, declared once with how they are read.
public protocol OptionGroup: Sendable {
    /// The group's arguments, for a command's ``CommandSpec``.
    static var arguments: [ArgumentSpec] { get }

    /// Reads the group's values from a parsed command line.
    init(_ arguments: ParsedArguments) throws(UsageError)
}
