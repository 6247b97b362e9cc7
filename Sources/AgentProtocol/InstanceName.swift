/// How Akri names an instance: `<configuration>-<6 hex digits>`, the digits a BLAKE2b digest of
/// size 3 of the device id (shared devices) or of the id followed by the node's name (local ones).
public enum InstanceName {
    /// The instance name of `deviceID` under `configuration`.
    public static func make(configuration: String, deviceID: String, shared: Bool, node: String = "") -> String {
        "\(configuration)-\(digest(deviceID: deviceID, shared: shared, node: node))"
    }

    /// The six lowercase hex digits.
    public static func digest(deviceID: String, shared: Bool, node: String = "") -> String {
        let input = shared ? deviceID : deviceID + node
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        for byte in BLAKE2b.hash(input.utf8, digestSize: 3) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }
}
