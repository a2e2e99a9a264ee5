import Foundation

extension Configuration {
    /// `[mailbox]`: where local mail is kept.
    ///
    /// `store = "maildir"` (the default): this node writes Maildirs under
    /// `<data>/mailboxes` and serves them over POP3. `store = "lmtp"` with `lmtp = "HOST:PORT"`
    /// or `lmtp = "/path/to/socket"`: local delivery speaks LMTP to a mailbox server (Dovecot),
    /// which keeps the mail and serves IMAP and POP3 itself, for every node of a cluster.
    public struct Mailbox: Sendable, Equatable {
        /// The mail store.
        public enum Store: Sendable, Equatable {
            case maildir
            case lmtp(LMTPAddress)
        }

        public var store: Store = .maildir

        public init(store: Store = .maildir) { self.store = store }
    }

    /// An LMTP server's address as written in `[mailbox] lmtp`.
    public enum LMTPAddress: Sendable, Equatable, CustomStringConvertible {
        /// An IP address (no name lookup: delivery must not wait on DNS for its own mailboxes).
        case tcp(host: String, port: Int)
        /// An absolute unix socket path.
        case unix(path: String)

        /// Parses `127.0.0.1:24`, `[::1]:24` or `/run/dovecot/lmtp`.
        public static func parse(_ text: String) throws(ConfigurationProblem) -> LMTPAddress {
            if text.hasPrefix("/") {
                // sockaddr_un holds 108 bytes with the terminating NUL.
                guard text.utf8.count < 108 else {
                    throw ConfigurationProblem("\"\(text)\" is longer than a unix socket path may be (107 bytes)")
                }
                return .unix(path: text)
            }
            let address: ListenAddress
            switch ListenAddress.parse(text) {
            case .success(let parsed): address = parsed
            case .failure: throw ConfigurationProblem("\"\(text)\" is neither IP:PORT ([IPv6]:PORT) nor an absolute socket path")
            }
            guard address.port > 0, isIPAddress(address.host) else {
                throw ConfigurationProblem("\"\(text)\" must be an IP address and a port from 1 to 65535, e.g. 127.0.0.1:24")
            }
            return .tcp(host: address.host, port: address.port)
        }

        private static func isIPAddress(_ text: String) -> Bool {
            var v4 = in_addr()
            var v6 = in6_addr()
            return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
        }

        public var description: String {
            switch self {
            case .tcp(let host, let port): return ListenAddress(host: host, port: port).description
            case .unix(let path): return path
            }
        }
    }
}

extension Reader {
    func mailboxSettings() throws -> Configuration.Mailbox {
        let store = try string("store") ?? "maildir"
        let lmtp = try string("lmtp")
        switch store {
        case "maildir":
            if lmtp != nil {
                throw KeyProblem(key: key("lmtp"), message: "is only used with store = \"lmtp\"; remove it or set store = \"lmtp\"")
            }
            return Configuration.Mailbox(store: .maildir)
        case "lmtp":
            guard let lmtp else {
                throw KeyProblem(key: key("lmtp"), message: "is required with store = \"lmtp\": the LMTP server's IP:PORT or socket path")
            }
            do {
                return Configuration.Mailbox(store: .lmtp(try .parse(lmtp)))
            } catch {
                throw KeyProblem(key: key("lmtp"), message: error.message)
            }
        default:
            throw KeyProblem(key: key("store"), message: "must be \"maildir\" or \"lmtp\", found \"\(store)\"")
        }
    }
}
