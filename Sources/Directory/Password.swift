/// A plain-text password on its way to being hashed or verified.
///
/// The value never prints: `description`, `debugDescription` and the mirror
/// used by `dump` and string interpolation are all redacted, so a password
/// that ends up in a log line or an error message shows as `<redacted>`.
/// Keep it in this type from the moment it leaves the SASL decoder.
public struct Password: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The UTF-8 bytes of the password, exactly as the client sent them.
    ///
    /// Internal so that only the hasher reads them.
    let bytes: [UInt8]

    /// Wraps a password given as a string (command line, tests).
    public init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    /// Wraps a password given as raw octets (SASL PLAIN and LOGIN decode to octets, RFC 4616 §2).
    public init(bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// Whether the password has no characters at all.
    public var isEmpty: Bool { bytes.isEmpty }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }

    /// Always `Password(<redacted>)`.
    public var debugDescription: String { "Password(<redacted>)" }

    /// A mirror with no children, so `dump` and reflection reveal nothing.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
