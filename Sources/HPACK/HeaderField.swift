/// One header field (RFC 7541 §1.3): a name and a value, both octets in HTTP/2 but text in every
/// header gRPC and Akri use.
public struct HeaderField: Hashable, Sendable, CustomStringConvertible {
    /// The name, lower case in HTTP/2 (RFC 9113 §8.2.1).
    public var name: String
    /// The value.
    public var value: String
    /// Whether it must never be added to a compression table (RFC 7541 §7.1.3): a credential.
    public var neverIndexed: Bool

    /// A field.
    public init(_ name: String, _ value: String, neverIndexed: Bool = false) {
        self.name = name
        self.value = value
        self.neverIndexed = neverIndexed
    }

    /// The size the tables count it as (RFC 7541 §4.1): its octets plus 32.
    public var size: Int { name.utf8.count + value.utf8.count + 32 }

    /// `name: value`.
    public var description: String { "\(name): \(value)" }
}
