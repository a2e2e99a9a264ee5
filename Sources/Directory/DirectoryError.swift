import Foundation
import SMTPCore

/// Everything that can go wrong in the account directory, with a message an operator can act on.
///
/// Messages name the entry concerned and, where there is one, the command that fixes it.
/// A password or a password hash never appears in a message.
public enum DirectoryError: Error, Sendable, Hashable, LocalizedError, CustomStringConvertible {
    /// A domain name that is not a valid host name.
    case invalidDomainName(String, reason: String)
    /// The domain is not hosted here.
    case domainNotHosted(String)
    /// The domain is already hosted.
    case domainAlreadyHosted(String)
    /// The domain still has accounts or aliases.
    case domainInUse(String, accounts: Int, aliases: Int)
    /// An address that cannot be stored.
    case invalidAddress(String, reason: String)
    /// An account with this address (compared case-insensitively) already exists.
    case userAlreadyExists(String)
    /// No account with this address.
    case userNotFound(String)
    /// The address is already an alias, so it cannot also be an account (or the other way round).
    case addressIsAlias(String)
    /// The address is already an account, so it cannot also be an alias.
    case addressIsUser(String)
    /// This alias entry already exists.
    case aliasAlreadyExists(alias: String, target: String)
    /// No alias entry (with this target, when one was given).
    case aliasNotFound(String, target: String?)
    /// Aliases nest deeper than the limit (or loop), so resolution stopped.
    case aliasChainTooDeep(String, limit: Int)
    /// The password cannot be used.
    case invalidPassword(reason: String)
    /// The imported hash is of a method this installation cannot verify.
    case unsupportedPasswordHash(user: String)
    /// libxcrypt refused to hash with the configured method.
    case hashingFailed(method: String)
    /// A prefix that is not an IPv4 or IPv6 address with an optional length.
    case invalidPrefix(String, reason: String)
    /// An exemption for this prefix already exists.
    case exemptionAlreadyExists(String)
    /// No exemption for this prefix.
    case exemptionNotFound(String)
    /// A rate limit override that is not a count (negative).
    case invalidLimit(Int)
    /// The database itself failed (unreadable file, disk full…). Temporary from a client's view.
    case storageFailure(String)
    /// A copy's target already holds entries (a copy never merges).
    case directoryNotEmpty(DirectoryContents)
    /// A copy read back from its target differs from the source.
    case copyMismatch(String)

    /// One line saying what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .invalidDomainName(name, reason):
            return "\"\(name)\" is not a valid domain name: \(reason)"
        case let .domainNotHosted(name):
            return "domain \(name) is not hosted here; add it with `portcullis domain add \(name)`"
        case let .domainAlreadyHosted(name):
            return "domain \(name) is already hosted here"
        case let .domainInUse(name, accounts, aliases):
            return "domain \(name) still has \(accounts) account(s) and \(aliases) alias(es); remove them first (`portcullis user list`, `portcullis alias list`)"
        case let .invalidAddress(address, reason):
            return "\"\(address)\" is not a usable address: \(reason)"
        case let .userAlreadyExists(address):
            return "user \(address) already exists; change its password with `portcullis user passwd \(address) --password-stdin`"
        case let .userNotFound(address):
            return "user \(address) does not exist; add it with `portcullis user add \(address) --password-stdin`"
        case let .addressIsAlias(address):
            return "\(address) is already an alias; remove it first with `portcullis alias remove \(address)`"
        case let .addressIsUser(address):
            return "\(address) is already a user; an alias cannot have the same address"
        case let .aliasAlreadyExists(alias, target):
            return "alias \(alias) → \(target) already exists"
        case let .aliasNotFound(alias, target):
            if let target {
                return "alias \(alias) → \(target) does not exist; see `portcullis alias list`"
            }
            return "alias \(alias) does not exist; see `portcullis alias list`"
        case let .aliasChainTooDeep(address, limit):
            return "aliases starting at \(address) nest deeper than \(limit) levels (or loop); check `portcullis alias list`"
        case let .invalidPassword(reason):
            return "the password cannot be used: \(reason)"
        case let .unsupportedPasswordHash(user):
            return "the password hash given for \(user) is not one this system can verify (use yescrypt $y$, bcrypt $2b$/$2y$ or SHA-512-crypt $6$)"
        case let .hashingFailed(method):
            return "the system's libxcrypt could not hash with method \(method)"
        case let .invalidPrefix(prefix, reason):
            return "\"\(prefix)\" is not a valid network prefix: \(reason)"
        case let .exemptionAlreadyExists(prefix):
            return "an OP25B exemption for \(prefix) already exists"
        case let .exemptionNotFound(prefix):
            return "there is no OP25B exemption for \(prefix); see `portcullis op25b exempt list`"
        case let .invalidLimit(value):
            return "\(value) is not a usable limit: give a count of 0 or more (0 means no limit)"
        case let .storageFailure(message):
            return "the directory database failed: \(message)"
        case let .directoryNotEmpty(contents):
            return "the target directory is not empty: it holds \(contents); a copy only fills an empty directory (no merge): give a new SQLite file or an empty, migrated PostgreSQL database"
        case let .copyMismatch(difference):
            return "the copy read back from the target differs from the source: \(difference)"
        }
    }

    /// Same as ``description``.
    public var errorDescription: String? { description }

}

extension DirectoryError: ReplyConvertible {
    /// What an SMTP client is told when a look-up fails: always 4xx, because the address may
    /// well exist. A database that cannot be read is a directory outage (X.4.3); anything else
    /// reaching a session (an alias loop, a hash method libxcrypt refuses, a bad stored entry)
    /// is a configuration the operator can fix (X.3.5).
    public var reply: Reply {
        switch self {
        case .storageFailure: return .directoryUnavailable
        default: return .systemMisconfigured
        }
    }
}
