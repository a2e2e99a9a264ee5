import Abuse
import Config
import Directory

extension Configuration {
    /// The clock of the abuse controls: the system clock, or the test clock of the hidden
    /// `[abuse] clock_offset_file` key (see ``AbuseClock``). The command line uses the same one
    /// as the server, so `security status` agrees with what the server decides.
    func abuseClock() -> AbuseClock {
        abuse.clockOffsetFile.map { AbuseClock.offset(file: $0) } ?? .system
    }

    /// The abuse rules' numbers from `[abuse]`.
    func abuseSettings() -> AbuseSettings {
        var settings = AbuseSettings()
        settings.messagesPerHour = abuse.messagesPerHour
        settings.recipientsPerDay = abuse.recipientsPerDay
        settings.connectionsPerMinute = abuse.connectionsPerMinute
        settings.authFailureLimit = abuse.authFailureLimit
        settings.authFailureWindowSeconds = abuse.authFailureWindowSeconds
        settings.authLockoutSeconds = abuse.authLockoutSeconds
        settings.burstWindowSeconds = abuse.burstWindowSeconds
        settings.burstMinimumRecipients = abuse.burstMinimumRecipients
        settings.burstFactor = abuse.burstFactor
        settings.burstBaselineHours = abuse.burstBaselineHours
        return settings
    }
}

/// The abuse-control state of the directory named by the configuration.
func withAbuseStore<T>(_ location: DataLocation, _ body: (any AbuseStore, Configuration) async throws -> T) async throws -> T {
    let configuration = try location.load()
    let directory = try await configuration.openDirectory()
    guard let store = directory as? any AbuseStore else {
        throw CLIError("the directory \(configuration.directory.location) keeps no abuse-control state")
    }
    do {
        return try await body(store, configuration)
    } catch let error as CLIError {
        throw error
    } catch {
        throw CLIError("\(error)")
    }
}
