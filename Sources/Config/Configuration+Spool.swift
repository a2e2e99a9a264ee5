extension Configuration {
    /// `[spool]`: limits of the message store.
    public struct SpoolSettings: Sendable, Equatable {
        /// Below this many free octets on the spool's file system, MAIL gets `452 4.3.1` so a
        /// full disk refuses new mail before a commit can fail (Postfix: `queue_minfree`).
        /// 0 switches the check off.
        public var minFreeSpace: Int = 100 * 1024 * 1024

        public init() {}
    }
}

extension Reader {
    func spoolSettings() throws -> Configuration.SpoolSettings {
        var settings = Configuration.SpoolSettings()
        settings.minFreeSpace = try int("min_free_space", in: 0...Int.max) ?? settings.minFreeSpace
        return settings
    }
}
