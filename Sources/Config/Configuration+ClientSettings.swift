extension Configuration {
    /// `[client_settings]`: what customers are told to configure, everywhere they are told it
    /// (autoconfig, autodiscover, the Apple profile, the guides, the checker, `dns-records`).
    ///
    /// Incoming mail is POP3, served by Portcullis itself: 995 with implicit TLS recommended
    /// first (RFC 8314 §3.3), 110 with STLS (RFC 2595 §4) second. IMAP is offered only when
    /// `imap_host` names a server the ISP runs elsewhere (e.g. Dovecot). Host names default to
    /// `[web] public_host`, else `hostname`.
    public struct ClientSettings: Sendable, Equatable {
        /// How an IMAP server protects its connections.
        public enum IMAPSecurity: String, Sendable, Equatable, CaseIterable {
            /// TLS from the first byte (RFC 8314 §3.3; port 993).
            case tls
            /// STARTTLS on a cleartext connection (RFC 3501 §6.2.1; port 143).
            case starttls
        }

        /// An IMAP server run outside Portcullis.
        public struct IMAP: Sendable, Equatable {
            public var host: String
            public var port: Int
            public var security: IMAPSecurity

            public init(host: String, port: Int = 993, security: IMAPSecurity = .tls) {
                self.host = host
                self.port = port
                self.security = security
            }
        }

        /// Submission with authentication (RFC 6409).
        public var submissionHost: String
        /// STARTTLS (RFC 6409 §3.1).
        public var submissionPort: Int = 587
        /// Implicit TLS (RFC 8314 §3.3).
        public var submissionsPort: Int = 465
        /// The POP3 service (RFC 1939).
        public var pop3Host: String
        /// STLS (RFC 2595 §4).
        public var pop3Port: Int = 110
        /// Implicit TLS (RFC 8314 §3.3).
        public var pop3sPort: Int = 995
        /// An IMAP server the ISP runs elsewhere; nil: IMAP is not offered.
        public var imap: IMAP? = nil

        /// The defaults, with every host name `host`.
        public init(host: String) {
            submissionHost = host
            pop3Host = host
        }
    }
}

extension Reader {
    /// `[client_settings]`; `defaultHost` is `[web] public_host`, else `hostname`.
    func clientSettings(defaultHost: String) throws -> Configuration.ClientSettings {
        // Keys of an earlier format that named one incoming server of either protocol. Their
        // meaning split (POP3 is served here, IMAP only elsewhere), so they are not guessed at.
        for old in ["incoming_host", "incoming_protocol", "incoming_port"] where table[old] != nil {
            throw KeyProblem(key: key(old), message: "renamed: the POP3 service is pop3_host, pop3_port and "
                + "pop3s_port (defaults: [web] public_host or hostname, 110, 995); an IMAP server run elsewhere "
                + "is imap_host, imap_port and imap_security")
        }
        var settings = Configuration.ClientSettings(host: defaultHost)
        settings.submissionHost = try host("submission_host") ?? settings.submissionHost
        settings.submissionPort = try int("submission_port", in: 1...65535) ?? settings.submissionPort
        settings.submissionsPort = try int("submissions_port", in: 1...65535) ?? settings.submissionsPort
        settings.pop3Host = try host("pop3_host") ?? settings.pop3Host
        settings.pop3Port = try int("pop3_port", in: 1...65535) ?? settings.pop3Port
        settings.pop3sPort = try int("pop3s_port", in: 1...65535) ?? settings.pop3sPort
        if settings.pop3Port == settings.pop3sPort {
            throw KeyProblem(key: key("pop3_port"), message: "must differ from pop3s_port: one port cannot be both STLS and implicit TLS")
        }

        let imapHost = try host("imap_host")
        let imapPort = try int("imap_port", in: 1...65535)
        let securityText = try string("imap_security")
        var imapSecurity: Configuration.ClientSettings.IMAPSecurity?
        if let securityText {
            guard let security = Configuration.ClientSettings.IMAPSecurity(rawValue: securityText) else {
                throw KeyProblem(key: key("imap_security"), message: "must be \"tls\" or \"starttls\", found \"\(securityText)\"")
            }
            imapSecurity = security
        }
        if let imapHost {
            // 143 is the cleartext IMAP port (RFC 3501 §2.1); any other port defaults to implicit TLS.
            let security = imapSecurity ?? (imapPort == 143 ? .starttls : .tls)
            let port = imapPort ?? (security == .tls ? 993 : 143)
            settings.imap = .init(host: imapHost, port: port, security: security)
        } else if imapPort != nil || imapSecurity != nil {
            throw KeyProblem(key: key(imapPort != nil ? "imap_port" : "imap_security"),
                             message: "needs imap_host (the IMAP server customers are told to use)")
        }
        return settings
    }

    /// A host name value, checked.
    private func host(_ name: String) throws -> String? {
        guard let text = try string(name) else { return nil }
        guard Reader.isHostName(text) else { throw KeyProblem(key: key(name), message: "\"\(text)\" is not a host name") }
        return text
    }
}
