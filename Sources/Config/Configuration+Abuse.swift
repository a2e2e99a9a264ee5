extension Configuration {
    /// `[abuse]`: the abuse limits. A count of 0 switches that limit off.
    ///
    /// Recipients per message are `[submission] max_recipients` (enforced by the session
    /// itself, 452 4.5.3); everything here needs shared counters and lives in the directory.
    public struct Abuse: Sendable, Equatable {
        /// Messages per sliding hour, per account (submission) or per client address (relay
        /// from an access network on port 25). Overridable per account.
        public var messagesPerHour = 100
        /// Recipients per sliding day, per account or relay client address. Overridable per account.
        public var recipientsPerDay = 1000
        /// New connections per sliding minute from one client address (IPv6: one /64), every service.
        public var connectionsPerMinute = 300
        /// Failed AUTH attempts, per client address and per account name, within
        /// `authFailureWindowSeconds`, that trigger a block or lock.
        public var authFailureLimit = 10
        /// The window over which AUTH failures are counted.
        public var authFailureWindowSeconds = 600
        /// How long a blocked address or a locked account stays so.
        public var authLockoutSeconds = 900
        /// The compromised-account check looks at the recipients of the last `burstWindowSeconds`…
        public var burstWindowSeconds = 600
        /// …and holds the account once they exceed the larger of this…
        public var burstMinimumRecipients = 200
        /// …and this many times the account's average per burst window over the baseline.
        public var burstFactor = 10
        /// The baseline: the hours before the burst window whose average is "normal".
        public var burstBaselineHours = 24
        /// Where the notice of a held account goes; empty means `postmaster@<hostname>`.
        public var postmaster = ""
        /// Testing only (hidden): a file holding a number of seconds added to the wall clock
        /// of every abuse decision, so tests can let windows pass without sleeping. Unset in
        /// production.
        public var clockOffsetFile: String?

        /// The defaults.
        public init() {}
    }
}

extension Reader {
    func abuse(hostname: String, resolve: (String) -> String) throws -> Configuration.Abuse {
        var abuse = Configuration.Abuse()
        let counts = 0...100_000_000
        abuse.messagesPerHour = try int("messages_per_hour", in: counts) ?? abuse.messagesPerHour
        abuse.recipientsPerDay = try int("recipients_per_day", in: counts) ?? abuse.recipientsPerDay
        abuse.connectionsPerMinute = try int("connections_per_minute", in: counts) ?? abuse.connectionsPerMinute
        abuse.authFailureLimit = try int("auth_failure_limit", in: counts) ?? abuse.authFailureLimit
        abuse.authFailureWindowSeconds = try int("auth_failure_window", in: 1...86_400) ?? abuse.authFailureWindowSeconds
        abuse.authLockoutSeconds = try int("auth_lockout", in: 1...604_800) ?? abuse.authLockoutSeconds
        abuse.burstWindowSeconds = try int("burst_window", in: 60...86_400) ?? abuse.burstWindowSeconds
        abuse.burstMinimumRecipients = try int("burst_min_recipients", in: counts) ?? abuse.burstMinimumRecipients
        abuse.burstFactor = try int("burst_factor", in: 1...1_000_000) ?? abuse.burstFactor
        abuse.burstBaselineHours = try int("burst_baseline_hours", in: 1...720) ?? abuse.burstBaselineHours
        let postmaster = try string("postmaster") ?? ""
        if postmaster.isEmpty {
            abuse.postmaster = "postmaster@\(hostname)"
        } else {
            guard Reader.isMailAddress(postmaster) else {
                throw KeyProblem(key: key("postmaster"), message: "\"\(postmaster)\" is not a mail address (local@domain)")
            }
            abuse.postmaster = postmaster
        }
        if let file = try string("clock_offset_file"), !file.isEmpty {
            abuse.clockOffsetFile = resolve(file)
        }
        return abuse
    }
}
