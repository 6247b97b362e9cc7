import Discovery
import Testing
import YAML

@Suite("Configuration files: the one loader")
struct ConfigurationFileTests {
    static let configuration = """
        apiVersion: akri.sh/v0
        kind: Configuration
        metadata:
          name: plant
        spec:
          discoveryHandler:
            name: mqtt
            discoveryDetails: |
              mqttBrokerUri: tcp://broker:1883
              topics: ["plant/+/status"]
            discoveryProperties:
              - name: mqtt_broker_password
                valueFrom:
                  file: /run/secret
              - name: optional_thing
                valueFrom:
                  file: /absent
                  optional: true
        ---
        apiVersion: akri.sh/v0
        kind: Configuration
        metadata:
          name: cameras
        spec:
          discoveryHandler:
            name: onvif
            discoveryDetails: "anything onvif takes"
        """

    static func load(
        _ text: String,
        path: String = "/etc/akri/plant.yaml",
        bareDetails: ConfigurationFile.BareDetails = .allowed
    ) -> ConfigurationFile {
        ConfigurationFile(path: path, text: text, bareDetails: bareDetails) { file in
            file == "/run/secret" ? .success(Array("s3cret".utf8)) : .failure(.init("No such file or directory"))
        }
    }

    @Test("Configurations: properties resolved, mqtt details parsed, other handlers passed on as written")
    func configurations() throws {
        let file = Self.load(Self.configuration)
        #expect(file.problems.allSatisfy { $0.severity == .note }, "\(file.problems)")
        #expect(file.problems.count == 2, "valueFrom.file, twice: ours, not Akri's")
        #expect(file.entries.map(\.name) == ["plant", "cameras"])
        let plant = try #require(file.entries.first)
        #expect(plant.discoveryProperties == ["mqtt_broker_password": Array("s3cret".utf8)])
        #expect(plant.details?.brokers.first?.password == .inline(Array("s3cret".utf8)))
        #expect(!plant.isBareDetails)
        let cameras = try #require(file.entries.last)
        #expect(cameras.details == nil)
        #expect(cameras.discoveryDetails == "anything onvif takes")
        #expect(try file.mqttEntry(named: nil).get().name == "plant")
        #expect(throws: ConfigurationFile.SelectionError.self) { try file.mqttEntry(named: "cameras").get() }
    }

    @Test("a required property file that cannot be read is an error at its entry")
    func unreadableProperty() {
        let file = Self.load(Self.configuration.replacing("/run/secret", with: "/run/other"))
        #expect(file.hasErrors)
        #expect(
            file.problems.filter { $0.severity != .note }.map(\.description) == [
                "12:9: mqtt_broker_password: cannot read /run/other: No such file or directory"
            ]
        )
    }

    @Test("bare details: a Configuration named after the file for run and discover; an error for agent")
    func bareDetails() throws {
        let details = "mqttBrokerUri: tcp://broker:1883\ntopics: [a/#]\n"
        let allowed = Self.load(details, path: "/x/Details_Proposal.v2.yaml")
        let entry = try #require(allowed.entries.first)
        #expect(entry.isBareDetails && entry.name == "details-proposal-v2" && entry.details != nil)
        let refused = Self.load(details, bareDetails: .refused)
        #expect(refused.entries.isEmpty)
        #expect(refused.problems.map(\.description) == ["1:1: bare discovery details, not an Akri Configuration"])
    }

    @Test("errors in the details point into the file; a file of other kinds holds no Configuration")
    func problems() {
        let broken = Self.load(Self.configuration.replacing("plant/+/status", with: "plant/#/status"))
        #expect(
            broken.problems.filter { $0.severity != .note }.map(\.description) == [
                "10:23: topic filter 'plant/#/status': '#' must be the last level and stand alone in it"
            ]
        )
        #expect(broken.entries.first?.details == nil)
        let service = Self.load("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
        #expect(service.problems.map(\.description) == ["1:1: no Configuration in the file"])
    }

    @Test("discoveryDetails is optional, as in Akri's CRD: other handlers get an empty string; mqtt's are empty")
    func optionalDetails() throws {
        let text = """
            kind: Configuration
            metadata: {name: echo}
            spec:
              discoveryHandler:
                name: debugEcho
            ---
            kind: Configuration
            metadata: {name: plant}
            spec:
              discoveryHandler:
                name: mqtt
            """
        let file = Self.load(text)
        #expect(file.entries.first?.discoveryDetails == "")
        #expect(file.entries.first?.handlerName == "debugEcho")
        #expect(file.problems.map(\.description) == ["11:5: the discovery details are empty"])
    }

    @Test("the same name twice across files is found")
    func duplicateNames() {
        let files = [Self.load(Self.configuration), Self.load(Self.configuration, path: "/other.yaml")]
        #expect(ConfigurationFile.duplicateNames(in: files) == ["plant", "cameras"])
    }
}
