import DNS
import Directory
import Foundation
import Instruments
import Logging
import NIOCore
import SMTPCore
import ServiceLifecycle
import Spool
import Synchronization

/// The delivery service: routes each recipient, delivers, records the outcome per
/// recipient, retries, expires, bounces (Postfix's qmgr + smtp + local + bounce).
///
/// Told, not polling: the spool announces every commit once it is durable
/// (``Spool/announcements()``), and delivery of those messages starts at once, without
/// listing the spool. An operator request (``QueueRequest``: flush, retry, bounce, release,
/// resume), announced too, runs a scan of the whole spool at once. What falls due with time
/// (a deferred recipient's next attempt, a delay notice, the end of the queue lifetime) is
/// known from the envelopes: the manager sleeps until the earliest such time and scans then.
/// A scan at start finds what a restart left queued; one every
/// ``DeliverySettings/scanInterval`` (a minute) is the safety net for anything else.
///
/// Crash safety: a recipient's state is written to the spool (fsync'd) right after its
/// attempt, before anything else happens; a restart reads it back, so a delivered recipient
/// is never sent again and a pending one is never forgotten. Only a transaction in flight at
/// the crash (the remote said 250, we had not yet written "delivered") can be sent twice.
///
/// Wiring (in `portcullis serve`):
/// ```swift
/// let manager = try QueueManager(spool: spool, directory: graph.directory, settings: settings,
///                                resolver: resolver, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
/// // add `manager` to the ServiceGroup: it listens to the spool's announcements while it runs.
/// ```
public final class QueueManager: Service {
    /// The settings in force.
    public let settings: DeliverySettings
    private let spool: Spool
    private let directory: any AccountDirectory
    private let currentRouting: Mutex<RoutingTable>
    /// The static routes in force now (`[delivery] routes`, replaced by ``update(routing:)``).
    public var routing: RoutingTable { currentRouting.withLock { $0 } }
    private let remote: RemoteDeliveryAgent
    private let local: LocalDeliveryAgent
    private let limiter: ConnectionLimiter
    private let tracker = QueueTracker()
    private let stateWriter: StateWriter
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let instruments: DeliveryInstruments
    /// The `transport` label of local deliveries.
    private let localTransport: DeliveryTransport
    /// Where the delivery jobs run; nil: the default executor.
    private let executor: (any TaskExecutor)?

    /// Creates the manager.
    ///
    /// - Parameters:
    ///   - resolver: DNS for MX and address lookups (a ``DNSResolver`` in production).
    ///   - group: event loops for SMTP client connections.
    ///   - executor: where the delivery jobs run (``DeliveryThreads`` in `serve`); nil: the default.
    ///   - clock: the current time (tests move it forward).
    ///   - instruments: counts each recipient's attempt, times each message's, counts DSNs.
    public init(spool: Spool, directory: any AccountDirectory, settings: DeliverySettings,
                resolver: any DNSResolving, group: any EventLoopGroup, executor: (any TaskExecutor)? = nil,
                logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
                instruments: DeliveryInstruments = PortcullisInstruments.disabled.delivery) throws {
        self.instruments = instruments
        self.executor = executor
        self.spool = spool
        self.directory = directory
        self.settings = settings
        self.currentRouting = Mutex(try RoutingTable(routes: settings.routes, smtpPort: settings.smtpPort))
        self.remote = RemoteDeliveryAgent(
            clientName: settings.hostname, resolver: resolver, group: group, timeouts: settings.timeouts,
            tls: TLSPolicy(enabled: settings.useSTARTTLS, fallbackToCleartext: settings.tlsFallbackToCleartext),
            logger: logger)
        let store: any MailStore
        switch settings.mailStore {
        case .maildir:
            store = MaildirMailStore(root: settings.mailboxRoot, hostname: settings.hostname)
            localTransport = .maildir
        case .lmtp(let endpoint):
            localTransport = .lmtp
            store = LMTPMailStore(endpoint: endpoint, clientName: settings.hostname, group: group,
                                  timeouts: settings.timeouts, logger: logger)
        }
        self.local = LocalDeliveryAgent(directory: directory, store: store)
        self.limiter = ConnectionLimiter(global: settings.maximumConnections,
                                         perDestination: settings.maximumConnectionsPerDestination)
        self.stateWriter = StateWriter(spool: spool, settings: settings)
        self.logger = logger
        self.clock = clock
    }

