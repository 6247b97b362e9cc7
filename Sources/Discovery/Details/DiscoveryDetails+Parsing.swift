import MQTTCodec
import MQTTSession
public import YAML

/// How positions inside a string map to positions in the file it came from: the details of an
/// Akri Configuration are a string inside another YAML document.
public struct MarkMapping: Hashable, Sendable {
    /// Lines to add.
    public var lineOffset: Int
    /// Columns to add on the first line.
    public var firstLineColumnOffset: Int
    /// Columns to add on the other lines.
    public var columnOffset: Int

    /// No translation: the details are the whole file.
    public static let identity = MarkMapping(lineOffset: 0, firstLineColumnOffset: 0, columnOffset: 0)

    /// A translation.
    public init(lineOffset: Int, firstLineColumnOffset: Int, columnOffset: Int) {
        self.lineOffset = lineOffset
        self.firstLineColumnOffset = firstLineColumnOffset
        self.columnOffset = columnOffset
    }

    /// The file position of `mark`.
    public func map(_ mark: Mark) -> Mark {
        Mark(
            line: mark.line + lineOffset,
            column: mark.column + (mark.line == 1 ? firstLineColumnOffset : columnOffset)
        )
    }
}

extension DiscoveryDetails {
    /// The Akri discovery property names this handler reads credentials from.
    public enum PropertyKey {
        /// User name, UTF-8.
        public static let userName = "mqtt_broker_username"
        /// Password.
        public static let password = "mqtt_broker_password"
        /// Client certificate chain, PEM.
        public static let certificate = "mqtt_broker_certificate"
        /// Client key, PEM.
        public static let key = "mqtt_broker_key"
        /// CA certificates, PEM.
        public static let ca = "mqtt_broker_ca"
    }

    /// Parses details from YAML text.
    ///
    /// - Parameters:
    ///   - text: The details.
    ///   - properties: Akri discovery properties (name → bytes, nil when empty); the `mqtt_broker_*`
    ///     ones supply credentials to brokers that have none of their own.
    ///   - mapping: How positions in `text` map to the file it came from.
    /// - Returns: The details, and warnings (unknown keys and the like).
    /// - Throws: ``DetailsError`` with every error found, each with its line and column.
    public static func parse(
        _ text: String,
        properties: [String: [UInt8]?] = [:],
        mapping: MarkMapping = .identity
    ) throws(DetailsError) -> (details: DiscoveryDetails, warnings: [DetailsProblem]) {
        let root: YAMLNode?
        do {
            root = try YAML.parse(text)
        } catch {
            throw DetailsError([DetailsProblem(.error, at: mapping.map(error.mark), "invalid YAML: \(error.message)")])
        }
        var parser = DetailsParser(mapping: mapping)
        let details = parser.details(root, properties: properties)
        let problems = parser.problems.sorted { $0.mark < $1.mark }
        guard let details, !problems.contains(where: { $0.severity == .error }) else { throw DetailsError(problems) }
        return (details, problems)
    }
}

/// Walks the YAML, building the details and collecting every problem.
private struct DetailsParser {
    var problems: [DetailsProblem] = []
    let mapping: MarkMapping

    static let topLevelKeys = [
        "serverUrls", "mqttBrokerUri", "brokers", "topics", "timeoutSeconds", "gracePeriodSeconds",
        "debounceSeconds", "conventions", "propertiesPrefix",
    ]
    static let brokerKeys = [
        "url", "clientId", "protocol", "keepAliveSeconds", "sessionExpirySeconds", "username", "passwordFile",
        "passwordEnv", "caFile", "certFile", "keyFile", "insecureSkipVerify",
    ]
    static let topicKeys = ["filter", "qos", "timeoutSeconds", "online", "offline"]
    static let conventionKeys = ["name", "prefix"]

    // MARK: Reporting

    mutating func error(_ mark: Mark, _ message: String) {
        problems.append(DetailsProblem(.error, at: mapping.map(mark), message))
    }

