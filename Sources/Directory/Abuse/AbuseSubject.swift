/// Who a rate counter, a block or a lock is about: a client address or an account.
///
/// Stored as one text key, `address:203.0.113.9` or `account:taro@alato.example`, so one table
/// can hold both. Account names are lower-cased (addresses match case-insensitively); client
/// addresses are stored as given, and the caller decides their granularity (the server keys
/// IPv6 clients by their /64).
public struct AbuseSubject: Sendable, Hashable, CustomStringConvertible {
    /// What kind of subject.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A client IP address (or an IPv6 /64 written as a prefix).
        case address
        /// An account name, as given at AUTH (it need not exist: unknown names are counted too,
        /// so that a lock does not reveal which accounts exist).
        case account
    }

    /// The kind of subject.
    public let kind: Kind
    /// The normalised value.
    public let value: String

    /// The longest value kept; longer input (hostile usernames) is cut, which only merges
    /// absurdly long names into one subject.
    public static let maximumValueLength = 320

    private init(kind: Kind, value: String) {
        self.kind = kind
        self.value = String(value.prefix(Self.maximumValueLength))
    }

    /// A client address key (already normalised by the caller).
    public static func address(_ key: String) -> AbuseSubject {
        AbuseSubject(kind: .address, value: key)
    }

    /// An account name, lower-cased.
    public static func account(_ name: String) -> AbuseSubject {
        AbuseSubject(kind: .account, value: name.lowercased())
    }

    /// The stored form, `kind:value`.
    public var key: String { "\(kind.rawValue):\(value)" }

    /// Parses the stored form.
    public init?(key: String) {
        guard let colon = key.firstIndex(of: ":"), let kind = Kind(rawValue: String(key[..<colon])) else { return nil }
        self.init(kind: kind, value: String(key[key.index(after: colon)...]))
    }

    /// The value alone (what an operator types).
    public var description: String { value }
}
