import Logging
import NIOCore
import SMTPCore

/// One message being received, from the 354 (or first BDAT chunk) to its commit: it opens the
/// spool entry (the `MessageSink`), streams the content through the `MessageAssembler`, keeps
/// the DKIM-Signature computed at the end of the content and hands it to the spool with the
/// commit, in front of the message.
///
/// A spool entry that cannot be opened or written is remembered, not thrown: the content must
/// still be read to its end (CRLF.CRLF, or the chunk's size) before the client is told, so the
/// session stays in step with it (RFC 5321 §4.1.1.4, RFC 3030 §2).
final class MessageReception {
    private let sink: (any MessageSink)?
    private let assembler: MessageAssembler?
    private let logger: Logger
    private let sessionID: String
    /// Why the message will be refused, once opening or writing the spool entry failed.
    private var failure: Reply?
    /// Header fields computed at the end of the content (DKIM-Signature), put in front at commit.
    private var signature: [UInt8] = []

    /// Opens the spool entry for the message of `envelope` and prepares our Received header.
    init(envelope: Envelope, services: any SessionServices, context: SessionContext, hostname: String, logger: Logger) {
        self.logger = logger
        sessionID = context.sessionID
        do {
            let sink = try services.beginMessage(context: context)
            let received = ReceivedHeader(
                envelope: envelope, clientAddress: context.clientAddress, hostname: hostname,
                queueID: sink.queueID, date: RFC5322Date.now())
            self.sink = sink
            assembler = MessageAssembler(
                sink: sink, receivedHeader: received.rendered,
                addMissingHeaders: context.followsSubmissionRules, hostname: hostname,
                signerForDomain: { services.dkimSigner(fromDomain: $0, context: context) })
        } catch {
            logger.error("cannot open spool entry", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            sink = nil
            assembler = nil
            failure = Reply.failure(error, sessionID: context.sessionID)
        }
    }

    /// Content octets, in order; ignored once the message is known to be refused.
    func write(_ bytes: [UInt8]) {
        guard let assembler, failure == nil else { return }
        do {
            try assembler.append(bytes)
        } catch {
            logger.error("spool write failed", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            failure = Reply.failure(error, sessionID: sessionID)
        }
    }

    /// The end of DATA, as the framer found it: the outcome for the session. A refused message
    /// is dropped from the spool here.
    func finishData(size: Int, error: DataError?) -> DataOutcome {
        var outcome = error.map { DataOutcome.rejected($0.reply) } ?? .complete(size: size)
        if case .complete = outcome {
            if let failure {
                outcome = .rejected(failure)
            } else if let refusal = finishContent() {
                outcome = .rejected(refusal)
            }
        }
        if case .rejected = outcome { abort() }
        return outcome
    }

    /// The end of a BDAT chunk: the outcome for the session. A refused message is dropped here.
    func finishChunk(last: Bool, forbidden: DataError?) -> ChunkOutcome {
        var outcome = ChunkOutcome.complete
        if let failure {
            outcome = .rejected(failure)
        } else if let forbidden {
            outcome = .forbiddenContent(forbidden)
        } else if last, let refusal = finishContent() {
            outcome = .rejected(refusal)
        }
        if case .rejected = outcome { abort() }
        return outcome
    }

    /// Final checks and the durable commit, with the signature in front; nil when there is no
    /// message to commit. A refused commit drops the spool entry.
    func commit(envelope: Envelope, services: any SessionServices, context: SessionContext,
                on eventLoop: EventLoop) -> EventLoopFuture<Result<String, Reply>>? {
        guard let sink, let assembler, failure == nil else { return nil }
        let future = services.commitMessage(sink, envelope: envelope, headers: assembler.summary, prefix: signature,
                                            context: context, on: eventLoop)
        future.whenComplete { result in
            if case .success(.success) = result { return }
            sink.abort()
        }
        return future
    }

    /// Drops the message. Safe to call more than once.
    func abort() {
        sink?.abort()
    }

    /// Flushes a header block still held and computes the signature; the refusal when the
    /// spool failed.
    private func finishContent() -> Reply? {
        do {
            signature = try assembler?.finish() ?? []
            return nil
        } catch {
            logger.error("cannot finish the message", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            return Reply.failure(error, sessionID: sessionID)
        }
    }
}
