/// The numbers of the abuse rules: rate limits, the failed-login defence and the
/// compromised-account test. A count of 0 switches that limit off.
///
/// The command line builds it from the configuration file's `[abuse]` table.
public struct AbuseSettings: Sendable, Hashable {
    /// Messages per sliding hour, per account (submission) or per client address (relay
    /// from an access network on port 25). Overridable per account.
    public var messagesPerHour = 100
    /// Recipients per sliding day, per account or relay client address. Overridable per account.
    public var recipientsPerDay = 1000
    /// New connections per sliding minute from one client (``ClientKey``), every service.
    public var connectionsPerMinute = 300
    /// Failed AUTH attempts, per client address and per account name, within
    /// `authFailureWindowSeconds`, that trigger a block or lock.
    public var authFailureLimit = 10
    /// The window over which AUTH failures are counted.
    public var authFailureWindowSeconds = 600
    /// How long a blocked address or a locked account stays so.
    public var authLockoutSeconds = 900
    /// The compromised-account test (``BurstRule``): the recent window, seconds…
    public var burstWindowSeconds = 600
    /// …the fixed minimum threshold…
    public var burstMinimumRecipients = 200
    /// …the multiple of the account's hourly average…
    public var burstFactor = 10
    /// …and the baseline hours before the recent window.
    public var burstBaselineHours = 24

    /// The defaults.
    public init() {}
}
