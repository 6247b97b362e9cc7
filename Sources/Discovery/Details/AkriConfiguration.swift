public import YAML

/// An Akri `Configuration` resource (apiVersion `akri.sh/v0`), as far as a discovery handler and a
/// local agent need it: its name, its handler, the discovery details (a string) with where they
/// sit in the file, discovery properties, broker properties and capacity.
public struct AkriConfiguration: Hashable, Sendable {
    /// `metadata.name`.
    public var name: String
    /// `metadata.namespace` (`default` when absent): where Secrets and ConfigMaps are looked up.
    public var namespace: String = "default"
    /// `spec.discoveryHandler.name`.
    public var handlerName: String
    /// `spec.discoveryHandler.discoveryDetails`.
    public var discoveryDetails: String
    /// How positions in the details map to the file.
    public var detailsMapping: MarkMapping
    /// `spec.discoveryHandler.discoveryProperties`: name, and the value (nil for an entry with
    /// neither `value` nor a readable `valueFrom`).
    public var discoveryProperties: [DiscoveryProperty]
    /// `spec.brokerProperties`.
    public var brokerProperties: [String: String]
    /// `spec.capacity` (default 1).
    public var capacity: Int

    /// A key of a Secret or ConfigMap, as Akri's CRD names one.
    public struct KeyReference: Hashable, Sendable {
        /// The object's name.
        public var name: String
        /// Its namespace; nil for the Configuration's.
        public var namespace: String?
        /// The key.
        public var key: String
        /// Whether a missing object or key leaves the property out instead of failing.
        public var optional: Bool

        /// A reference.
        public init(name: String, namespace: String? = nil, key: String, optional: Bool = false) {
            self.name = name
            self.namespace = namespace
            self.key = key
            self.optional = optional
        }
    }

    /// Where Secrets and ConfigMaps are found outside Kubernetes: directories laid out as
    /// Kubernetes mounts them, `DIR/<namespace>/<name>/<key>`. Nil leaves such properties unresolved.
    public struct Mounts: Hashable, Sendable {
        /// `--secrets-dir`.
        public var secrets: String?
        /// `--config-maps-dir`.
        public var configMaps: String?

        /// Directories.
        public init(secrets: String? = nil, configMaps: String? = nil) {
            self.secrets = secrets
            self.configMaps = configMaps
        }
    }

    /// One discovery property.
    public struct DiscoveryProperty: Hashable, Sendable {
        /// The name, e.g. `mqtt_broker_password`.
        public var name: String
        /// Where the value comes from.
        public var source: Source
        /// Where the entry is in the file.
        public var mark: Mark

        /// Where a property's value comes from.
        public enum Source: Hashable, Sendable {
            /// `value: …`.
            case value(String)
            /// `valueFrom: {file: PATH}`: read by the local agent.
            case file(String, optional: Bool)
            /// `valueFrom: {secretKeyRef: …}`: a key of a Secret.
            case secret(KeyReference)
            /// `valueFrom: {configMapKeyRef: …}`: a key of a ConfigMap.
            case configMap(KeyReference)
            /// Neither.
            case none
        }
    }
}

/// What a file given to `check`, `agent` or `run` holds: Akri Configurations, or bare discovery
/// details.
public enum ConfigurationDocument: Sendable {
    /// An Akri Configuration.
    case configuration(AkriConfiguration)
    /// A YAML document that is neither (say, a Service in the same file).
    case other(kind: String, mark: Mark)
    /// Bare discovery details (no `kind`): the whole document is the details.
    case details(String)
}

extension ConfigurationDocument {
    /// Reads every document of a file. Problems with the Configuration itself (not with its
    /// details) are returned too; the details are parsed separately.
    public static func parse(_ text: String) -> (documents: [ConfigurationDocument], problems: [DetailsProblem]) {
        let roots: [YAMLNode]
        do {
            roots = try YAML.parseDocuments(text)
        } catch {
            return ([], [DetailsProblem(.error, at: error.mark, "invalid YAML: \(error.message)")])
        }
        if roots.isEmpty { return ([.details(text)], []) }
        var documents: [ConfigurationDocument] = []
        var problems: [DetailsProblem] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for root in roots {
            guard case .mapping(let pairs) = root.content,
                let kindNode = pairs.first(where: { $0.key.scalar == "kind" })?.value
            else {
                // No kind: bare details. With one document the text is the details; with several,
                // this document's text is not separable, so say so.
                if roots.count == 1 {
                    documents.append(.details(text))
                } else {
                    problems.append(
                        DetailsProblem(.error, at: root.mark, "a document without 'kind' in a multi-document file")
                    )
                }
                continue
            }
            let kind = kindNode.scalar ?? ""
            guard kind == "Configuration" else {
                documents.append(.other(kind: kind, mark: root.mark))
                continue
            }
            if let configuration = parseConfiguration(root, lines: lines, problems: &problems) {
                documents.append(.configuration(configuration))
            }
        }
        return (documents, problems)
    }

