import Testing
@testable import SMTPCore

/// A PROXY protocol line from a client that is not a trusted proxy, on a listener that
/// speaks the protocol: refused and closed, its address never believed. Elsewhere the line is
/// an unknown command like any other.
@Suite struct SessionProxyHeaderTests {
    private let header = "PROXY TCP4 203.0.113.9 192.0.2.25 40000 25"

    @Test func untrustedHeaderIsRefusedAndClosed() {
        var harness = SessionHarness(refusesProxyHeader: true)
        #expect(harness.line(header) == [.send(.proxyHeaderNotTrusted), .close])
        #expect(harness.machine.isClosed)
        #expect(Reply.proxyHeaderNotTrusted.code == 554)
        #expect(Reply.proxyHeaderNotTrusted.enhanced == .init(5, 7, 0))
    }

    @Test func refusedInTheMiddleOfATransactionToo() {
        var harness = SessionHarness(refusesProxyHeader: true)
        harness.line("EHLO client.example.net")
        harness.acceptedMail("MAIL FROM:<someone@example.org>")
        let actions = harness.line(header)
        #expect(actions.suffix(2) == [.send(.proxyHeaderNotTrusted), .close])
    }

    @Test func withoutTheProtocolItIsAnUnknownCommand() {
        var harness = SessionHarness()
        #expect(harness.line(header) == [.send(.unrecognizedCommand)])
        #expect(!harness.machine.isClosed)
    }

    @Test func onlyTheExactPrefixCounts() {
        var harness = SessionHarness(refusesProxyHeader: true)
        #expect(harness.line("PROXYX") == [.send(.unrecognizedCommand)])
        #expect(!harness.machine.isClosed)
    }
}
