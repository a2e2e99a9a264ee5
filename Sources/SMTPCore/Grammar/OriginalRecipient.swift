/// The `ORCPT=` parameter of RCPT TO (RFC 3461 §4.2): `addr-type ";" xtext`.
public struct OriginalRecipient: Sendable, Hashable {
    /// The address type, e.g. `rfc822` or `utf-8` (RFC 6533).
    public var addressType: String
    /// The xtext-decoded original address.
    public var address: String

    /// Creates the parameter value.
    public init(addressType: String, address: String) {
        self.addressType = addressType
        self.address = address
    }
}
