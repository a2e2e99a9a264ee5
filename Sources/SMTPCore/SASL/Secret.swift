/// A secret (a password) that never shows up in logs, descriptions or dumps.
///
/// Secrets are redacted at the type level. `description`, `debugDescription`
/// and reflection all print `<redacted>`; use `unredacted` only where the value is
/// actually needed (the password check).
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let storage: [UInt8]

    /// Wraps raw bytes.
    public init(_ bytes: [UInt8]) { storage = bytes }

    /// Wraps the UTF-8 bytes of a string.
    public init(_ string: String) { storage = Array(string.utf8) }

    /// The raw bytes.
    public var bytes: [UInt8] { storage }

    /// The secret as a string (lossy for invalid UTF-8).
    public var unredacted: String { String(decoding: storage, as: UTF8.self) }

    /// `<redacted>`.
    public var description: String { "<redacted>" }
    /// `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// No children, so `dump` does not reveal the bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Compares in time independent of where the first difference is.
    public static func == (lhs: Secret, rhs: Secret) -> Bool {
        guard lhs.storage.count == rhs.storage.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs.storage, rhs.storage) { difference |= left ^ right }
        return difference == 0
    }
}
