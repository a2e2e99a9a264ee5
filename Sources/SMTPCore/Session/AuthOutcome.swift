/// The directory's answer to `SessionAction.verifyCredentials`.
public enum AuthOutcome: Sendable, Hashable {
    /// The credentials are valid for `account` (235 2.7.0).
    case success(account: String)
    /// Wrong user or password (535 5.7.8).
    case failure
    /// The directory could not decide, e.g. the database is down (454 4.7.0). A failing
    /// directory means 4xx, never 5xx.
    case temporaryFailure
}