    /// Runs until graceful shutdown or cancellation: a scan at start (recovery), then the
    /// announced commits as they come, a scan for each announced request and at the earliest
    /// due time, and one every ``DeliverySettings/scanInterval``.
    /// Deliveries in flight at shutdown are finished (bounded by the SMTP timeouts) or, on
    /// cancellation, their connections are closed and the recipients stay deferred.
    public func run() async throws {
        logger.info("queue manager started", metadata: ["spool": "\(spool.directory)"])
        let announcements = spool.announcements()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await announcement in announcements { await self.tracker.announce(announcement) }
            }
            var nextScan = ContinuousClock.now
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let work = await tracker.takeWork()
                let jobs: [Job]
                let due = await tracker.isDue(now: clock())
                if work.scan || due || ContinuousClock.now >= nextScan {
                    // The scan sees the announced messages too: they were visible before announced.
                    jobs = await scan()
                    nextScan = ContinuousClock.now + settings.scanInterval
                } else {
                    jobs = await plan(committed: work.committed)
                }
                for job in jobs {
                    group.addTask(executorPreference: executor) { await self.execute(job) }
                }
                let deadline = nextScan
                await cancelWhenGracefulShutdown {
                    await self.tracker.sleep(until: deadline, now: self.clock())
                }
            }
            // Stopping: close the connections in flight (their recipients stay deferred and
            // are retried after the restart) rather than wait out the SMTP timeouts. This also
            // ends the announcement listener.
            group.cancelAll()
        }
        logger.info("queue manager stopped")
    }

    /// One pass: scan and deliver everything due, waiting until all of it is done (tests).
    public func processQueue() async {
        let jobs = await scan()
        await withDiscardingTaskGroup { group in
            for job in jobs { group.addTask(executorPreference: executor) { await self.execute(job) } }
        }
    }

    /// Routes the recipients planned from now on by `routing` (`portcullis reload`); deliveries
    /// already under way keep the route they were planned with.
    public func update(routing: RoutingTable) {
        currentRouting.withLock { $0 = routing }
    }

    /// Messages with deliveries running.
    public var inFlightCount: Int {
        get async { await tracker.inFlightCount }
    }

    // MARK: Planning

    enum Job: Sendable {
        case local(id: QueueID, envelope: SpoolEnvelope, source: MessageSource, indexes: [Int])
        /// A sender for one route: one connection at a time, each carrying what waits for the
        /// route when it opens (``QueueTracker/nextBatch(for:maximum:)``).
        case remote(route: Route)
        case finalize(id: QueueID)
    }

    /// The jobs for messages the spool just announced, marking their messages busy. Each
    /// envelope is read as it stands now (a scan may have started on the message meanwhile).
    func plan(committed ids: [QueueID]) async -> [Job] {
        guard !ids.isEmpty, !spool.isPaused else { return [] }
        var plan = Plan(now: clock())
        for id in ids {
            if await tracker.isInFlight(id) { continue }
            guard let envelope = try? spool.envelope(of: id) else { continue }  // delivered and removed meanwhile
            await self.plan(QueuedMessage(id: id, envelope: envelope, markers: spool.markers(of: id)), into: &plan)
        }
        return await jobs(of: plan)
    }

    /// Reads the whole spool and the operator requests, and returns the jobs that are due
    /// now, marking their messages busy.
    func scan() async -> [Job] {
        await tracker.startScan()
        let requests = spool.pendingRequests()
        if requests.contains(.pause) { return [] }
        var plan = Plan(now: clock(), requests: requests)
        if requests.contains(.flush) {
            plan.flush = true
            try? spool.clear(.flush)
        }
        // Resume and release only wake the manager: the pause and the hold are gone already,
        // and this scan delivers what they kept back.
        for request in requests {
            switch request {
            case .resume, .release: try? spool.clear(request)
            default: break
            }
        }
        let messages: [QueuedMessage]
        do {
            messages = try spool.queuedMessages()
        } catch {
            logger.error("cannot list the spool", metadata: ["error": "\(LoggedText(describing: error))"])
            return []
        }
        // Requests for messages that left the queue meanwhile have nothing left to act on.
        let queued = Set(messages.map(\.id))
        for request in requests {
            if let id = request.queueID, !queued.contains(id) { try? spool.clear(request) }
        }
        for message in messages {
            if await tracker.isInFlight(message.id) { continue }
            await self.plan(message, into: &plan)
        }
        return await jobs(of: plan)
    }

    /// What one planning pass has found so far.
    struct Plan {
        let now: Date
        var requests: Set<QueueRequest> = []
        var flush = false
        var hostedCache: [String: Bool] = [:]
        var localJobs: [Job] = []
        var remoteByRoute: [Route: [(id: QueueID, message: OutboundMessage)]] = [:]
        var jobsPerMessage: [QueueID: Int] = [:]
    }

    /// Adds the jobs of one message that is not in flight to `plan`.
    private func plan(_ message: QueuedMessage, into plan: inout Plan) async {
        let id = message.id
        let now = plan.now
        let bounceRequested = plan.requests.contains(.bounce(id))
        // Held (the compromised-account hold, `queue hold`): stays queued, untouched, until
        // released or deleted with a bounce.
        if message.isHeld && !bounceRequested { return }
        guard let source = try? spool.messageSource(of: id) else { return }
        var envelope = message.envelope

        // Operator "delete with bounce", and recipients past the queue lifetime.
        var immediate: [(Int, RecipientResult)] = []
        for (index, recipient) in envelope.recipients.enumerated() where recipient.state == .pending || recipient.state == .deferred {
            if bounceRequested {
                immediate.append((index, RecipientResult(kind: .failed, reply: .deletedByOperator)))
            } else if recipient.state == .deferred, now.timeIntervalSince(envelope.arrival) >= settings.maximumQueueLifetime {
                immediate.append((index, .deliveryTimeExpired(after: recipient.lastReply)))
            }
        }
        if !immediate.isEmpty {
            do {
                envelope = try await stateWriter.apply(immediate, to: id, now: now, countAttempt: false)
            } catch {
                logger.error("cannot record delivery state", metadata: ["queue_id": "\(id)", "error": "\(LoggedText(describing: error))"])
                // A bounce request stays until its failures are on disk; deliver nothing meanwhile.
                if bounceRequested { return }
            }
        }
        if bounceRequested { try? spool.clear(.bounce(id)) }

        let retryRequested = plan.requests.contains(.retry(id))
        let due = envelope.recipients.indices.filter { index in
            let recipient = envelope.recipients[index]
            switch recipient.state {
            case .pending: return true
            case .deferred:
                return plan.flush || retryRequested || (recipient.nextAttempt ?? .distantPast) <= now
            case .delivered, .failed: return false
            }
        }
        if retryRequested { try? spool.clear(.retry(id)) }
        let open = envelope.recipients.contains { $0.state == .pending || $0.state == .deferred }
        if !open {
            plan.jobsPerMessage[id] = 1
            plan.localJobs.append(.finalize(id: id))
            return
        }
        if !message.markers.contains(.delayNoticeSent) {
            await maybeSendDelayNotice(id: id, envelope: envelope, source: source, now: now)
        }
        guard !due.isEmpty else {
            if let next = dueTime(of: envelope, id: id, now: now) { await tracker.noteDue(next) }
            return
        }

        // Split the due recipients by route.
        let routing = self.routing
        var localIndexes: [Int] = []
        var remoteIndexes: [Route: [Int]] = [:]
        var routingFailures: [(Int, RecipientResult)] = []
        for index in due {
            let path = envelope.recipients[index].path
            guard let domain = settings.mailbox(for: path)?.domain.text else {
                routingFailures.append((index, RecipientResult(kind: .failed, reply: .recipientWithoutDomain(path.description))))
                continue
            }
            let hosted: Bool
            if let cached = plan.hostedCache[domain] {
                hosted = cached
            } else {
                do {
                    hosted = try await directory.isHostedDomain(domain)
                    plan.hostedCache[domain] = hosted
                } catch {
                    routingFailures.append((index, RecipientResult(kind: .deferred, reply: .directoryLookupFailed("\(error)"))))
                    continue
                }
            }
            let route = routing.route(for: domain, isHosted: hosted)
            if route == .local {
                localIndexes.append(index)
            } else {
                remoteIndexes[route, default: []].append(index)
            }
        }
        if !routingFailures.isEmpty {
            envelope = (try? await stateWriter.apply(routingFailures, to: id, now: now, countAttempt: true)) ?? envelope
        }
        var count = 0
        if !localIndexes.isEmpty {
            plan.localJobs.append(.local(id: id, envelope: envelope, source: source, indexes: localIndexes))
            count += 1
        }
        for (route, indexes) in remoteIndexes {
            plan.remoteByRoute[route, default: []].append((id, Self.outbound(envelope, indexes: indexes, source: source, settings: settings)))
        }
        if count == 0 && remoteIndexes.isEmpty {
            // Everything due failed routing: finalize if that closed the message.
            plan.jobsPerMessage[id] = 1
            plan.localJobs.append(.finalize(id: id))
            return
        }
        plan.jobsPerMessage[id, default: 0] += count
    }

    /// The plan's jobs, their messages marked busy. Remote messages wait in their route's
    /// queue; new senders are started only up to the per-destination limit, so what arrives
    /// while they are busy goes out on their next connections, many messages on each.
    private func jobs(of plan: Plan) async -> [Job] {
        var jobsPerMessage = plan.jobsPerMessage
        for (_, messages) in plan.remoteByRoute {
            for item in messages { jobsPerMessage[item.id, default: 0] += 1 }
        }
        for (id, count) in jobsPerMessage { await tracker.begin(id, jobs: count) }
        var jobs = plan.localJobs
        for (route, messages) in plan.remoteByRoute {
            let senders = await tracker.enqueue(messages, for: route, senders: settings.maximumConnectionsPerDestination)
            jobs += Array(repeating: .remote(route: route), count: senders)
        }
        return jobs
    }

    // MARK: Executing

    func execute(_ job: Job) async {
        switch job {
        case .finalize(let id):
            await finishJob(of: id)
        case .local(let id, let envelope, let source, let indexes):
            // Routing sent only recipients with a domain here.
            let recipients = indexes.compactMap { index in
                settings.mailbox(for: envelope.recipients[index].path).map { (index: index, mailbox: $0) }
            }
            let started = ContinuousClock.now
            let outcomes = await local.deliver(source, envelope: envelope, recipients: recipients.map(\.mailbox))
            instruments.attemptTook(ContinuousClock.now - started)
            var results: [(Int, RecipientResult)] = []
            for ((index, mailbox), outcome) in zip(recipients, outcomes) {
                let recipient = envelope.recipients[index]
                var result = outcome.result
                if result.kind == .delivered && !outcome.forwards.isEmpty {
                    do {
                        try await forward(envelope: envelope, recipient: recipient, mailbox: mailbox,
                                          to: outcome.forwards, source: source)
                    } catch {
                        result = RecipientResult(kind: .deferred, reply: .forwardingFailed(
                            targets: outcome.forwards.joined(separator: ", "), detail: "\(error)"))
                    }
                }
                logger.info("local delivery", metadata: ["queue_id": "\(id)", "recipient": "\(LoggedText(mailbox.string))",
                                                         "result": "\(LoggedText(describing: result))"])
                instruments.attempted(localTransport, DeliveryAttemptResult(result.kind))
                results.append((index, result))
            }
            await record(results, for: id)
            await finishJob(of: id)
        case .remote(let route):
            while !Task.isCancelled,
                  let messages = await tracker.nextBatch(for: route, maximum: settings.maximumMessagesPerConnection) {
                await send(messages, route: route)
            }
        }
    }

    /// One connection to `route` carrying `messages`, and what is queued for the route while
    /// it stays open (up to ``DeliverySettings/connectionIdleTime`` idle).
    private func send(_ messages: [(id: QueueID, message: OutboundMessage)], route: Route) async {
        let key = route.description
        await limiter.acquire(key)
        let carried = CarriedMessages(messages)
        let lap = Lap()
        let more: RemoteDeliveryAgent.MoreMessages = { maximum in
            let next = await self.tracker.more(for: route, maximum: maximum, idle: self.settings.connectionIdleTime)
            carried.append(next)
            return next.map(\.message)
        }
        // Each message's outcome is recorded the moment it is known, before the next
        // message goes out on the same connection: a crash then repeats at most the
        // transaction in flight.
        _ = await remote.deliver(messages.map(\.message), route: route,
                                 maximumPerConnection: settings.maximumMessagesPerConnection, more: more) { position, results in
            let item = carried[position]
            let pairs = zip(item.message.recipients, results).map { ($0.index, $1) }
            self.instruments.attemptTook(lap.next())
            for (recipient, result) in zip(item.message.recipients, results) {
                self.instruments.attempted(.smtp, DeliveryAttemptResult(result.kind))
                self.logger.info("remote delivery", metadata: [
                    "queue_id": "\(item.id)", "recipient": "\(LoggedText(recipient.address.string))", "route": "\(route)",
                    "result": "\(LoggedText(describing: result))",
                ])
            }
            await self.record(pairs, for: item.id)
            await self.finishJob(of: item.id)
        }
        await limiter.release(key)
    }

    private func record(_ results: [(Int, RecipientResult)], for id: QueueID) async {
        let now = clock()
        do {
            let envelope = try await stateWriter.apply(results, to: id, now: now, countAttempt: true)
            if let next = dueTime(of: envelope, id: id, now: now) { await tracker.noteDue(next, for: id) }
        } catch {
            logger.error("cannot record delivery state", metadata: ["queue_id": "\(id)", "error": "\(LoggedText(describing: error))"])
        }
    }

    private func finishJob(of id: QueueID) async {
        guard await tracker.finishJob(id) else { return }
        await finalizeIfDone(id)
        await tracker.end(id)
    }

    /// When every recipient is delivered or failed: send the DSN the sender asked for, then
    /// remove the message. The DSN is committed before the deletion, so a crash in between
    /// can at worst send it twice, never lose it.
    func finalizeIfDone(_ id: QueueID) async {
        if await stateWriter.takeCompleted(id) != nil {
            // Everything delivered, no DSN to send: just remove it. A crash before the next
            // sync could bring it back to be delivered once more, never lose it.
            do {
                try await spool.deleteAsync(id, sync: .withNextCommit)
                logger.info("message removed from the queue", metadata: ["queue_id": "\(id)"])
            } catch {
                logger.error("cannot remove message", metadata: ["queue_id": "\(id)", "error": "\(LoggedText(describing: error))"])
            }
            return
        }
        guard let envelope = try? spool.envelope(of: id),
              !envelope.recipients.contains(where: { $0.state == .pending || $0.state == .deferred }) else { return }
        let source = try? spool.messageSource(of: id)
        let now = clock()
        var reports: [DeliveryStatusNotification.RecipientReport] = []
        for recipient in envelope.recipients {
            switch recipient.state {
            case .failed where recipient.notify?.includes(.failure) ?? true && recipient.notify != .never:
                reports.append(Self.report(recipient, action: .failed, now: now))
            case .delivered where recipient.notify?.includes(.success) ?? false:
                // Remote deliveries passed NOTIFY on (or went to a server without DSN, where
                // RFC 3461 §5.2.3 asks for "relayed", not generated here): only local ones.
                guard recipient.lastReply?.remoteHost == nil else { break }
                reports.append(Self.report(recipient, action: .delivered, now: now))
            default:
                break
            }
        }
        // The marker keeps a failed deletion (or a crash right after the DSN was committed)
        // from sending the same DSN again at the next scan.
        if !reports.isEmpty && !spool.hasMarker(.finalNoticeSent, on: id) {
            if await sendNotification(for: envelope, id: id, source: source, reports: reports, now: now) {
                try? spool.setMarker(.finalNoticeSent, on: id)
            }
        }
        do {
            try await spool.deleteAsync(id)
            logger.info("message removed from the queue", metadata: ["queue_id": "\(id)"])
        } catch {
            logger.error("cannot remove message", metadata: ["queue_id": "\(id)", "error": "\(LoggedText(describing: error))"])
        }
    }

    /// A delay notice, once (the ``SpoolMarker/delayNoticeSent`` marker, which the caller
    /// checked), after ``DeliverySettings/delayNoticeAfter`` for recipients whose NOTIFY allows
    /// it (RFC 3461 §4.1: absent NOTIFY may be taken as FAILURE,DELAY).
    private func maybeSendDelayNotice(id: QueueID, envelope: SpoolEnvelope, source: MessageSource, now: Date) async {
        guard envelope.sender != .null, now.timeIntervalSince(envelope.arrival) >= settings.delayNoticeAfter else { return }
        let until = envelope.arrival.addingTimeInterval(settings.maximumQueueLifetime)
        let reports = envelope.recipients.compactMap { recipient -> DeliveryStatusNotification.RecipientReport? in
            guard recipient.state == .deferred else { return nil }
            guard recipient.notify == nil || recipient.notify?.includes(.delay) == true else { return nil }
            return Self.report(recipient, action: .delayed, now: now, willRetryUntil: until)
        }
        guard !reports.isEmpty else { return }
        do {
            try spool.setMarker(.delayNoticeSent, on: id)
        } catch {
            return  // without the marker we would repeat the notice every scan
        }
        _ = await sendNotification(for: envelope, id: id, source: source, reports: reports, now: now, delay: true)
    }

    /// Queues a DSN to the envelope sender, from the null sender. Never for a null-sender
    /// message: a bounce is never bounced (RFC 5321 §4.5.5, RFC 3464 §2). A delay notice
    /// returns the header only.
    /// Returns true when a DSN was committed.
    @discardableResult
    private func sendNotification(for envelope: SpoolEnvelope, id: QueueID, source: MessageSource?,
                                  reports: [DeliveryStatusNotification.RecipientReport], now: Date,
                                  delay: Bool = false) async -> Bool {
        guard let sender = envelope.sender.mailbox else { return false }
        let dsn = DeliveryStatusNotification(
            reportingMTA: settings.hostname, recipient: sender, envelopeID: envelope.envelopeID,
            arrivalDate: envelope.arrival, reports: reports,
            returnContent: delay ? .headers : (envelope.ret ?? .full),
            maximumReturnedSize: settings.maximumReturnedMessageSize)
        do {
            let bounceID = try await spool.inject(
                delay ? .delayReport : .deliveryReport, from: .null, to: [SpoolRecipient(sender, notify: .never)],
                content: .generated { dsnID in dsn.render(original: source, now: now, uniqueToken: "\(dsnID).dsn") },
                hostname: settings.hostname, arrival: now)
            instruments.dsnQueued(delay ? .delay : dsn.isFailure ? .failure : .success)
            logger.info("delivery status notification queued", metadata: [
                "queue_id": "\(id)", "dsn_queue_id": "\(bounceID)", "to": "\(sender)", "subject": "\(dsn.subject)",
            ])
            return true
        } catch {
            logger.error("cannot queue DSN", metadata: ["queue_id": "\(id)", "error": "\(LoggedText(describing: error))"])
            return false
        }
    }

    /// Queues a copy of the message to the outside targets of an alias, keeping the sender
    /// and the DSN parameters; the alias becomes the original recipient unless one was given.
    private func forward(envelope: SpoolEnvelope, recipient: SpoolRecipient, mailbox: Mailbox,
                         to targets: [String], source: MessageSource) async throws {
        let original = recipient.originalRecipient ?? OriginalRecipient(addressType: "rfc822", address: mailbox.string)
        let recipients = try targets.map { target in
            guard let target = Mailbox(parsing: target) else { throw ForwardError.invalidTarget(target) }
            return SpoolRecipient(target, notify: recipient.notify, originalRecipient: original)
        }
        try await spool.inject(.aliasForward, from: envelope.sender, to: recipients,
                               content: .copy(source, of: envelope), hostname: settings.hostname, arrival: clock())
    }

    /// An alias target that is not a mailbox.
    enum ForwardError: Error, CustomStringConvertible {
        case invalidTarget(String)

        var description: String {
            switch self {
            case .invalidTarget(let target): return "alias target \(target) is not a mail address"
            }
        }
    }

    // MARK: Helpers

    /// When something next falls due for a message with deferred recipients: the earliest next
    /// attempt, its delay notice (if not sent yet) and the end of its queue lifetime. The
    /// last two only while ahead: once past they were acted on when the message was planned.
    /// Pending recipients are not counted: they are being delivered by the message's jobs.
    func dueTime(of envelope: SpoolEnvelope, id: QueueID, now: Date) -> Date? {
        let times = envelope.recipients.filter { $0.state == .deferred }.map { $0.nextAttempt ?? now }
        guard var earliest = times.min() else { return nil }
        let expiry = envelope.arrival.addingTimeInterval(settings.maximumQueueLifetime)
        if expiry > now { earliest = min(earliest, expiry) }
        let delayNotice = envelope.arrival.addingTimeInterval(settings.delayNoticeAfter)
        if delayNotice > now, envelope.sender != .null, !spool.hasMarker(.delayNoticeSent, on: id) {
            earliest = min(earliest, delayNotice)
        }
        return earliest
    }

    /// A recipient's DSN block from what the spool recorded: its paths and its last reply.
    static func report(_ recipient: SpoolRecipient, action: DeliveryStatusNotification.Action, now: Date,
                       willRetryUntil: Date? = nil) -> DeliveryStatusNotification.RecipientReport {
        let last = recipient.lastReply ?? DeliveryReply(
            action == .failed ? .undescribedPermanentFailure("") : .undescribedTransientFailure(""))
        return .init(finalRecipient: recipient.path, originalRecipient: recipient.originalRecipient, action: action,
                     reply: last.reply, remoteMTA: last.remoteHost, lastAttempt: now, willRetryUntil: willRetryUntil)
    }

    static func outbound(_ envelope: SpoolEnvelope, indexes: [Int], source: MessageSource,
                         settings: DeliverySettings) -> OutboundMessage {
        let recipients = indexes.compactMap { index -> OutboundMessage.Recipient? in
            let recipient = envelope.recipients[index]
            guard let mailbox = settings.mailbox(for: recipient.path) else { return nil }
            return OutboundMessage.Recipient(address: mailbox, notify: recipient.notify,
                                             originalRecipient: recipient.originalRecipient, index: index)
        }
        let utf8 = envelope.smtputf8 || envelope.sender.needsSMTPUTF8 || recipients.contains { $0.address.needsSMTPUTF8 }
        return OutboundMessage(
            sender: envelope.sender, recipients: recipients, source: source, size: envelope.size,
            body: envelope.body, requiresSMTPUTF8: utf8, ret: envelope.ret, envelopeID: envelope.envelopeID)
    }
}

/// The time since the connection's previous outcome (or since it was asked for): the length
/// of one message's attempt on a connection that carries several in turn.
private final class Lap: Sendable {
    private let last = Mutex(ContinuousClock.now)

    func next() -> Duration {
        last.withLock { last in
            let now = ContinuousClock.now
            defer { last = now }
            return now - last
        }
    }
}

extension DeliveryAttemptResult {
    init(_ kind: RecipientResult.Kind) {
        switch kind {
        case .delivered: self = .delivered
        case .deferred: self = .deferred
        case .failed: self = .failed
        }
    }
}

/// The messages one delivery carried, in the order ``RemoteDeliveryAgent`` numbers them: the
/// first batch, then what each call to its `more` handed over.
private final class CarriedMessages: Sendable {
    private let list: Mutex<[(id: QueueID, message: OutboundMessage)]>

    init(_ first: [(id: QueueID, message: OutboundMessage)]) { list = Mutex(first) }

    func append(_ more: [(id: QueueID, message: OutboundMessage)]) { list.withLock { $0 += more } }

    subscript(position: Int) -> (id: QueueID, message: OutboundMessage) { list.withLock { $0[position] } }
}
