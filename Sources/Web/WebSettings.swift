/// What the customer web is told, read once at start-up and passed down: `portcullis serve`
/// makes it from `hostname`, `[web]` and `[client_settings]`.
public struct WebSettings: Sendable {
    /// The host name customers are told (`[web] public_host`, else `hostname`): the autoconfig
    /// display name and the profile's organisation.
    public var hostname: String
    /// The settings mail clients are given.
    public var mail: MailSettings
    /// Addresses and prefixes (as written) whose `X-Forwarded-For` is believed; entries that do
    /// not parse are logged and ignored.
    public var trustedProxies: [String]

    public init(hostname: String, mail: MailSettings, trustedProxies: [String]) {
        self.hostname = hostname
        self.mail = mail
        self.trustedProxies = trustedProxies
    }
}
