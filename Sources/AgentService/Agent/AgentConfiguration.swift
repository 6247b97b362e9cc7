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
    /// `spec.brokerProperties`: added to every instance's properties, over the device's own.
    public var brokerProperties: [String: String]
    /// `spec.capacity`: carried on every instance.
    public var capacity: Int

    /// A configuration.
    public init(
        name: String,
        handlerName: String,
        request: DiscoverRequest,
        brokerProperties: [String: String] = [:],
        capacity: Int = 1
    ) {
        self.name = name
        self.handlerName = handlerName
        self.request = request
        self.brokerProperties = brokerProperties
        self.capacity = capacity
    }
}