    mutating func warning(_ mark: Mark, _ message: String) {
        problems.append(DetailsProblem(.warning, at: mapping.map(mark), message))
    }

    /// The pairs of a mapping, warning about keys not in `known` (Akri would ignore them
    /// silently; we say so, with the likely intended key).
    mutating func pairs(_ node: YAMLNode, known: [String], what: String) -> [String: YAMLNode]? {
        guard case .mapping(let pairs) = node.content else {
            error(node.mark, "\(what) must be a mapping, not \(node.kind)")
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key.mark, "keys must be plain text")
                continue
            }
            if known.contains(key) {
                result[key] = pair.value
            } else if let suggestion = known.min(by: { distance($0, key) < distance($1, key) }),
                distance(suggestion, key) <= 2
            {
                warning(pair.key.mark, "unknown key '\(key)' in \(what) is ignored; did you mean '\(suggestion)'?")
            } else {
                warning(pair.key.mark, "unknown key '\(key)' in \(what) is ignored")
            }
        }
        return result
    }

    // MARK: Top level

    mutating func details(_ root: YAMLNode?, properties: [String: [UInt8]?]) -> DiscoveryDetails? {
        guard let root, !root.isNull else {
            error(Mark(line: 1, column: 1), "the discovery details are empty")
            return nil
        }
        guard let fields = pairs(root, known: Self.topLevelKeys, what: "the discovery details") else { return nil }

        var brokers: [BrokerSettings] = []
        if let node = fields["serverUrls"], let items = list(node, "serverUrls") {
            for item in items { if let broker = brokerFromURL(item) { brokers.append(broker) } }
        }
        if let node = fields["mqttBrokerUri"], let broker = brokerFromURL(node) {
            brokers.append(broker)
        }
        if let node = fields["brokers"], let items = list(node, "brokers") {
            for item in items { if let broker = broker(item) { brokers.append(broker) } }
        }
        var seen = Set<String>()
        brokers = brokers.filter { seen.insert("\($0.url)|\($0.userName ?? "")").inserted }
        applyCredentials(from: properties, to: &brokers)

        let timeout = fields["timeoutSeconds"].flatMap { seconds($0, "timeoutSeconds", allowZero: false) }
        var topics: [TopicEntry] = []
        let topicItems = fields["topics"].flatMap { list($0, "topics") }
        for item in topicItems ?? [] { if let entry = topic(item) { topics.append(entry) } }
        var conventions: [ConventionSettings] = []
        let conventionItems = fields["conventions"].flatMap { list($0, "conventions") }
        for item in conventionItems ?? [] { if let convention = convention(item) { conventions.append(convention) } }
        let prefix = fields["propertiesPrefix"].flatMap { string($0, "propertiesPrefix") }
        if let prefix, let node = fields["propertiesPrefix"],
            !prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        {
            error(
                node.mark,
                "propertiesPrefix '\(prefix)' must be letters, digits and '_' (it starts environment variable names)"
            )
        }

        if brokers.count > DiscoveryDetails.maximumBrokers {
            let node = fields["brokers"] ?? fields["serverUrls"] ?? root
            error(
                node.mark,
                "at most \(DiscoveryDetails.maximumBrokers) brokers per configuration, not \(brokers.count)"
            )
        }
        if brokers.isEmpty && !problems.contains(where: { $0.severity == .error }) {
            error(root.mark, "no broker: give mqttBrokerUri, serverUrls or brokers")
        }
        // (Topic or convention entries that all failed have their own errors already.)
        if conventionItems?.isEmpty ?? true && (fields["topics"] == nil || topicItems?.isEmpty == true) {
            error(fields["topics"]?.mark ?? root.mark, "nothing to subscribe to: give topics, or enable a convention")
        }
        return DiscoveryDetails(
            brokers: brokers,
            topics: topics,
            conventions: conventions,
            timeout: timeout ?? DiscoveryDetails.defaultTimeout,
            gracePeriod: fields["gracePeriodSeconds"].flatMap { seconds($0, "gracePeriodSeconds", allowZero: true) }
                ?? DiscoveryDetails.defaultGracePeriod,
            debounce: fields["debounceSeconds"].flatMap { seconds($0, "debounceSeconds", allowZero: true) } ?? .zero,
            propertiesPrefix: prefix
        )
    }

    // MARK: Brokers

    /// A broker given by its URL alone. As the Rust reference handler (rumqttc's
    /// `MqttOptions::try_from(url)`) reads it, `?client_id=ID` sets the client id; any other query
    /// parameter is refused by name rather than ignored.
    mutating func brokerFromURL(_ node: YAMLNode) -> BrokerSettings? {
        guard let text = string(node, "a broker URL") else { return nil }
        guard let question = text.firstIndex(of: "?") else { return url(node).map { BrokerSettings(url: $0) } }
        guard let url = url(node, text: String(text[..<question])) else { return nil }
        var broker = BrokerSettings(url: url)
        for parameter in text[text.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false) {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]).removingPercentEncodingLeniently : ""
            guard name == "client_id" else {
                error(
                    node.mark,
                    "broker URL '\(text)': the query parameter '\(name)' is not supported (only client_id sets anything)"
                )
                return nil
            }
            guard !value.isEmpty, value.utf8.count <= 65_535, !value.contains("\u{0}") else {
                error(node.mark, "broker URL '\(text)': client_id must be 1 to 65535 bytes without NUL")
                return nil
            }
            broker.clientIdentifier = value
        }
        return broker
    }

    mutating func url(_ node: YAMLNode, text given: String? = nil) -> BrokerURL? {
        guard let text = given ?? string(node, "a broker URL") else { return nil }
        do {
            return try BrokerURL(text)
        } catch {
            if case .invalidURL(_, let reason) = error {
                self.error(node.mark, "broker URL '\(text)': \(reason)")
            } else {
                self.error(node.mark, "broker URL '\(text)': \(error)")
            }
            return nil
        }
    }

    mutating func broker(_ node: YAMLNode) -> BrokerSettings? {
        guard let fields = pairs(node, known: Self.brokerKeys, what: "a broker") else { return nil }
        guard let urlNode = fields["url"] else {
            error(node.mark, "a broker needs a url")
            return nil
        }
        guard let url = url(urlNode) else { return nil }
        var broker = BrokerSettings(url: url)
        if let value = fields["clientId"], let id = string(value, "clientId") {
            if id.isEmpty || id.utf8.count > 65_535 || id.contains("\u{0}") {
                error(value.mark, "clientId must be 1 to 65535 bytes without NUL")
            }
            broker.clientIdentifier = id
        }
        if let value = fields["protocol"], let text = value.scalar {
            switch text {
            case "5", "5.0", "mqttv5": broker.protocolVersion = .v5
            case "3.1.1", "4", "mqttv311": broker.protocolVersion = .v311
            default: error(value.mark, "protocol must be \"3.1.1\" or \"5\", not '\(text)'")
            }
        }
        if let value = fields["keepAliveSeconds"], let seconds = integer(value, "keepAliveSeconds", in: 0...65_535) {
            broker.keepAlive = UInt16(seconds)
        }
        if let value = fields["sessionExpirySeconds"],
            let seconds = integer(value, "sessionExpirySeconds", in: 0...Int(UInt32.max))
        {
            broker.sessionExpiry = UInt32(seconds)
        }
        if let value = fields["username"] { broker.userName = string(value, "username") }
        switch (fields["passwordFile"], fields["passwordEnv"]) {
        case (let file?, let environment?):
            error(environment.mark, "give passwordFile or passwordEnv, not both")
            _ = (file, environment)
        case (let file?, nil):
            if let path = string(file, "passwordFile") { broker.password = .file(path) }
        case (nil, let environment?):
            if let name = string(environment, "passwordEnv") { broker.password = .environment(name) }
        case (nil, nil):
            break
        }
        if let value = fields["caFile"], let path = string(value, "caFile") { broker.ca = .file(path) }
        if let value = fields["certFile"], let path = string(value, "certFile") { broker.certificate = .file(path) }
        if let value = fields["keyFile"], let path = string(value, "keyFile") { broker.key = .file(path) }
        if (broker.certificate == nil) != (broker.key == nil) {
            error(fields["certFile"]?.mark ?? fields["keyFile"]?.mark ?? node.mark, "certFile and keyFile go together")
        }
        if (broker.ca != nil || broker.certificate != nil) && !url.usesTLS {
            warning(urlNode.mark, "TLS files are set but '\(url)' is not a TLS URL (ssl:// or mqtts://)")
        }
        if let value = fields["insecureSkipVerify"], let flag = bool(value, "insecureSkipVerify") {
            broker.insecureSkipVerify = flag
        }
        return broker
    }

    /// Akri discovery properties supply credentials to brokers without their own.
    mutating func applyCredentials(from properties: [String: [UInt8]?], to brokers: inout [BrokerSettings]) {
        func value(_ key: String) -> [UInt8]? {
            guard let entry = properties[key], let bytes = entry, !bytes.isEmpty else { return nil }
            return bytes
        }
        /// A user name or password from a file usually ends with the newline an editor or `echo`
        /// added; it is never part of the credential.
        func line(_ key: String) -> [UInt8]? {
            guard var bytes = value(key) else { return nil }
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            return bytes
        }
        for index in brokers.indices {
            if brokers[index].userName == nil, let user = line(DiscoveryDetails.PropertyKey.userName) {
                brokers[index].userName = String(decoding: user, as: UTF8.self)
            }
            if brokers[index].password == nil, let password = line(DiscoveryDetails.PropertyKey.password) {
                brokers[index].password = .inline(password)
            }
            if brokers[index].ca == nil, let ca = value(DiscoveryDetails.PropertyKey.ca) {
                brokers[index].ca = .inline(ca)
            }
            if brokers[index].certificate == nil, brokers[index].key == nil,
                let certificate = value(DiscoveryDetails.PropertyKey.certificate),
                let key = value(DiscoveryDetails.PropertyKey.key)
            {
                brokers[index].certificate = .inline(certificate)
                brokers[index].key = .inline(key)
            }
        }
    }

    // MARK: Topics and conventions

    mutating func topic(_ node: YAMLNode) -> TopicEntry? {
        if node.scalar != nil {
            guard let template = template(node) else { return nil }
            return TopicEntry(template: template, mark: mapping.map(node.mark))
        }
        guard let fields = pairs(node, known: Self.topicKeys, what: "a topic entry") else { return nil }
        guard let filterNode = fields["filter"] else {
            error(node.mark, "a topic entry needs a filter")
            return nil
        }
        guard let template = template(filterNode) else { return nil }
        var entry = TopicEntry(template: template, mark: mapping.map(node.mark))
        if let value = fields["qos"], let qos = integer(value, "qos", in: 0...2) {
            entry.qos = QoS(rawValue: UInt8(qos)) ?? .atLeastOnce
        }
        if let value = fields["timeoutSeconds"] {
            entry.timeout = seconds(value, "timeoutSeconds", allowZero: false)
        }
        if let value = fields["online"] { entry.online = strings(value, "online") }
        if let value = fields["offline"] { entry.offline = strings(value, "offline") }
        if let overlap = Set(entry.online).intersection(entry.offline).first {
            error(fields["offline"]?.mark ?? node.mark, "payload '\(overlap)' is both online and offline")
        }
        return entry
    }

    mutating func template(_ node: YAMLNode) -> TopicTemplate? {
        guard let text = string(node, "a topic filter") else { return nil }
        do {
            return try TopicTemplate(text)
        } catch {
            // Point at the character: quoted scalars start one column before their text.
            let quote = node.content == .scalar(text, .quoted) ? 1 : 0
            self.error(
                Mark(line: node.mark.line, column: node.mark.column + quote + error.offset),
                "topic filter '\(text)': \(error.message)"
            )
            return nil
        }
    }

    mutating func convention(_ node: YAMLNode) -> ConventionSettings? {
        var nameNode = node
        var prefix: String?
        if node.scalar == nil {
            guard let fields = pairs(node, known: Self.conventionKeys, what: "a convention") else { return nil }
            guard let name = fields["name"] else {
                error(node.mark, "a convention needs a name")
                return nil
            }
            nameNode = name
            if let value = fields["prefix"] {
                prefix = string(value, "prefix")
                if let prefix, prefix.contains(where: { $0 == "+" || $0 == "#" }) {
                    error(value.mark, "a convention prefix cannot contain wildcards")
                }
            }
        }
        guard let text = string(nameNode, "a convention name") else { return nil }
        guard let name = ConventionSettings.Name(rawValue: text) else {
            let known = ConventionSettings.Name.allCases.map(\.rawValue).joined(separator: ", ")
            error(nameNode.mark, "unknown convention '\(text)'; known: \(known)")
            return nil
        }
        return ConventionSettings(name, prefix: prefix)
    }

    // MARK: Scalars

    mutating func list(_ node: YAMLNode, _ what: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            error(node.mark, "\(what) must be a list, not \(node.kind)")
            return nil
        }
        return items
    }

    mutating func string(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = node.scalar, !node.isNull else {
            error(node.mark, "\(what) must be text, not \(node.kind)")
            return nil
        }
        return text
    }

    mutating func strings(_ node: YAMLNode, _ what: String) -> [String] {
        if let single = node.scalar, !node.isNull { return [single] }
        guard let items = list(node, what) else { return [] }
        return items.compactMap { string($0, "an item of \(what)") }
    }

    mutating func integer(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let text, .plain) = node.content, let value = Int(text) else {
            error(node.mark, "\(what) must be a whole number, not \(node.scalar.map { "'\($0)'" } ?? node.kind)")
            return nil
        }
        guard range.contains(value) else {
            error(node.mark, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func seconds(_ node: YAMLNode, _ what: String, allowZero: Bool) -> Duration? {
        guard case .scalar(let text, .plain) = node.content, let value = Double(text), value.isFinite else {
            error(node.mark, "\(what) must be a number of seconds, not \(node.scalar.map { "'\($0)'" } ?? node.kind)")
            return nil
        }
        guard allowZero ? value >= 0 : value > 0 else {
            error(node.mark, "\(what) must be \(allowZero ? "0 or more" : "more than 0"), not \(text)")
            return nil
        }
        guard value <= 31_536_000 else {
            error(node.mark, "\(what) must be at most a year (31536000), not \(text)")
            return nil
        }
        return .milliseconds(Int64((value * 1_000).rounded()))
    }

    mutating func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        switch node.content {
        case .scalar("true", .plain), .scalar("True", .plain), .scalar("TRUE", .plain): return true
        case .scalar("false", .plain), .scalar("False", .plain), .scalar("FALSE", .plain): return false
        default:
            error(node.mark, "\(what) must be true or false")
            return nil
        }
    }
}

/// Levenshtein distance, for "did you mean" on unknown keys.
private func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased())
    let b = Array(b.lowercased())
    var previous = Array(0...b.count)
    for (i, x) in a.enumerated() {
        var current = [i + 1] + Array(repeating: 0, count: b.count)
        for (j, y) in b.enumerated() {
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension String {
    /// `%XX` decoded where it is well formed; anything else kept as it is.
    fileprivate var removingPercentEncodingLeniently: String {
        let octets = Array(utf8)
        var decoded: [UInt8] = []
        var index = 0
        while index < octets.count {
            if octets[index] == UInt8(ascii: "%"), index + 2 < octets.count,
                let value = UInt8(String(decoding: octets[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                decoded.append(value)
                index += 3
            } else {
                decoded.append(octets[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}
