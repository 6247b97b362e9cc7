import AgentProtocol
import Testing

@Suite("Instance names: BLAKE2b as Akri uses it")
struct InstanceNameTests {
    @Test("BLAKE2b-512 of \"abc\" and of nothing: RFC 7693 Appendix A and the reference implementation")
    func rfcVectors() {
        #expect(
            BLAKE2b.hash("abc".utf8, digestSize: 64)
                == hex(
                    """
                    BA80A53F981C4D0D6A2797B69F12F6E94C212F14685AC4B74B12BB6FDBFFA2D1
                    7D87C5392AAB792DC252D5DE4533CC9518D38AA8DBF1925AB92386EDD4009923
                    """
                )
        )
        #expect(
            BLAKE2b.hash([UInt8](), digestSize: 64)
                == hex(
                    """
                    786A02F742015903C6C6FD852552D272912F4740E15847618A86E217F71F5419
                    D25E1031AFEE585313896444934EB04B903A685B1448B755D56F701AFE9BE2CE
                    """
                )
        )
    }

    @Test("messages across block boundaries (127, 128, 129, 256 and 1000 bytes)")
    func blocks() {
        // Digests from Python's hashlib.blake2b(bytes(i % 256 for i in range(n)), digest_size=3).
        let cases: [(Int, String)] = [
            (127, "f4af24"), (128, "ade654"), (129, "8b2971"), (256, "082ee7"), (1000, "d9d547"),
        ]
        for (count, digest) in cases {
            let message = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
            #expect(BLAKE2b.hash(message, digestSize: 3) == hex(digest), "\(count) bytes")
        }
    }

    @Test("Akri's own test vectors: shared and local devices")
    func akriVectors() {
        #expect(InstanceName.digest(deviceID: "my_shared_device", shared: true) == "4294ea")
        #expect(InstanceName.digest(deviceID: "my_local_device", shared: false, node: "my_node") == "e77db4")
        #expect(InstanceName.digest(deviceID: "my_local_device", shared: false, node: "my_other_node") == "099763")
        #expect(
            InstanceName.make(configuration: "plant", deviceID: "sensors/room1/temp", shared: true) == "plant-4438ee"
        )
    }
}
