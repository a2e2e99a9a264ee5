import Abuse
import BlockingWork
import Directory
import Logging
import MaildirStore
import NIOCore
import POP3Core
import SMTPCore

/// What a POP3 session needs from the rest of the system: the abuse controls at connection,
/// the password check shared with SMTP AUTH (``PasswordLogin``: the same gate, counters, lockout
/// and failure delay), and the account's Maildir under `<data>/mailboxes`.
///
/// Results come back as futures on the session's event loop.
public final class MaildropServices: Sendable {
    /// A maildrop opened for a session: its listing and the lock that makes it the session's.
    public struct Opened: Sendable {
        public var maildrop: Maildrop
        public var lock: MaildropLock
    }

    /// `<data>/mailboxes`, where local delivery writes.
    public let mailboxRoot: String
    public let locks: MaildropLocks
    private let login: PasswordLogin
    private let abuse: AbuseGuard?
    private let logger: Logger

    public init(mailboxRoot: String, login: PasswordLogin, abuse: AbuseGuard?, locks: MaildropLocks = MaildropLocks(),
                logger: Logger) {
        self.mailboxRoot = mailboxRoot
        self.login = login
        self.abuse = abuse
        self.locks = locks
        self.logger = logger
    }

    /// Before the greeting: nil to greet, or the refusal (a blocked address, the connection rate).
    func admitConnection(client: String, on eventLoop: EventLoop) -> EventLoopFuture<POP3Response?> {
        guard let abuse else { return eventLoop.makeSucceededFuture(nil) }
        let refusal: @Sendable (Reply?) -> POP3Response? = { reply in reply.map { .connectionRefused($0.lines.joined(separator: " ")) } }
        switch abuse.admitConnection(client: client, service: .pop3) {
        case .immediate(let reply):
            return eventLoop.makeSucceededFuture(refusal(reply))
        case .deferred(let work):
            // admitConnection admits on a store failure itself; nothing is left to throw.
            return eventLoop.makeFutureWithTask { refusal((try? await work()) ?? nil) }
        }
    }

    /// The password check, with the failure delay before a wrong password is answered.
    func verifyCredentials(username: String, password: Secret, client: String,
                           on eventLoop: EventLoop) -> EventLoopFuture<POP3LoginOutcome> {
        let login = self.login
        return eventLoop.makeFutureWithTask {
            switch await login.verify(username: username, password: password, client: client) {
            case .success(let account): return .success(account: account)
            case .invalidCredentials: return .invalidCredentials
            case .disabled: return .disabled
            case .refused, .unavailable: return .temporaryFailure
            }
        }
    }

    /// Locks the account's maildrop and lists it (new mail moves to `cur/`); fails with
    /// `.inUse` when another session holds it.
    func openMaildrop(account: String, on eventLoop: EventLoop) -> EventLoopFuture<Result<Opened, MaildropRefusal>> {
        guard let path = Maildir.path(root: mailboxRoot, account: account) else {
            return eventLoop.makeSucceededFuture(.failure(.unavailable))
        }
        guard let lock = locks.acquire(path) else { return eventLoop.makeSucceededFuture(.failure(.inUse)) }
        let logger = self.logger
        return eventLoop.makeFutureWithTask {
            do {
                let maildrop = try await BlockingWorkPool.shared.run { try Maildrop.open(path: path) }
                return .success(Opened(maildrop: maildrop, lock: lock))
            } catch {
                lock.release()
                logger.error("cannot open maildrop", metadata: [
                    "account": .string(account), "error": .stringConvertible(LoggedText(describing: error))])
                return .failure(.unavailable)
            }
        }
    }

    /// The UPDATE state: removes `messages` durably.
    func remove(_ messages: [Maildrop.Message], from maildrop: Maildrop, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask {
            try await BlockingWorkPool.shared.run { try maildrop.remove(messages) }
        }
    }
}

/// Why a maildrop was not opened.
enum MaildropRefusal: Error, Sendable {
    case inUse
    case unavailable
}
