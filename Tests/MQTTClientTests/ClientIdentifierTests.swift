import MQTTClient
import Testing

@Suite("Client identifiers")
struct ClientIdentifierTests {
    @Test("stable for one configuration, different for another, short and alphanumeric")
    func stable() {
        let a = ClientIdentifier.stable(for: "tcp://broker:1883|a/#")
        #expect(a == ClientIdentifier.stable(for: "tcp://broker:1883|a/#"))
        #expect(a != ClientIdentifier.stable(for: "tcp://broker:1883|b/#"))
        #expect(a.count <= 23)
        #expect(a.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(a.hasPrefix("mqttd"))
    }
}
