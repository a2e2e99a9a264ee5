/// Builds `Message-ID` values for messages that arrive without one (RFC 5322 §3.6.4;
/// RFC 6409 §8.3 lets an MSA add it).
///
/// ```
/// msg-id          =   [CFWS] "<" id-left "@" id-right ">" [CFWS]
/// id-left         =   dot-atom-text / obs-id-left
/// id-right        =   dot-atom-text / no-fold-literal / obs-id-right
/// ```
public enum MessageID {
    /// `<token@hostname>`. Characters outside `atext` are replaced by `-` and dots are
    /// kept only between atoms, so the result is always a valid `msg-id`.
    ///
    /// - Parameters:
    ///   - uniqueToken: unique per message, e.g. the queue ID and a random part.
    ///   - hostname: the server name.
    public static func make(uniqueToken: String, hostname: String) -> String {
        "<\(dotAtomText(uniqueToken))@\(dotAtomText(hostname))>"
    }

    /// Same as `make(uniqueToken:hostname:)`.
    public static func make(hostname: String, token: String) -> String {
        make(uniqueToken: token, hostname: hostname)
    }

    /// The complete header field, `Message-ID: <...>` with CRLF.
    public static func field(uniqueToken: String, hostname: String) -> String {
        "Message-ID: \(make(uniqueToken: uniqueToken, hostname: hostname))\r\n"
    }

    static func dotAtomText(_ text: String) -> String {
        let atoms = text.utf8
            .split(separator: ASCII.dot, omittingEmptySubsequences: true)
            .map { atom in atom.map { ASCII.isAtext($0) && !ASCII.isNonASCII($0) ? $0 : ASCII.hyphen } }
        let joined = atoms.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
        return joined.isEmpty ? "unknown" : joined
    }
}