    private static func parseConfiguration(
        _ root: YAMLNode,
        lines: [Substring],
        problems: inout [DetailsProblem]
    ) -> AkriConfiguration? {
        func child(_ node: YAMLNode?, _ key: String) -> YAMLNode? {
            guard case .mapping(let pairs)? = node?.content else { return nil }
            return pairs.first { $0.key.scalar == key }?.value
        }
        func fail(_ mark: Mark, _ message: String) {
            problems.append(DetailsProblem(.error, at: mark, message))
        }
        func note(_ mark: Mark, _ message: String) {
            problems.append(DetailsProblem(.note, at: mark, message))
        }
        func isPlain(_ node: YAMLNode) -> Bool {
            if case .scalar(_, .plain) = node.content { return true }
            return false
        }
        /// Whether Kubernetes reads the scalar as a string: quoted, a block, or plain text that
        /// YAML does not resolve to a number, a boolean or null.
        func isString(_ node: YAMLNode) -> Bool {
            guard isPlain(node), let text = node.scalar else { return true }
            let lowered = text.lowercased()
            if ["true", "false", "yes", "no", "on", "off", "null", "~", ""].contains(lowered) { return false }
            return Double(text) == nil && Int(text) == nil
        }
        func typeNote(_ what: String, _ node: YAMLNode) -> String {
            "\(what) is a YAML \(Double(node.scalar ?? "") != nil ? "number" : "boolean or null"), not a string: Akri's CRD would refuse it; quote it"
        }
        /// A Kubernetes object name (a DNS subdomain) or key (`[-._a-zA-Z0-9]+`): they become
        /// path components, so nothing else (no `/`, no `..`) is let through.
        func isName(_ text: String, key: Bool) -> Bool {
            !text.isEmpty && text.count <= 253 && text != "." && text != ".."
                && text.allSatisfy {
                    $0.isASCII
                        && ($0.isNumber || $0 == "-" || $0 == "." || (key ? $0.isLetter || $0 == "_" : $0.isLowercase))
                }
        }
        func keyReference(_ node: YAMLNode, _ kind: String) -> AkriConfiguration.KeyReference? {
            guard let name = child(node, "name")?.scalar, isName(name, key: false) else {
                fail(node.mark, "\(kind) needs a name: a Kubernetes object name")
                return nil
            }
            guard let key = child(node, "key")?.scalar, isName(key, key: true) else {
                fail(node.mark, "\(kind) needs a key of letters, digits, '-', '_' and '.'")
                return nil
            }
            let namespace = child(node, "namespace")?.scalar
            if let namespace, !isName(namespace, key: false) {
                fail(node.mark, "\(kind) namespace '\(namespace)' is not a Kubernetes namespace name")
                return nil
            }
            return .init(
                name: name,
                namespace: namespace,
                key: key,
                optional: child(node, "optional")?.scalar == "true"
            )
        }
        if let version = child(root, "apiVersion")?.scalar, version != "akri.sh/v0" {
            problems.append(
                DetailsProblem(
                    .warning,
                    at: child(root, "apiVersion")!.mark,
                    "apiVersion is '\(version)'; Akri's is akri.sh/v0"
                )
            )
        }
        let metadata = child(root, "metadata")
        guard let nameNode = child(metadata, "name"), let name = nameNode.scalar, !name.isEmpty else {
            fail(metadata?.mark ?? root.mark, "metadata.name is missing")
            return nil
        }
        if !name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") })
            || name.count > 253
        {
            fail(
                nameNode.mark,
                "metadata.name '\(name)' must be lower-case letters, digits, '-' and '.' (a Kubernetes name)"
            )
        }
        let namespace = child(metadata, "namespace")?.scalar ?? "default"
        let spec = child(root, "spec")
        let handler = child(spec, "discoveryHandler")
        guard let handlerNode = child(handler, "name"), let handlerName = handlerNode.scalar else {
            fail(handler?.mark ?? spec?.mark ?? root.mark, "spec.discoveryHandler.name is missing")
            return nil
        }
        // Akri's CRD makes discoveryDetails optional (an empty string when absent): a handler that
        // needs none (debugEcho's are its own) is fine without; the mqtt handler's details then
        // fail as empty, at the discoveryHandler's position.
        let detailsNode = child(handler, "discoveryDetails")
        guard detailsNode == nil || detailsNode?.scalar != nil else {
            fail(detailsNode!.mark, "spec.discoveryHandler.discoveryDetails must be a string")
            return nil
        }
        let details = detailsNode?.scalar ?? ""
        let handlerMark = handler?.mark ?? root.mark
        let detailsMapping =
            detailsNode.map { mapping(for: $0, lines: lines) }
            ?? MarkMapping(
                lineOffset: handlerMark.line - 1,
                firstLineColumnOffset: handlerMark.column - 1,
                columnOffset: handlerMark.column - 1
            )
        var properties: [AkriConfiguration.DiscoveryProperty] = []
        if let list = child(handler, "discoveryProperties") {
            guard case .sequence(let items) = list.content else {
                fail(list.mark, "discoveryProperties must be a list")
                return nil
            }
            for item in items {
                guard let propertyName = child(item, "name")?.scalar else {
                    fail(item.mark, "a discovery property needs a name")
                    continue
                }
                if !(propertyName.first.map { $0 == "_" || $0.isLetter } ?? false)
                    || !propertyName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                {
                    fail(item.mark, "discovery property name '\(propertyName)' must match ^[_A-Za-z][_A-Za-z0-9]*$")
                }
                var source = AkriConfiguration.DiscoveryProperty.Source.none
                // Akri's CRD: exactly one of value and valueFrom (oneOf), valueFrom exactly one of
                // secretKeyRef and configMapKeyRef.
                if (child(item, "value") != nil) == (child(item, "valueFrom") != nil) {
                    note(item.mark, "discovery property '\(propertyName)' needs exactly one of value and valueFrom")
                }
                if let valueNode = child(item, "value"), let value = valueNode.scalar {
                    if !isString(valueNode) { note(valueNode.mark, typeNote("value of '\(propertyName)'", valueNode)) }
                    source = .value(value)
                } else if let from = child(item, "valueFrom") {
                    if let file = child(from, "file")?.scalar {
                        note(
                            from.mark,
                            "valueFrom.file is mqtt-discovery's own (for machines without Kubernetes): Akri's CRD accepts only secretKeyRef or configMapKeyRef"
                        )
                        source = .file(file, optional: child(from, "optional")?.scalar == "true")
                    } else if let reference = child(from, "secretKeyRef") {
                        guard let parsed = keyReference(reference, "secretKeyRef") else { continue }
                        source = .secret(parsed)
                    } else if let reference = child(from, "configMapKeyRef") {
                        guard let parsed = keyReference(reference, "configMapKeyRef") else { continue }
                        source = .configMap(parsed)
                    } else {
                        fail(from.mark, "valueFrom needs file, secretKeyRef or configMapKeyRef")
                    }
                }
                properties.append(.init(name: propertyName, source: source, mark: item.mark))
            }
        }
        var brokerProperties: [String: String] = [:]
        if let node = child(spec, "brokerProperties") {
            guard case .mapping(let pairs) = node.content else {
                fail(node.mark, "spec.brokerProperties must be a mapping of names to strings")
                return nil
            }
            for pair in pairs {
                guard let key = pair.key.scalar, let value = pair.value.scalar else {
                    fail(pair.value.mark, "spec.brokerProperties values must be strings")
                    continue
                }
                if !isString(pair.value) { note(pair.value.mark, typeNote("brokerProperties.\(key)", pair.value)) }
                brokerProperties[key] = value
            }
        }
        var capacity = 1
        if let node = child(spec, "capacity") {
            guard let text = node.scalar, let value = Int(text), value >= 1, isPlain(node) else {
                fail(node.mark, "spec.capacity must be a whole number of 1 or more")
                return nil
            }
            capacity = value
        }
        return AkriConfiguration(
            name: name,
            namespace: namespace,
            handlerName: handlerName,
            discoveryDetails: details,
            detailsMapping: detailsMapping,
            discoveryProperties: properties,
            brokerProperties: brokerProperties,
            capacity: capacity
        )
    }

