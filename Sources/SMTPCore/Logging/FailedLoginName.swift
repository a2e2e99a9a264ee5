/// The user name of a failed login, as it may be logged.
///
/// People type their password into the user-name field; a failed login must not write it into
/// the log. A name that is an address (RFC 5321 §4.1.2 `Mailbox`, as every account name is)
/// is logged, escaped; anything else is logged as its length only.
public enum FailedLoginName: Sendable, Hashable {
    /// The name is an address: logged as `user=…`.
    case address(LoggedText)
    /// The name is not an address: only its length in octets is logged, as `user_length=N`.
    case withheld(length: Int)

    /// Classifies the name the client sent.
    public init(_ username: String) {
        if Mailbox(parsing: username) != nil {
            self = .address(LoggedText(username))
        } else {
            self = .withheld(length: username.utf8.count)
        }
    }

    /// The log field: its key and its (escaped) value.
    public var field: (key: String, value: String) {
        switch self {
        case .address(let text): return ("user", text.description)
        case .withheld(let length): return ("user_length", String(length))
        }
    }
}
