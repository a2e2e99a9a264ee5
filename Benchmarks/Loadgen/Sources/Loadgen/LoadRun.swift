import Glibc
import LoadgenCore
import NIOCore
import NIOPosix
import NIOSSL

/// The whole run, as submission.py `run_load()`: every session connects, does STARTTLS and
/// AUTH; when all are ready (or have failed) the message phase starts for all at once.
struct LoadRun {
    var host: String
    var port: Int
    var sessions: Int
    var messages: Int
    var size: Int
    var rate: Double
    var threads: Int
    var helo: String
    var user: String
    var password: String
    var sender: String
    var recipient: String

    /// As submission.py: connecting may take this long before the session fails.
    static let connectTimeout = TimeAmount.seconds(30)

    func run() throws -> LoadSummary {
        let threads = max(1, min(self.threads, sessions))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        defer { try? group.syncShutdownGracefully() }

        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        // The servers use self-signed certificates; the load measures the cost of TLS, not the trust decision.
        tlsConfiguration.certificateVerification = .none
        let tls = try NIOSSLContext(configuration: tlsConfiguration)
        let template = MessageTemplate(sender: sender, recipient: recipient, size: size)

        var readies: [EventLoopFuture<Void>] = []
        var gos: [EventLoopPromise<UInt64>] = []
        var outcomes: [EventLoopFuture<SessionOutcome>] = []
        let setupStarted = monotonicNow()
        for slot in 0..<sessions {
            let loop = group.next()   // round robin: slots spread over the threads as over submission.py's processes
            let ready = loop.makePromise(of: Void.self)
            let go = loop.makePromise(of: UInt64.self)
            let done = loop.makePromise(of: SessionOutcome.self)
            let configuration = SubmissionSession.Configuration(
                slot: slot, sessions: sessions, messages: messages, rate: rate, helo: helo,
                user: user, password: password, sender: sender, recipient: recipient)
            ClientBootstrap(group: loop)
                .connectTimeout(Self.connectTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SubmissionHandler(
                            configuration: configuration, template: template, tls: tls,
                            ready: ready, go: go.futureResult, done: done))
                    }
                }
                .connect(host: host, port: port)
                .whenFailure { error in
                    ready.succeed()
                    done.succeed(SessionOutcome(error: "session \(slot): connect: \(error)"))
                }
            readies.append(ready.futureResult)
            gos.append(go)
            outcomes.append(done.futureResult)
        }

        try EventLoopFuture.andAllComplete(readies, on: group.any()).wait()
        let setupSeconds = Double(monotonicNow() - setupStarted) / 1e9
        let startAt = monotonicNow()
        for go in gos { go.succeed(startAt) }
        let ended = try EventLoopFuture.whenAllSucceed(outcomes, on: group.any()).wait()

        // The phase ends with the last 250 to a message (submission.py's docstring); QUIT is not timed.
        let finishedAt = ended.compactMap(\.lastMessageAt).max() ?? startAt
        return LoadSummary(
            sessions: sessions, messagesPerSession: messages, size: size, targetRate: rate, processes: threads,
            errors: ended.compactMap(\.error), setupSeconds: setupSeconds,
            phaseSeconds: Double(finishedAt - min(startAt, finishedAt)) / 1e9,
            latencies: ended.flatMap { $0.latencies.map { Double($0) / 1e9 } },
            clientCPUSeconds: Self.cpuSeconds())
    }

    /// User and system CPU of this process, all threads, set-up included (as submission.py).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