    /// Where the details string's text starts in the file. A block scalar (`|`, `|+`, `>`) starts
    /// on the line after its indicator, indented by the first content line's indentation; a
    /// quoted or plain scalar starts where it is (plus the quote).
    private static func mapping(for node: YAMLNode, lines: [Substring]) -> MarkMapping {
        guard case .scalar(_, let style) = node.content else { return .identity }
        switch style {
        case .literal, .folded:
            let contentLine = lines.dropFirst(node.mark.line).first { !$0.allSatisfy(\.isWhitespace) }
            let indent = contentLine.map { $0.prefix { $0 == " " }.count } ?? 0
            return MarkMapping(lineOffset: node.mark.line, firstLineColumnOffset: indent, columnOffset: indent)
        case .quoted:
            return MarkMapping(lineOffset: node.mark.line - 1, firstLineColumnOffset: node.mark.column, columnOffset: 0)
        case .plain:
            return MarkMapping(
                lineOffset: node.mark.line - 1,
                firstLineColumnOffset: node.mark.column - 1,
                columnOffset: 0
            )
        }
    }
}

extension AkriConfiguration {
    /// The discovery properties as the agent hands them to the handler (Akri's
    /// `DiscoverRequest.discovery_properties`): a `value` as its bytes, a `valueFrom.file` read with
    /// `read`. A missing optional file leaves the property out; a missing required one, or a
    /// Kubernetes reference (only Kubernetes can resolve it), is a problem at the entry.
    public func resolvedDiscoveryProperties(
        mounts: Mounts = Mounts(),
        read: (String) -> Result<[UInt8], ReadFailure>
    ) -> (properties: [String: [UInt8]?], problems: [DetailsProblem], unreadable: Bool) {
        var properties: [String: [UInt8]?] = [:]
        var problems: [DetailsProblem] = []
        var unreadable = false
        for property in discoveryProperties {
            switch property.source {
            case .value(let value):
                properties[property.name] = Array(value.utf8)
            case .none:
                properties[property.name] = .some(nil)
            case .file(let path, let optional):
                switch read(path) {
                case .success(let bytes):
                    properties[property.name] = bytes
                case .failure(let failure):
                    if !optional {
                        unreadable = true
                        problems.append(
                            DetailsProblem(
                                .error,
                                at: property.mark,
                                "\(property.name): cannot read \(path): \(failure.reason)"
                            )
                        )
                    }
                }
            case .secret(let reference), .configMap(let reference):
                let isSecret = if case .secret = property.source { true } else { false }
                let kind = isSecret ? "Secret" : "ConfigMap"
                guard let directory = isSecret ? mounts.secrets : mounts.configMaps else {
                    problems.append(
                        DetailsProblem(
                            .warning,
                            at: property.mark,
                            "\(property.name): a \(kind) is resolved by Kubernetes; left out here (give \(isSecret ? "--secrets-dir" : "--config-maps-dir") to resolve it from a directory)"
                        )
                    )
                    continue
                }
                let namespace = reference.namespace ?? self.namespace
                let path = "\(directory)/\(namespace)/\(reference.name)/\(reference.key)"
                switch read(path) {
                case .success(let bytes):
                    properties[property.name] = bytes
                case .failure(let failure):
                    // Akri's property solver: a missing object or key fails the Configuration
                    // unless the reference is optional, when the property is left out.
                    guard !reference.optional else { continue }
                    unreadable = true
                    problems.append(
                        DetailsProblem(
                            .error,
                            at: property.mark,
                            "\(property.name): key '\(reference.key)' of \(kind) \(namespace)/\(reference.name) is not available (\(path): \(failure.reason))"
                        )
                    )
                }
            }
        }
        return (properties, problems, unreadable)
    }

    /// Why a file could not be read.
    public struct ReadFailure: Error, Hashable, Sendable {
        /// E.g. `No such file or directory`.
        public var reason: String

        /// A failure.
        public init(_ reason: String) {
            self.reason = reason
        }
    }
}
