/// Rules for topic names: the topic a PUBLISH (or will, or response) is sent to.
public enum TopicName {
    /// Checks that `topic` can be published to: at least one character [MQTT-4.7.3-1], no
    /// wildcard [MQTT-4.7.0-1], no U+0000 [MQTT-4.7.3-2], at most 65,535 bytes [MQTT-4.7.3-3].
    public static func validate(_ topic: String, version: ProtocolVersion = .v5) throws(MQTTCodecError) {
        let field = Field.topicName
        func fail(_ problem: MQTTCodecError.Problem, _ rule: Rule) -> MQTTCodecError {
            MQTTCodecError(problem, packet: nil, field: field, version: version, rule: rule)
        }
        if let problem = problem(inUTF8: topic.utf8, allowEmpty: false) {
            throw fail(problem, problem == .emptyTopic ? .topicNotEmpty : .topicNameWildcards)
        }
        try checkEncoding(topic, field: field, version: version)
    }

    /// The first wildcard or emptiness problem in the topic whose UTF-8 is `utf8`, if any.
    static func problem(inUTF8 utf8: some Collection<UInt8>, allowEmpty: Bool) -> MQTTCodecError.Problem? {
        if utf8.isEmpty && !allowEmpty { return .emptyTopic }
        if utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) {
            return .wildcardInTopicName
        }
        return nil
    }

    /// The string rules every topic shares: no U+0000 and at most 65,535 bytes.
    static func checkEncoding(_ topic: String, field: Field, version: ProtocolVersion) throws(MQTTCodecError) {
        if topic.utf8.count > Int(UInt16.max) {
            throw MQTTCodecError(
                .stringTooLong(topic.utf8.count),
                packet: nil,
                field: field,
                version: version,
                rule: .topicLength
            )
        }
        if topic.utf8.contains(0) {
            throw MQTTCodecError(
                .nullCharacter,
                packet: nil,
                field: field,
                version: version,
                rule: .topicNoNull
            )
        }
    }
}
