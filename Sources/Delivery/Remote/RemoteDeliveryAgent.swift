import DNS
import Logging
import NIOCore
import SMTPCore

/// Delivers messages for one remote destination over SMTP, trying every address of every
/// host in order (RFC 5321 §5.1) and reusing one connection for all the messages it can:
/// those it was given, then those its caller hands over while the connection is open.
public struct RemoteDeliveryAgent: Sendable {
    /// The name sent in EHLO/HELO.
    public var clientName: String
    /// Reply timeouts.
    public var timeouts: SMTPClientTimeouts
    /// STARTTLS use.
    public var tls: TLSPolicy
    private let resolver: any DNSResolving
    private let group: any EventLoopGroup
    private let logger: Logger

    /// Creates an agent.
    public init(clientName: String, resolver: any DNSResolving, group: any EventLoopGroup,
                timeouts: SMTPClientTimeouts = .rfc5321, tls: TLSPolicy = TLSPolicy(), logger: Logger) {
        self.clientName = clientName
        self.resolver = resolver
        self.group = group
        self.timeouts = timeouts
        self.tls = tls
        self.logger = logger
    }

    /// Called once per message as soon as its results are final for this attempt, so the
    /// caller can record them before the next message goes out (crash safety). `index` counts
    /// the messages in the order the agent got them: first those passed to
    /// ``deliver(_:route:more:onResult:)``, then each batch from `more` in turn.
    public typealias ResultHandler = @Sendable (_ index: Int, _ results: [RecipientResult]) async -> Void

    /// Hands an open, idle connection more messages for the same route, at most `maximum`;
    /// empty when none come, and the connection closes.
    public typealias MoreMessages = @Sendable (_ maximum: Int) async -> [OutboundMessage]

    /// Delivers `messages` along `route`, then what `more` hands over while a connection is
    /// open, up to `maximumPerConnection` messages on one connection; returns, per message
    /// (in the order of ``ResultHandler``), one result per recipient. `onResult`, when given,
    /// sees every message's results as soon as they are known.
    public func deliver(_ messages: [OutboundMessage], route: Route, maximumPerConnection: Int = 100,
                        more: MoreMessages? = nil, onResult: ResultHandler? = nil) async -> [[RecipientResult]] {
        var messages = messages
        let plan = await MailExchangerPlanner(resolver: resolver).plan(route)
        let hosts: [MailExchangerPlanner.Host]
        switch plan {
        case .unroutable(let result):
            let all = messages.map { $0.recipients.map { _ in result } }
            for (index, results) in all.enumerated() { await onResult?(index, results) }
            return all
        case .hosts(let list):
            hosts = list
        }

        var results = [[RecipientResult]?](repeating: nil, count: messages.count)
        var lastFailure = RecipientResult(kind: .deferred, reply: .noMailExchangerTried)
        var permanentAddressFailures = 0
        hostLoop: for host in hosts {
            let addresses: [String]
            if host.isAddress {
                addresses = [host.name]
            } else {
                do {
                    addresses = try await resolver.addresses(host.name).map(\.text)
                } catch {
                    if !error.isTransient { permanentAddressFailures += 1 }
                    lastFailure = RecipientResult(kind: .deferred, reply: .mailExchangerUnresolved(
                        host: host.name, detail: "\(error)"))
                    continue
                }
            }
            for address in addresses {
                var allowTLS = tls.enabled
                while true {
                    let pending = results.indices.filter { results[$0] == nil }
                    if pending.isEmpty { break hostLoop }
                    let outcome = await session(host: host, address: address, useTLS: allowTLS, messages: messages,
                                                pending: pending, maximum: maximumPerConnection, more: more,
                                                onResult: onResult)
                    messages += outcome.taken
                    results += outcome.taken.map { _ in nil }
                    for (index, value) in outcome.results { results[index] = value }
                    if let failure = outcome.failure { lastFailure = failure }
                    if outcome.failure != nil && !outcome.results.isEmpty {
                        // The connection carried mail, then broke, perhaps while it waited
                        // idle: a new one to the same address goes on with the rest. Each such
                        // round delivered something, so this ends.
                        continue
                    }
                    if outcome.tlsFailed && allowTLS && tls.fallbackToCleartext {
                        logger.info("TLS failed; retrying in clear text", metadata: ["host": "\(LoggedText(host.name))", "address": "\(address)"])
                        allowTLS = false
                        continue
                    }
                    break
                }
            }
        }
        if permanentAddressFailures == hosts.count && !hosts.isEmpty {
            // Every host name was NXDOMAIN or had no address: nothing will change by waiting
            // (RFC 3463 §3.5 X.4.4 unable to route).
            lastFailure = RecipientResult(kind: .failed, reply: .noMailExchangerAddress(
                lastFailure.reply.lines.joined(separator: " ")))
        }
        var final: [[RecipientResult]] = []
        for index in messages.indices {
            if let known = results[index] {
                final.append(known)
            } else {
                let failed = messages[index].recipients.map { _ in lastFailure }
                await onResult?(index, failed)
                final.append(failed)
            }
        }
        return final
    }

