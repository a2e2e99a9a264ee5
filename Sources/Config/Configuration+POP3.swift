extension Configuration {
    /// `[pop3]`: customers fetch the mail in their hosted Maildirs (RFC 1939).
    public struct POP3: Sendable, Equatable {
        /// Cleartext listeners: STLS (RFC 2595) before any login.
        public var listen: [ListenAddress] = [ListenAddress(host: "127.0.0.1", port: 2110)]
        /// Implicit TLS listeners (RFC 8314 §3.3, port 995 in production).
        public var implicitTLSListen: [ListenAddress] = [ListenAddress(host: "127.0.0.1", port: 2995)]
        /// Seconds a session may stay silent. RFC 1939 §3: an autologout timer of at least
        /// 10 minutes.
        public var idleTimeoutSeconds: Int = 600

        public init() {}
    }
}

extension Reader {
    /// With `[mailbox] store = "lmtp"` the mail is in the LMTP server (Dovecot), which serves
    /// POP3 itself: the listeners are off, and asking for one is a mistake worth a clear error.
    func pop3Settings(mailStore: Configuration.Mailbox.Store) throws -> Configuration.POP3 {
        var settings = Configuration.POP3()
        if case .lmtp = mailStore {
            settings.listen = []
            settings.implicitTLSListen = []
            for name in ["listen", "implicit_tls_listen"] {
                if let addresses = try listen(name), !addresses.isEmpty {
                    throw KeyProblem(key: key(name), message: "must be empty with [mailbox] store = \"lmtp\": "
                                     + "the LMTP server keeps the mail and serves POP3 and IMAP (see portcullis dovecot-config)")
                }
            }
        }
        settings.listen = try listen("listen") ?? settings.listen
        settings.implicitTLSListen = try listen("implicit_tls_listen") ?? settings.implicitTLSListen
        settings.idleTimeoutSeconds = try int("idle_timeout", in: 600...86_400) ?? settings.idleTimeoutSeconds
        return settings
    }
}
