import Foundation
import SMTPCore

/// A problem in the OP25B policy input, naming the entry it is about.
///
/// The description is one line for the operator, e.g.
/// `access_networks[1] "alato-biz": prefix "203.0.113.5/24": host bits set, did you mean 203.0.113.0/24`.
/// Indexes count from 0, in the order the configuration file lists the entries.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the entry.
    public enum Problem: Hashable, Sendable {
        /// A prefix or address did not parse.
        case invalidPrefix(String, IPParseError)
        /// The network has an empty name.
        case emptyName
        /// Another network already uses the name.
        case duplicateName(firstEntry: String)
        /// The network lists no prefixes.
        case noPrefixes
        /// The same prefix is listed twice (in this entry or in `otherEntry`).
        case duplicatePrefix(IPPrefix, otherEntry: String)
        /// Two prefixes of the same network nest: one of them is redundant.
        case nestedInSameNetwork(inner: IPPrefix, outer: IPPrefix)
        /// A prefix nests with one of a network that has the other `op25b` setting.
        case conflictingOverlap(prefix: IPPrefix, otherPrefix: IPPrefix, otherEntry: String)
        /// A blocked port outside 1...65535.
        case invalidPort(Int)
        /// `blocked_ports` is empty, so OP25B would block nothing.
        case noBlockedPorts
        /// An exemption lies outside every access network prefix.
        case outsideAccessNetworks(IPPrefix)
        /// An exemption without a reason.
        case emptyReason
        /// An exemption whose expiry is not after its creation.
        case expiresBeforeCreated(until: Date, created: Date)
    }

    /// The entry, e.g. `access_networks[1] "alato-biz"`, `op25b.mail_hosts[0]`, `exemptions[3] 203.0.113.16/28`.
    public let entry: String
    /// What is wrong with it.
    public let problem: Problem

    /// Creates an error about `entry`.
    public init(entry: String, problem: Problem) {
        self.entry = entry
        self.problem = problem
    }

    /// `entry: problem`, one line for the operator.
    public var description: String {
        "\(entry): \(problemText)"
    }

    private var problemText: String {
        switch problem {
        case .invalidPrefix(let text, let error):
            return "prefix \"\(IPParseError.clip(text))\": \(error)"
        case .emptyName:
            return "name is empty"
        case .duplicateName(let firstEntry):
            return "name already used by \(firstEntry)"
        case .noPrefixes:
            return "no prefixes listed"
        case .duplicatePrefix(let prefix, let otherEntry):
            return "prefix \(prefix) is also listed in \(otherEntry)"
        case .nestedInSameNetwork(let inner, let outer):
            return "prefix \(inner) lies inside \(outer) of the same network; remove the narrower one"
        case .conflictingOverlap(let prefix, let otherPrefix, let otherEntry):
            return "prefix \(prefix) overlaps \(otherPrefix) of \(otherEntry), which has the other op25b setting;"
                + " an address cannot be both blocked and unblocked (release addresses with an exemption instead)"
        case .invalidPort(let port):
            return "port \(port) is not a TCP port (1-65535)"
        case .noBlockedPorts:
            return "no blocked ports: OP25B would block nothing (the default is [25])"
        case .outsideAccessNetworks:
            return "not inside any access network prefix; only subscriber addresses can be exempted"
        case .emptyReason:
            return "an exemption needs a reason"
        case .expiresBeforeCreated(let until, let created):
            return "expires \(Timestamp.format(until)), not after its creation \(Timestamp.format(created))"
        }
    }
}

extension PolicyError: ReplyConvertible {
    /// The policy input is the operator's: whatever the entry, the client is told to retry
    /// (451 4.3.5, RFC 3463 §3.4 X.3.5 system incorrectly configured).
    public var reply: Reply { .systemMisconfigured }
}
