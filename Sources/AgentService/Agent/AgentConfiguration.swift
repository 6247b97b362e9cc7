public import AgentProtocol

/// One Configuration as the agent serves it: which handler discovers it and what to send that
/// handler (details as written, discovery properties already resolved).
public struct AgentConfiguration: Hashable, Sendable {
    /// `metadata.name`; instance names start with it.
    public var name: String
    /// `spec.discoveryHandler.name`: the registered handlers that discover it.
    public var handlerName: String
    /// What each of those handlers is asked.
    public var request: DiscoverRequest

    /// A configuration.
    public init(name: String, handlerName: String, request: DiscoverRequest) {
        self.name = name
        self.handlerName = handlerName
        self.request = request
    }
}
