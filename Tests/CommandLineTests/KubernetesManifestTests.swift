import Foundation
import TestSupport
import Testing

/// `Configurations/kubernetes/`, validated offline: the Kubernetes kinds with kubernetes-validate
/// (strict, the schemas it ships), the Akri Configuration against Akri's CRD (jsonschema), and
/// the discovery details everywhere with our own `check`.
@Suite("Kubernetes manifests")
struct KubernetesManifestTests {
    static let directory = Peers.root + "/Configurations/kubernetes"

    @Test("the DaemonSet passes kubernetes-validate --strict")
    func kubernetesKinds() async throws {
        let validate = Peers.root + "/.build/peers/bin/kubernetes-validate"
        let process = try ExternalProcess(validate, ["--strict", Self.directory + "/mqtt-discovery-handler.yaml"])
        #expect(await process.waitForExit(timeout: .seconds(120)) == 0, "\(process.log)")
        #expect(process.log.contains("passed for resource daemonset/akri-mqtt-discovery"), "\(process.log)")
    }

    @Test("the Configuration is one Akri's CRD accepts, and check finds its details valid")
    func configuration() async throws {
        let file = Self.directory + "/akri-configuration-mqtt.yaml"
        let results = try await Peers.run(
            "akri_schema.py",
            [Peers.root + "/Tests/Fixtures/akri-configuration-crd.yaml", file]
        )
        #expect(results.count == 1)
        #expect(results.first?["valid"] as? Bool == true, "\(results)")
        let check = try await Binary.run(["check", file])
        #expect(check.status == 0, "\(check.standardOutput)")
        #expect(check.standardOutput.contains("ok (Configuration plant-devices: 1 broker, 2 topic entries)"))
    }

    @Test("the Helm values' discovery details are valid")
    func helmValues() async throws {
        let directory = try TemporaryDirectory(prefix: "helm")
        let details = directory.file("details.yaml")
        let extract = try ExternalProcess(
            Peers.python,
            [
                "-c",
                "import sys, yaml; v = yaml.safe_load(open(sys.argv[1])); "
                    + "open(sys.argv[2], 'w').write(v['custom']['configuration']['discoveryDetails'])",
                Self.directory + "/akri-helm-values.yaml", details,
            ]
        )
        #expect(await extract.waitForExit() == 0, "\(extract.log)")
        let check = try await Binary.run(["check", details])
        #expect(check.status == 0, "\(check.standardOutput)")
    }
}
