public import MQTTCodec

/// What the session with one broker is made of: who connects, with which protocol version and
/// session lifetime, and the limits announced in CONNECT. Everything here is protocol; how the
/// connection is made (TLS, reconnecting) belongs to the client that drives the session.
public struct SessionConfiguration: Sendable {
    /// The broker.
    public var url: BrokerURL
    /// The client identifier: the broker's key for the session.
    public var clientIdentifier: String
    /// The protocol version to speak.
    public var protocolVersion: ProtocolVersion
    /// Start a new session rather than resume one (3.1.1: Clean Session).
    public var cleanStart: Bool
    /// How long the broker keeps the session after the connection ends (MQTT 5.0), in seconds;
    /// `UInt32.max` keeps it forever. Under 3.1.1 a session without Clean Session never expires.
    public var sessionExpiryInterval: UInt32
    /// The keep alive in seconds; 0 turns it off.
    public var keepAlive: UInt16
    /// The user name, if any (a user name in the URL is used when this is nil).
    public var userName: String?
    /// The password, if any (a password in the URL is used when this is nil).
    public var password: [UInt8]?
    /// The will the broker publishes if the connection ends abnormally.
    public var will: ConnectPacket.Will?
    /// How long connecting (TCP, TLS and CONNACK) may take.
    public var connectTimeout: Duration
    /// How many QoS 1 and 2 messages the broker may send before we acknowledge them (MQTT 5.0).
    public var receiveMaximum: UInt16
    /// The largest packet we accept; the decoder refuses larger ones before buffering them.
    public var maximumPacketSize: UInt32
    /// The highest topic alias the broker may use towards us (MQTT 5.0).
    public var topicAliasMaximum: UInt16
    /// User properties for CONNECT (MQTT 5.0).
    public var userProperties: [UserProperty]

    /// A configuration for `url` with `clientIdentifier`. The defaults keep a persistent session
    /// for a day, with a 60-second keep alive.
    public init(url: BrokerURL, clientIdentifier: String) {
        self.url = url
        self.clientIdentifier = clientIdentifier
        protocolVersion = .v5
        cleanStart = false
        sessionExpiryInterval = 86_400
        keepAlive = 60
        userName = nil
        password = nil
        will = nil
        connectTimeout = .seconds(10)
        receiveMaximum = 65_535
        maximumPacketSize = 16 << 20
        topicAliasMaximum = 1_024
        userProperties = []
    }

    /// The CONNECT packet this configuration sends.
    var connectPacket: ConnectPacket {
        var properties = ConnectProperties()
        if protocolVersion == .v5 {
            properties.sessionExpiryInterval = sessionExpiryInterval == 0 ? nil : sessionExpiryInterval
            properties.receiveMaximum = receiveMaximum == 65_535 ? nil : receiveMaximum
            properties.maximumPacketSize = maximumPacketSize
            properties.topicAliasMaximum = topicAliasMaximum == 0 ? nil : topicAliasMaximum
            properties.userProperties = userProperties
        }
        var will = will
        if protocolVersion == .v311 { will?.properties = WillProperties() }
        return ConnectPacket(
            protocolVersion: protocolVersion,
            clientIdentifier: clientIdentifier,
            cleanStart: cleanStart,
            keepAlive: keepAlive,
            userName: userName ?? url.userName,
            password: password ?? url.password.map { Array($0.utf8) },
            will: will,
            properties: properties
        )
    }
}
