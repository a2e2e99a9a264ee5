import Policy
import Testing
@testable import Web

/// The notice's decision rules (seed-notice.md, "Who is affected").
@Suite struct VerdictTests {
    @Test(arguments: [
        (Line.isp, DomainKind.outside, Verdict.affectedUseProviderSubmission, true),
        (.other, .ispDomain, .affectedUseOurSubmission, true),
        (.other, .virtualDomain, .affectedUseOurSubmission, true),
        (.isp, .ispDomain, .notAffected, false),
        (.isp, .virtualDomain, .notAffected, false),
        (.other, .outside, .notAffectedByThisISP, false),
    ])
    func decides(line: Line, domain: DomainKind, verdict: Verdict, affected: Bool) {
        let decided = Verdict(line: line, domain: domain)
        #expect(decided == verdict)
        #expect(decided.isAffected == affected)
        #expect(decided.showsOurSettings == domain.isHosted)
    }

    @Test(arguments: DomainKind.allCases)
    func anExemptAddressOnTheISPsLineIsNotAffected(domain: DomainKind) {
        #expect(Verdict(line: .isp, domain: domain, exempt: true) == .notAffectedExempt)
        #expect(!Verdict.notAffectedExempt.isAffected)
        // Exemptions release this ISP's lines only.
        #expect(Verdict(line: .other, domain: domain, exempt: true) == Verdict(line: .other, domain: domain))
    }

    @Test(arguments: [
        ("203.0.113.77", Line.isp),        // blocked access network
        ("2001:db8:100::77", .isp),
        ("::ffff:203.0.113.77", .isp),
        ("192.0.2.10", .other),            // ISP network without OP25B: port 25 not blocked
        ("198.51.100.7", .other),          // elsewhere
    ])
    func detectsLineFromClientAddress(address: String, line: Line) throws {
        let detector = LineDetector(policy: try Fixture.policy(), resolver: .init(trustedProxies: []))
        let detection = detector.detect(peer: IPAddress(parsing: address), forwardedFor: [])
        #expect(detection.line == line)
        #expect(detection.source == .detected)
    }

    @Test func choiceOverridesDetection() throws {
        let detector = LineDetector(policy: try Fixture.policy(), resolver: .init(trustedProxies: []))
        let detection = detector.line(choice: .other, peer: IPAddress(parsing: "203.0.113.77"), forwardedFor: [])
        #expect(detection.line == .other)
        #expect(detection.source == .chosen)
    }
}
