import Abuse

/// How the guard reaches the store: directly (every decision is a database call) or through
/// the server's write-behind buffer and caches. Behaviour must be the same.
public enum AbuseStoreKind: String, CaseIterable, Sendable {
    case direct
    case buffered
}

/// Small limits, so each scenario needs little traffic.
public func smallAbuseSettings() -> AbuseSettings {
    var settings = AbuseSettings()
    settings.messagesPerHour = 3
    settings.recipientsPerDay = 8
    settings.connectionsPerMinute = 5
    settings.authFailureLimit = 4
    settings.authFailureWindowSeconds = 600
    settings.authLockoutSeconds = 900
    settings.burstWindowSeconds = 600
    settings.burstMinimumRecipients = 6
    settings.burstFactor = 10
    settings.burstBaselineHours = 24
    return settings
}
