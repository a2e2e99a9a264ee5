import Directory
import Foundation
import POP3Server
import SMTPServer
import Spool
import Synchronization
import Web

/// What `portcullis serve` must have to take mail, checked for `/readyz`: the spool writable
/// with at least `[spool] min_free_space` free, the directory answering within 2 seconds (the
/// database itself, not the cache), and every SMTP and POP3 listener bound and accepting (false
/// from the start of a graceful shutdown).
///
/// One check at a time, its answer kept for a second: `/readyz` is reachable by anyone on the
/// customer web, and a flood of requests must not turn into a flood of directory queries.
actor ServerReadiness {
    let spool: Spool
    let directory: any AccountDirectory
    let smtp: SMTPListener
    let pop3: POP3Listener?
    private var last: (report: ReadinessReport, at: ContinuousClock.Instant)?
    private var running: Task<ReadinessReport, Never>?

    static let directoryDeadline: Duration = .seconds(2)
    static let reuse: Duration = .seconds(1)

    init(spool: Spool, directory: any AccountDirectory, smtp: SMTPListener, pop3: POP3Listener?) {
        self.spool = spool
        self.directory = directory
        self.smtp = smtp
        self.pop3 = pop3
    }

    /// The latest report: a fresh one at most once a second; callers meanwhile share it.
    func check() async -> ReadinessReport {
        if let last, ContinuousClock.now - last.at < Self.reuse { return last.report }
        if let running { return await running.value }
        let task = Task { await self.measure() }
        running = task
        let report = await task.value
        running = nil
        last = (report, .now)
        return report
    }

    private func measure() async -> ReadinessReport {
        var report = ReadinessReport()
        report.record("listeners", problem: smtp.isListening && (pop3?.isListening ?? true) ? nil : "not accepting connections")
        let spoolProblem: String?
        if access(spool.directory, W_OK) != 0 {
            spoolProblem = "\(spool.directory) is not writable: \(String(cString: strerror(errno)))"
        } else if !spool.freeSpace.hasRoom() {
            spoolProblem = "less than [spool] min_free_space free"
        } else {
            spoolProblem = nil
        }
        report.record("spool", problem: spoolProblem)
        report.record("directory", problem: await directoryProblem())
        return report
    }

    /// Nil when the directory answers a look-up in time. A look-up that hangs (a database that
    /// accepts connections but never answers) is left running; the answer does not wait for it.
    private func directoryProblem() async -> String? {
        let directory = self.directory
        let answer = FirstAnswer()
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            @Sendable func finish(_ problem: String?) {
                if answer.claim() { continuation.resume(returning: problem) }
            }
            Task {
                do {
                    _ = try await directory.isHostedDomain("readiness-check.invalid")
                    finish(nil)
                } catch {
                    finish("\(error)")
                }
            }
            Task {
                try? await Task.sleep(for: Self.directoryDeadline)
                finish("no answer within 2 seconds")
            }
        }
    }
}

/// Lets exactly one of several racing tasks give the answer.
private final class FirstAnswer: Sendable {
    private let given = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        given.withLock { given in
            defer { given = true }
            return !given
        }
    }
}
