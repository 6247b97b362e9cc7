/// Rules for topic filters, and matching a topic name against one (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7).
public enum TopicFilter {
    private static let slash = UInt8(ascii: "/")
    private static let plus = UInt8(ascii: "+")
    private static let hash = UInt8(ascii: "#")
    private static let dollar = UInt8(ascii: "$")
    private static let sharePrefix = Array("$share/".utf8)

    /// Checks that `filter` can be subscribed to: at least one character; `#` only on its own as
    /// the last level [MQTT-4.7.1-1]; `+` only as a whole level [MQTT-4.7.1-2]; under MQTT 5.0, a
    /// `$share/` filter has a share name without `/`, `+` or `#` and a filter after it
    /// [MQTT-4.8.2-1], [MQTT-4.8.2-2]; no U+0000 and at most 65,535 bytes.
    public static func validate(_ filter: String, version: ProtocolVersion = .v5) throws(MQTTCodecError) {
        if let (problem, rule) = problem(in: filter, version: version) {
            throw MQTTCodecError(problem, packet: nil, field: .topicFilter, version: version, rule: rule)
        }
        try TopicName.checkEncoding(filter, field: .topicFilter, version: version)
    }

    /// Whether `filter` is a shared subscription (`$share/NAME/FILTER`, MQTT 5.0 §4.8.2).
    public static func isShared(_ filter: String) -> Bool {
        filter.utf8.starts(with: sharePrefix)
    }

    /// The first wildcard-placement problem in `filter`, with the rule it breaks.
    static func problem(in filter: String, version: ProtocolVersion) -> (MQTTCodecError.Problem, Rule)? {
        var levels = filter.utf8[...]
        if levels.isEmpty { return (.emptyTopic, .topicNotEmpty) }
        if version == .v5 && levels.starts(with: sharePrefix) {
            levels = levels.dropFirst(sharePrefix.count)
            guard let slashIndex = levels.firstIndex(of: slash), slashIndex != levels.startIndex else {
                return (
                    .invalidTopicFilter("a shared subscription needs a share name followed by '/' and a filter"),
                    .sharedSubscription
                )
            }
            if levels[..<slashIndex].contains(where: { $0 == plus || $0 == hash }) {
                return (.invalidTopicFilter("a share name must not contain '+' or '#'"), .sharedSubscription)
            }
            levels = levels[levels.index(after: slashIndex)...]
            if levels.isEmpty {
                return (
                    .invalidTopicFilter("a shared subscription needs a filter after its share name"),
                    .sharedSubscription
                )
            }
        }
        for level in levels.split(separator: slash, omittingEmptySubsequences: false) {
            if level.contains(hash) {
                // `#` must be a level of its own and the last one.
                if level.count != 1 || level.endIndex != levels.endIndex {
                    return (
                        .invalidTopicFilter("'#' must be the last level and stand alone in it"),
                        .multiLevelWildcard
                    )
                }
            } else if level.contains(plus) && level.count != 1 {
                return (.invalidTopicFilter("'+' must occupy a whole level"), .singleLevelWildcard)
            }
        }
        return nil
    }

    /// Whether a message published to `topic` matches `filter`.
    ///
    /// `+` matches exactly one level (which may be empty), `#` matches the parent level and every
    /// level below it (`sport/#` matches `sport`), and a filter that starts with a wildcard does not
    /// match a topic that starts with `$` [MQTT-4.7.2-1]. Matching compares bytes: no normalisation
    /// [MQTT-4.7.3-4]. `filter` is assumed valid (see ``validate(_:version:)``).
    public static func matches(_ filter: String, topic: String) -> Bool {
        let f = filter.utf8
        let t = topic.utf8
        guard let first = f.first else { return false }
        if t.first == dollar && (first == plus || first == hash) { return false }

        var filterIndex = f.startIndex
        var topicIndex = t.startIndex
        var topicDone = false
        while true {
            let filterEnd = f[filterIndex...].firstIndex(of: slash) ?? f.endIndex
            let level = f[filterIndex..<filterEnd]
            if level.count == 1 && level.first == hash { return true }
            if topicDone { return false }
            let topicEnd = t[topicIndex...].firstIndex(of: slash) ?? t.endIndex
            if !(level.count == 1 && level.first == plus) && !level.elementsEqual(t[topicIndex..<topicEnd]) {
                return false
            }
            let filterFinished = filterEnd == f.endIndex
            let topicFinished = topicEnd == t.endIndex
            if filterFinished { return topicFinished }
            filterIndex = f.index(after: filterEnd)
            if topicFinished {
                // The topic has no more levels; only a trailing `#` can still match.
                topicDone = true
            } else {
                topicIndex = t.index(after: topicEnd)
            }
        }
    }
}
