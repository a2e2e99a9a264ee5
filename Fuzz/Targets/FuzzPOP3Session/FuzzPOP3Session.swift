import POP3Core
import SMTPCore

/// A POP3 client's input, framed into lines as the server frames it, driving a session: every
/// requested action is completed (login succeeds, a two-message maildrop opens, retrievals and
/// the UPDATE succeed) so the fuzzer reaches TRANSACTION. Any input must give responses, never
/// a trap, and every response line must stay within RFC 2449's 512 octets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    var framer = LineFramer(maxLineLength: POP3Limits.commandLine)
    framer.append(UnsafeBufferPointer(start: start, count: count))
    var machine = POP3SessionStateMachine(
        configuration: POP3SessionConfiguration(hostname: "mail.alato.example", tlsAvailable: true, maxErrors: 20),
        tlsActive: false)
    var pending = machine.start()
    while !machine.isClosed {
        while let action = pending.first {
            pending.removeFirst()
            switch action {
            case .send(let response):
                precondition(response.firstLine.utf8.count + 2 <= POP3Limits.responseLine, "response line too long")
            case .startTLS:
                pending += machine.tlsEstablished()
            case .verifyCredentials(let username, _):
                pending += machine.credentialsVerified(.success(account: username))
            case .openMaildrop:
                pending += machine.maildropOpened(.opened(MaildropListing(messages: [
                    .init(octets: 10, uniqueID: "a"), .init(octets: 20, uniqueID: "b")])))
            case .retrieve:
                pending += machine.retrievalFinished(.sent)
            case .commitDeletions:
                pending += machine.deletionsCommitted(succeeded: true)
            case .releaseMaildrop:
                break
            case .close:
                return 0
            }
        }
        framer.maxLineLength = machine.isInAuthExchange ? POP3Limits.saslResponseLine : POP3Limits.commandLine
        guard let event = framer.nextLine() else { break }
        switch event {
        case .line(let line): pending = machine.receivedLine(line)
        case .tooLong: pending = machine.lineTooLong()
        case .bareLineEnding: pending = machine.bareLineEnding()
        }
    }
    return 0
}
