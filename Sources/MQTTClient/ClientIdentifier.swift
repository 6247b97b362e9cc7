internal import IO

/// Default client identifiers: stable across restarts, and different for every host and every
/// configuration.
///
/// A broker keeps one session per client identifier and disconnects the older of two clients
/// that use the same one, so a fixed identifier shared by every instance would have handlers
/// knocking each other off the broker. An identifier derived from the machine and the
/// configuration resumes its own session after a restart and collides with nobody.
public enum ClientIdentifier {
    /// `prefix` followed by 16 hex digits of a hash of the machine identity, the host name and
    /// `configuration` (say, the broker URL and topic filters). Only letters and digits, and at
    /// most 23 characters for the default prefix, which every MQTT 3.1.1 server must accept
    /// [MQTT-3.1.3-5].
    public static func stable(for configuration: String, prefix: String = "mqttd") -> String {
        let identity = [Host.machineID ?? "", Host.name, configuration].joined(separator: "\u{1F}")
        return prefix + hex(fnv1a(identity)) + hex(fnv1a(configuration + "\u{1F}" + identity))
    }

    /// A fresh random identifier, for throwaway clean sessions.
    public static func random(prefix: String = "mqttd") -> String {
        prefix + hex(UInt64.random(in: .min ... .max)) + hex(UInt64.random(in: .min ... .max))
    }

    /// 64-bit FNV-1a: small, fast and well spread; this is an identifier, not a secret.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Eight hex digits of the hash (two hashes make sixteen).
    private static func hex(_ value: UInt64) -> String {
        let digits = String(value >> 32 ^ value & 0xFFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
