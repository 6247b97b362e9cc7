import MQTTSession
import Testing

@Suite("Broker URLs")
struct BrokerURLTests {
    @Test(
        "accepted forms",
        arguments: [
            ("tcp://broker:1883", "broker", UInt16(1883), false, "tcp://broker:1883"),
            ("mqtt://broker", "broker", 1883, false, "mqtt://broker:1883"),
            ("ssl://broker", "broker", 8883, true, "ssl://broker:8883"),
            ("mqtts://10.0.0.1:8884", "10.0.0.1", 8884, true, "mqtts://10.0.0.1:8884"),
            ("tcp://[::1]:1884", "::1", 1884, false, "tcp://[::1]:1884"),
            ("mqtt://[fe80::1]", "fe80::1", 1883, false, "mqtt://[fe80::1]:1883"),
            ("TCP://Broker.example/", "Broker.example", 1883, false, "tcp://Broker.example:1883"),
        ]
    )
    func accepted(_ text: String, _ host: String, _ port: UInt16, _ tls: Bool, _ description: String) throws {
        let url = try BrokerURL(text)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.usesTLS == tls)
        #expect(url.description == description)
    }

    @Test("credentials are taken apart, decoded, and never shown")
    func credentials() throws {
        let url = try BrokerURL("mqtt://dev%40site:p%3Ass@broker:1883")
        #expect(url.userName == "dev@site")
        #expect(url.password == "p:ss")
        #expect(url.description == "mqtt://broker:1883")
    }

    @Test(
        "refused forms say why",
        arguments: [
            ("broker:1883", "it has no scheme; use tcp://, mqtt://, ssl:// or mqtts://"),
            ("http://broker", "the scheme 'http' is not one of tcp, mqtt, ssl, mqtts"),
            ("tcp://", "it has no host"),
            ("tcp://:1883", "it has no host"),
            ("tcp://broker:0", "'0' is not a port (1-65535)"),
            ("tcp://broker:99999", "'99999' is not a port (1-65535)"),
            ("tcp://[::1", "the IPv6 address has no closing ']'"),
            ("tcp://broker/topic", "a broker URL has no path, query or fragment"),
            ("tcp://bro ker", "'bro ker' is not a host name or address"),
        ]
    )
    func refused(_ text: String, _ reason: String) {
        #expect(throws: MQTTClientError.invalidURL(text, reason)) { try BrokerURL(text) }
    }
}
