import CoreMetrics
import SMTPCore
import Synchronization

/// The SMTP instruments of each service, looked up once per session.
public struct SMTPServiceInstruments: Sendable {
    private let relay: SMTPInstruments
    private let submission: SMTPInstruments
    private let submissions: SMTPInstruments

    init(factory: any MetricsFactory) {
        relay = SMTPInstruments(service: .relay, factory: factory)
        submission = SMTPInstruments(service: .submission, factory: factory)
        submissions = SMTPInstruments(service: .submissionImplicitTLS, factory: factory)
    }

    /// The instruments of `service`; POP3 has none here (``POP3Instruments``) and gets the
    /// port-25 service's, which no POP3 session ever uses.
    public subscript(service: ServiceKind) -> SMTPInstruments {
        switch service {
        case .relay, .pop3: return relay
        case .submission: return submission
        case .submissionImplicitTLS: return submissions
        }
    }
}

/// One SMTP service's instruments (the `service` label fixed).
public final class SMTPInstruments: Sendable {
    private let factory: any MetricsFactory
    private let service: String
    private let connections: Counter
    private let sessionsActive: Meter
    private let accepted: Counter
    private let authSucceeded: Counter
    private let authFailed: Counter
    private let authTemporaryFailure: Counter
    /// One counter per reply code (a 3-digit code of a 4xx or 5xx reply: at most 200).
    private let rejectedByCode = Mutex<[Int: Counter]>([:])

    init(service: ServiceKind, factory: any MetricsFactory) {
        let label = service.metricLabel
        self.factory = factory
        self.service = label
        let dimensions = [("service", label)]
        connections = Counter(label: MetricCatalogue.smtpConnections.name, dimensions: dimensions, factory: factory)
        sessionsActive = Meter(label: MetricCatalogue.smtpSessionsActive.name, dimensions: dimensions, factory: factory)
        accepted = Counter(label: MetricCatalogue.smtpMessagesAccepted.name, dimensions: dimensions, factory: factory)
        let auth = MetricCatalogue.smtpAuth.name
        authSucceeded = Counter(label: auth, dimensions: dimensions + [("result", "success")], factory: factory)
        authFailed = Counter(label: auth, dimensions: dimensions + [("result", "failure")], factory: factory)
        authTemporaryFailure = Counter(label: auth, dimensions: dimensions + [("result", "temporary_failure")], factory: factory)
    }

    /// A connection reached the listener (admitted or not).
    public func connectionOpened() { connections.increment() }

    /// A session took a connection slot.
    public func sessionStarted() { sessionsActive.increment() }

    /// The session gave its slot back.
    public func sessionEnded() { sessionsActive.decrement() }

    /// A message was committed and acknowledged.
    public func messageAccepted() { accepted.increment() }

    /// A sender, a recipient or a message's content was refused with `reply`.
    public func refused(_ reply: Reply) {
        let code = reply.code
        guard (400..<600).contains(code) else { return }
        let counter = rejectedByCode.withLock { counters -> Counter in
            if let counter = counters[code] { return counter }
            let counter = Counter(label: MetricCatalogue.smtpMessagesRejected.name,
                                  dimensions: [("service", service), ("code", String(code))], factory: factory)
            counters[code] = counter
            return counter
        }
        counter.increment()
    }

    /// The verdict on an AUTH exchange.
    public func authenticated(_ outcome: AuthOutcome) {
        switch outcome {
        case .success: authSucceeded.increment()
        case .failure: authFailed.increment()
        case .temporaryFailure: authTemporaryFailure.increment()
        }
    }
}
