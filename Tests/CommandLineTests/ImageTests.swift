import Foundation
import TestSupport
import Testing

/// `Scripts/image`: an OCI image layout archive built without pulling anything, checked by running
/// the binary inside its root filesystem (`unshare` + `chroot`: no container runtime runs here).
@Suite("container image")
struct ImageTests {
    static func json(_ path: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        )
    }

    @Test("Scripts/image writes an OCI layout whose digests hold, and the binary runs inside it as its user")
    func image() async throws {
        let directory = try TemporaryDirectory(prefix: "image")
        let archive = directory.file("image.tar")
        let script = try ExternalProcess(
            "\(Peers.root)/Scripts/image",
            ["--binary", Binary.path, "--output", archive, "--tag", "mqtt-discovery:test"],
            separateStandardError: true
        )
        let status = await script.waitForExit(timeout: .seconds(300))
        #expect(status == 0, "\(script.log)\n\(script.errorLog)")
        #expect(script.log.contains("mqtt-discovery 0.1.0"), "--version inside the image: \(script.log)")
        #expect(script.log.contains("USAGE: mqtt-discovery handler"), "handler --help inside the image")

        // Read the layout as a runtime does: index → manifest → config and layer, digests checked.
        let unpacked = directory.file("unpacked")
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        let tar = try ExternalProcess("/bin/tar", ["-C", unpacked, "-xf", archive])
        #expect(await tar.waitForExit() == 0)
        #expect(try Self.json(unpacked + "/oci-layout")["imageLayoutVersion"] as? String == "1.0.0")
        let index = try Self.json(unpacked + "/index.json")
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first)
        #expect(
            (entry["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == "mqtt-discovery:test"
        )
        func blob(_ descriptor: [String: Any]) async throws -> String {
            let digest = try #require(descriptor["digest"] as? String)
            let path = unpacked + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            #expect(size == descriptor["size"] as? Int, "size of \(digest)")
            let sum = try ExternalProcess("/usr/bin/sha256sum", [path])
            #expect(await sum.waitForExit() == 0)
            #expect(sum.log.hasPrefix(String(digest.dropFirst("sha256:".count))), "digest of \(digest)")
            return path
        }
        let manifest = try Self.json(try await blob(entry))
        let config = try Self.json(try await blob(try #require(manifest["config"] as? [String: Any])))
        let layer = try #require((manifest["layers"] as? [[String: Any]])?.first)
        #expect(layer["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+gzip")
        _ = try await blob(layer)
        let settings = try #require(config["config"] as? [String: Any])
        #expect(settings["User"] as? String == "65532:65532")
        #expect(settings["Entrypoint"] as? [String] == ["/usr/local/bin/mqtt-discovery"])
        #expect((settings["Env"] as? [String])?.contains("DISCOVERY_HANDLERS_DIRECTORY=/var/lib/akri") == true)
    }
}
