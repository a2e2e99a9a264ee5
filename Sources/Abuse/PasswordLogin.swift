import Directory
import Logging
import SMTPCore

/// A password login, the same for every service that takes one (SMTP AUTH, POP3 USER/PASS and
/// AUTH): the abuse gate first (a blocked address or a locked account is refused without
/// checking the password), then the directory; a failure is counted against the address and
/// the name (``AbuseGuard/recordAuthenticationFailure(username:client:)``) and answered only
/// after the doubling ``AuthFailureDelay``. So a client guessing passwords over POP3 is slowed
/// and locked out exactly as over submission, by the same counters.
public struct PasswordLogin: Sendable {
    /// What a login attempt came to.
    public enum Outcome: Sendable, Hashable {
        /// The password is right and the account is enabled.
        case success(account: String)
        /// Unknown user or wrong password; the failure delay has passed.
        case invalidCredentials
        /// The password is right but the account is disabled; counted and delayed as a failure.
        case disabled
        /// Not checked: the gate refused (a blocked address, a locked account).
        case refused(AbuseGuard.AuthGate)
        /// The directory or the abuse store failed; the attempt is not counted.
        case unavailable
    }

    private let directory: any AccountDirectory
    private let abuse: AbuseGuard?
    private let delays: AuthFailureDelay
    private let logger: Logger

    public init(directory: any AccountDirectory, abuse: AbuseGuard?, delays: AuthFailureDelay, logger: Logger) {
        self.directory = directory
        self.abuse = abuse
        self.delays = delays
        self.logger = logger
    }

    /// Checks `username` and `password` for a client at `client` (an IP address).
    public func verify(username: String, password: Secret, client: String) async -> Outcome {
        do {
            if let abuse {
                let gate = try await abuse.authenticationGate(username: username, client: client)
                if gate != .proceed {
                    logger.notice("AUTH refused without verification", metadata: ["gate": .string("\(gate)")])
                    return .refused(gate)
                }
            }
            let result = try await directory.authenticate(username: username, password: Password(bytes: password.bytes))
            switch result {
            case .success(let account):
                delays.recordSuccess(client: client)
                try await abuse?.recordAuthenticationSuccess(account: account.address, client: client)
                return .success(account: account.address)
            case .invalidCredentials, .disabled:
                try await abuse?.recordAuthenticationFailure(username: username, client: client)
                // RFC 4954 §4 leaves the delay to the server; it grows with repeated failures.
                let delay = delays.recordFailure(client: client)
                try? await Task.sleep(for: delay)
                return result == .disabled ? .disabled : .invalidCredentials
            }
        } catch {
            logger.error("directory failure during AUTH", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            return .unavailable
        }
    }
}
