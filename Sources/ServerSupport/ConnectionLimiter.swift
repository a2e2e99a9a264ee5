import NIOConcurrencyHelpers

/// Counts open connections in total and per client address, shared by every listener of every
/// protocol (`[limits]`).
///
/// A connection over either limit is refused before the greeting and closed: SMTP answers 421
/// (RFC 5321 §3.1), POP3 `-ERR [SYS/TEMP]`.
public final class ConnectionLimiter: Sendable {
    public enum Verdict: Equatable, Sendable {
        case accepted
        case tooManyConnections
        case tooManyFromClient
    }

    private struct Counts {
        var total = 0
        var perClient: [String: Int] = [:]
    }

    private let maxTotal: Int
    private let maxPerClient: Int
    private let counts = NIOLockedValueBox(Counts())

    public init(maxTotal: Int, maxPerClient: Int) {
        self.maxTotal = maxTotal
        self.maxPerClient = maxPerClient
    }

    /// Takes a slot for `client`; every `.accepted` must be paired with one `release`.
    public func acquire(client: String) -> Verdict {
        counts.withLockedValue { counts in
            if counts.total >= maxTotal { return .tooManyConnections }
            if counts.perClient[client, default: 0] >= maxPerClient { return .tooManyFromClient }
            counts.total += 1
            counts.perClient[client, default: 0] += 1
            return .accepted
        }
    }

    public func release(client: String) {
        counts.withLockedValue { counts in
            counts.total -= 1
            let remaining = counts.perClient[client, default: 1] - 1
            counts.perClient[client] = remaining > 0 ? remaining : nil
        }
    }

    public var openConnections: Int { counts.withLockedValue { $0.total } }
}