    private struct SessionOutcome {
        var results: [(Int, [RecipientResult])] = []
        /// Messages `more` handed over during the session, numbered after the ones it was given.
        var taken: [OutboundMessage] = []
        var failure: RecipientResult?
        var tlsFailed = false
    }

    /// One connection: greeting, EHLO, STARTTLS, then as many of `pending` as it carries, then
    /// what `more` hands over, `maximum` messages in all.
    private func session(host: MailExchangerPlanner.Host, address: String, useTLS: Bool,
                         messages: [OutboundMessage], pending: [Int], maximum: Int, more: MoreMessages?,
                         onResult: ResultHandler?) async -> SessionOutcome {
        var outcome = SessionOutcome()
        let name = host.name
        let connection: SMTPClientConnection
        do {
            connection = try await SMTPClientConnection.connect(address: address, port: host.port, hostName: name,
                                                                group: group, timeouts: timeouts)
        } catch {
            outcome.failure = RecipientResult(kind: .deferred, reply: .noAnswer("\(name)[\(address)]:\(host.port): \(error)"))
            logger.info("connect failed", metadata: ["host": "\(LoggedText(name))", "address": "\(address)", "error": "\(LoggedText(describing: error))"])
            return outcome
        }
        do {
            let greeting = try await connection.readGreeting()
            guard greeting.code == 220 else {
                outcome.failure = RecipientResult(kind: .deferred, reply: greeting, remoteMTA: name)
                await connection.quit()
                return outcome
            }
            logger.info("session opened", metadata: ["host": "\(LoggedText(name))", "address": "\(address)", "port": "\(host.port)"])
            var hello = try await connection.hello(clientName: clientName)
            guard hello.isPositive else {
                outcome.failure = RecipientResult(kind: .deferred, reply: hello, remoteMTA: name)
                await connection.quit()
                return outcome
            }
            if useTLS, connection.capabilities.startTLS, let context = tls.context {
                let reply = try await connection.startTLS(context: context, serverName: name)
                if reply.code == 220 {
                    do {
                        hello = try await connection.hello(clientName: clientName)
                    } catch SMTPClientError.tlsFailed(let reason) {
                        outcome.tlsFailed = true
                        outcome.failure = RecipientResult(kind: .deferred, reply: .tlsFailed(
                            "\(name)[\(address)]: TLS handshake failed: \(reason)"))
                        connection.close()
                        return outcome
                    }
                    guard hello.isPositive else {
                        outcome.failure = RecipientResult(kind: .deferred, reply: hello, remoteMTA: name)
                        await connection.quit()
                        return outcome
                    }
                }
            }
            var queue = pending[...]
            var carried = 0
            while connection.isActive {
                if queue.isEmpty {
                    guard let more, carried < maximum else { break }
                    let next = await more(maximum - carried)
                    guard !next.isEmpty else { break }
                    queue.append(contentsOf: (0..<next.count).map { messages.count + outcome.taken.count + $0 })
                    outcome.taken += next
                }
                let index = queue.removeFirst()
                let message = index < messages.count ? messages[index] : outcome.taken[index - messages.count]
                let results = try await SMTPTransaction.run(message, on: connection)
                carried += 1
                outcome.results.append((index, results))
                await onResult?(index, results)
                logger.info("delivery attempt", metadata: [
                    "host": "\(LoggedText(name))", "address": "\(address)", "tls": "\(connection.isTLS)",
                    // The results quote the remote server's replies.
                    "results": "\(LoggedText(describing: results.map(\.description)))",
                ])
                // 421: the server is closing the channel (RFC 5321 §3.8).
                if results.contains(where: { $0.reply.code == 421 }) { break }
            }
            await connection.quit()
        } catch {
            let text = "\(name)[\(address)]:\(host.port): \(error)"
            var reply = Reply.connectionBroken(text)
            if case SMTPClientError.tlsFailed = error {
                outcome.tlsFailed = true
                reply = .tlsFailed(text)
            }
            outcome.failure = RecipientResult(kind: .deferred, reply: reply)
            logger.info("session failed", metadata: ["host": "\(LoggedText(name))", "address": "\(address)", "error": "\(LoggedText(describing: error))"])
            connection.close()
        }
        return outcome
    }
}
