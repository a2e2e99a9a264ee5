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

    /// The parameter value as written, `addr-type ";" xtext`:
    /// ```
    /// orcpt-value = addr-type ";" xtext
    /// addr-type   = atom
    /// ```
    /// nil when it is not (RFC 3461 §4.2: at most 500 characters, the decoded address
    /// non-empty UTF-8, RFC 6533 §3).
    public init?(xtext value: some Collection<UInt8>) {
        guard value.count <= SMTPLimits.originalRecipient,
              let semicolon = value.firstIndex(of: ASCII.semicolon) else { return nil }
        let type = value[..<semicolon]
        guard !type.isEmpty, type.allSatisfy({ ASCII.isAtext($0) && !ASCII.isNonASCII($0) }),
              let address = XText.decode(value[value.index(after: semicolon)...]), !address.isEmpty,
              ASCII.isValidUTF8(address) else { return nil }
        self.init(addressType: String(decoding: type, as: UTF8.self), address: String(decoding: address, as: UTF8.self))
    }

    /// The parameter value from its text, e.g. `rfc822;user+2Bx@example.net`.
    public init?(xtext value: String) {
        self.init(xtext: Array(value.utf8))
    }

    /// The parameter value as sent, `rfc822;user+2Bx@example.net` (RFC 3461 §4.2).
    public var xtext: String {
        "\(addressType);\(XText.encode(Array(address.utf8)))"
    }
}
