/// The `NOTIFY=` parameter of RCPT TO (RFC 3461 §4.1).
///
/// ```
/// notify-esmtp-value  = "NEVER" / 1#notify-list-element
/// notify-list-element = "SUCCESS" / "FAILURE" / "DELAY"
/// ```
/// `NEVER` combined with anything else is a syntax error, so it is its own case.
public enum DSNNotify: Sendable, Hashable {
    /// A DSN condition.
    public enum Condition: String, Sendable, Hashable, CaseIterable {
        /// Notify on successful delivery.
        case success = "SUCCESS"
        /// Notify on failure.
        case failure = "FAILURE"
        /// Notify on delay.
        case delay = "DELAY"
    }

    /// `NOTIFY=NEVER`: no DSN at all.
    case never
    /// One or more conditions; never empty.
    case on(Set<Condition>)

    /// The value for `keywords` as written on the wire or stored (`["NEVER"]`,
    /// `["SUCCESS", "DELAY"]`), ASCII case-insensitive; nil for an empty list, an unknown
    /// keyword, or NEVER with anything else (RFC 3461 §4.1).
    public init?(keywords: some Sequence<String>) {
        let upper = keywords.map { String(decoding: $0.utf8.map(ASCII.uppercased), as: UTF8.self) }
        if upper == ["NEVER"] {
            self = .never
            return
        }
        let conditions = upper.compactMap(Condition.init(rawValue:))
        guard !conditions.isEmpty, conditions.count == upper.count else { return nil }
        self = .on(Set(conditions))
    }

    /// True when a DSN is wanted for `condition`.
    public func includes(_ condition: Condition) -> Bool {
        if case .on(let conditions) = self { return conditions.contains(condition) }
        return false
    }

    /// The keywords, `["NEVER"]` or the conditions in a fixed order (SUCCESS, FAILURE, DELAY).
    public var keywords: [String] {
        switch self {
        case .never: return ["NEVER"]
        case .on(let conditions): return Condition.allCases.filter(conditions.contains).map(\.rawValue)
        }
    }

    /// The parameter value as written, e.g. `SUCCESS,FAILURE`.
    public var parameterValue: String { keywords.joined(separator: ",") }
}
