/// The outcome of checking a username and password.
public enum AuthenticationResult: Sendable, Hashable {
    /// The password is right and the account is enabled.
    case success(Account)
    /// Unknown user or wrong password; deliberately not told apart (RFC 4954 §6: 535 5.7.8).
    case invalidCredentials
    /// The password is right but the account is disabled. Only reported after a correct
    /// password, so it does not reveal which accounts exist.
    case disabled
}
