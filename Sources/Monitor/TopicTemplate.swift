/// The upstream topic of a forwarded message: a template where `{device}` and `{topic}` expand to
/// the device's id and the original topic; anything else is kept as written.
public struct TopicTemplate: Hashable, Sendable {
    /// The template as given.
    public let text: String

    /// The template `text` (e.g. `edge/{device}/{topic}`); the default `{topic}` keeps topics.
    public init(_ text: String = "{topic}") {
        self.text = text
    }

    /// The topic for a message on `topic` from `device`.
    public func expand(topic: String, device: String) -> String {
        if text == "{topic}" { return topic }
        return text.replacing("{device}", with: device).replacing("{topic}", with: topic)
    }
}
