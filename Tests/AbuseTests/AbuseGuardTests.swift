import AbuseTestSupport
import Directory
import Foundation
import SMTPCore
@testable import Abuse
import Spool
import Testing

/// The abuse decisions on a real SQLite store and a test clock, without sockets: client
/// addresses are plain strings here, so several "clients" are easy.
@Suite struct AbuseGuardTests {
    func submission(_ account: String? = "taro@alato.example", client: String = "198.51.100.7") -> AbuseContext {
        AbuseContext(clientAddress: client, service: .submission, authenticatedAccount: account)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func authFailuresBlockTheAddressAndLockTheAccountButNotItsKnownAddresses(store: AbuseStoreKind) async throws {
        let fixture = try await AbuseFixture(store: store)
        defer { fixture.remove() }
        let guardian = fixture.guardian
        let owner = "192.0.2.10", attacker = "203.0.113.66", newcomer = "203.0.113.77"
        try await guardian.recordAuthenticationSuccess(account: "taro@alato.example", client: owner)
        for attempt in 1...4 {
            #expect(try await guardian.authenticationGate(username: "taro@alato.example", client: attacker) == .proceed, "attempt \(attempt)")
            try await guardian.recordAuthenticationFailure(username: "taro@alato.example", client: attacker)
        }
        // Limit 4 reached: the attacker's address is blocked, at AUTH and at connect.
        #expect(try await guardian.authenticationGate(username: "taro@alato.example", client: attacker) == .addressBlocked)
        let atConnect = try await guardian.admitConnection(client: attacker, service: .submission).value
        #expect(atConnect?.code == 421)
        #expect(atConnect?.enhanced == EnhancedStatusCode(4, 7, 0))
        // …but not on the port-25 service, where there is no AUTH to protect.
        #expect(try await guardian.admitConnection(client: attacker, service: .relay).value == nil)
        // The account is locked for addresses it never logged in from…
        #expect(try await guardian.authenticationGate(username: "Taro@alato.example", client: newcomer) == .accountLocked)
        // …while its owner's known address still gets to try.
        #expect(try await guardian.authenticationGate(username: "taro@alato.example", client: owner) == .proceed)
        // After the lockout everything works again.
        fixture.clock.advance(seconds: 901)
        #expect(try await guardian.authenticationGate(username: "taro@alato.example", client: attacker) == .proceed)
        #expect(try await guardian.authenticationGate(username: "taro@alato.example", client: newcomer) == .proceed)
        #expect(try await guardian.admitConnection(client: attacker, service: .submission).value == nil)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func unknownAccountsAreLockedLikeKnownOnes(store: AbuseStoreKind) async throws {
        let fixture = try await AbuseFixture(store: store)
        defer { fixture.remove() }
        // From four different addresses, so no address block interferes.
        for index in 1...4 {
            try await fixture.guardian.recordAuthenticationFailure(username: "nobody@alato.example", client: "203.0.113.\(index)")
            try await fixture.guardian.recordAuthenticationFailure(username: "taro@alato.example", client: "203.0.113.\(index)")
        }
        let unknown = try await fixture.guardian.authenticationGate(username: "nobody@alato.example", client: "203.0.113.50")
        let known = try await fixture.guardian.authenticationGate(username: "taro@alato.example", client: "203.0.113.50")
        #expect(unknown == .accountLocked)
        #expect(known == unknown)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func failuresOutsideTheWindowDoNotAddUp(store: AbuseStoreKind) async throws {
        let fixture = try await AbuseFixture(store: store)
        defer { fixture.remove() }
        for _ in 1...3 {
            try await fixture.guardian.recordAuthenticationFailure(username: "taro@alato.example", client: "203.0.113.9")
            fixture.clock.advance(seconds: 400)
        }
        // Three failures 400 s apart: never four within 600 s.
        try await fixture.guardian.recordAuthenticationFailure(username: "taro@alato.example", client: "203.0.113.9")
        #expect(try await fixture.guardian.authenticationGate(username: "taro@alato.example", client: "203.0.113.9") == .proceed)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func messagesPerHourSlideAndPerAccountOverridesApply(store: AbuseStoreKind) async throws {
        let fixture = try await AbuseFixture(store: store)
        defer { fixture.remove() }
        let context = submission()
        for _ in 1...3 {
            #expect(try await fixture.guardian.checkSender(context: context).value == nil)
            try await fixture.guardian.messageQueued(context: context).value
            fixture.clock.advance(seconds: 600)
        }
        let refusal = try #require(try await fixture.guardian.checkSender(context: context).value)
        #expect(refusal.code == 450)
        #expect(refusal.enhanced == EnhancedStatusCode(4, 7, 1))
        #expect(refusal.description.contains("3 messages per hour"))
        // The first message was 30 minutes ago: it leaves the hour about 30 minutes from now.
        #expect(refusal.description.contains("31 minutes"))
        fixture.clock.advance(seconds: 1861)
        #expect(try await fixture.guardian.checkSender(context: context).value == nil)
        // An override for this account.
        try await fixture.store.setLimits(AccountLimits(messagesPerHour: 0), for: "taro@alato.example")
        for _ in 1...10 { try await fixture.guardian.messageQueued(context: context).value }
        #expect(try await fixture.guardian.checkSender(context: context).value == nil)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func recipientsPerDayAreCountedAtRcptAndRelease(store: AbuseStoreKind) async throws {
        var settings = smallAbuseSettings()
        settings.burstMinimumRecipients = 1000   // only the daily limit in this test
        let fixture = try await AbuseFixture(settings, store: store)
        defer { fixture.remove() }
        let context = submission()
        for _ in 1...8 {
            #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted)
            fixture.clock.advance(seconds: 3600)
        }
        guard case .refused(let reply) = try await fixture.guardian.admitRecipient(context: context).value else {
            Issue.record("the ninth recipient within a day was accepted")
            return
        }
        #expect(reply.code == 452)
        #expect(reply.enhanced == EnhancedStatusCode(4, 5, 3))
        #expect(reply.description.contains("8 recipients per day"))
        fixture.clock.advance(seconds: 16 * 3600 + 61)
        #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted)
        // An override raises it for this account only.
        try await fixture.store.setLimits(AccountLimits(recipientsPerDay: 100), for: "taro@alato.example")
        for _ in 1...20 { #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted) }
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func relayClientsAreCountedByAddressOnlyInsideAccessNetworks(store: AbuseStoreKind) async throws {
        let fixture = try await AbuseFixture(store: store)
        defer { fixture.remove() }
        let inside = AbuseContext(clientAddress: "198.51.100.20", service: .relay, authenticatedAccount: nil)
        let outside = AbuseContext(clientAddress: "192.0.2.99", service: .relay, authenticatedAccount: nil)
        for _ in 1...3 {
            try await fixture.guardian.messageQueued(context: inside).value
            try await fixture.guardian.messageQueued(context: outside).value
        }
        #expect(try await fixture.guardian.checkSender(context: inside).value?.code == 450)
        #expect(try await fixture.guardian.checkSender(context: outside).value == nil)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func aBurstSuspendsTheAccountHoldsItsMailAndTellsThePostmasterOnce(store: AbuseStoreKind) async throws {
        var settings = smallAbuseSettings()
        settings.recipientsPerDay = 1000   // only the burst rule in this test
        let fixture = try await AbuseFixture(settings, store: store)
        defer { fixture.remove() }
        let context = submission()
        for _ in 1...6 { #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted) }
        #expect(try await !fixture.guardian.mustHold(context: context).value)
        // The seventh recipient in ten minutes passes the minimum of 6: still accepted…
        #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted)
        // …but the account is now suspended and its mail held.
        #expect(try await fixture.guardian.mustHold(context: context).value)
        #expect(try await fixture.guardian.checkSender(context: context).value == Reply.accountSuspended)
        #expect(try await fixture.directory.suspension(of: "taro@alato.example")?.isActive == true)
        // One notice to the postmaster, from the null sender.
        #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted)
        let queued = try fixture.queued()
        #expect(queued.count == 1)
        let notice = try #require(queued.first)
        #expect(notice.envelope.sender == .null)
        #expect(notice.envelope.origin == .accountHeldNotice)
        #expect(notice.envelope.recipients.map(\.path.description) == ["<postmaster@alato.example>"])
        #expect(!notice.held)
        let text = String(decoding: try fixture.spool.messageData(of: notice.id), as: UTF8.self)
        #expect(text.contains("Subject: Account taro@alato.example held: 7 recipients in 10 minutes"))
        #expect(text.contains("portcullis user release taro@alato.example"))
        #expect(text.contains("Auto-Submitted: auto-generated"))
        // Released: sending resumes and the burst before the release no longer counts.
        try await fixture.directory.release("taro@alato.example", at: fixture.clock.now)
        fixture.clock.advance(seconds: 60)
        #expect(try await fixture.guardian.checkSender(context: context).value == nil)
        #expect(try await fixture.guardian.admitRecipient(context: context).value == .accepted)
        #expect(try await !fixture.guardian.mustHold(context: context).value)
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func connectionRateIsPerAddressAndSlides(store: AbuseStoreKind) async throws {
        let fixture = try await AbuseFixture(store: store)
        defer { fixture.remove() }
        for _ in 1...5 { #expect(try await fixture.guardian.admitConnection(client: "203.0.113.5", service: .relay).value == nil) }
        let refusal = try await fixture.guardian.admitConnection(client: "203.0.113.5", service: .relay).value
        #expect(refusal?.code == 421)
        #expect(refusal?.description.contains("5 connections per minute") == true)
        #expect(try await fixture.guardian.admitConnection(client: "203.0.113.6", service: .relay).value == nil)
        // IPv6 clients count by /64.
        for index in 1...5 { #expect(try await fixture.guardian.admitConnection(client: "2001:db8:7:7::\(index)", service: .relay).value == nil) }
        #expect(try await fixture.guardian.admitConnection(client: "2001:db8:7:7::99", service: .relay).value?.code == 421)
        fixture.clock.advance(seconds: 61)
        #expect(try await fixture.guardian.admitConnection(client: "203.0.113.5", service: .relay).value == nil)
    }

    // MARK: Synchronous decisions

    @Test func decisionsAreImmediateOnceTheirInputsAreInMemory() async throws {
        let fixture = try await AbuseFixture(store: .buffered)
        defer { fixture.remove() }
        let guardian = fixture.guardian
        let relay = AbuseContext(clientAddress: "198.51.100.20", service: .relay, authenticatedAccount: nil)
        // The first use of each counter reads the store; then the answer is at hand.
        let connection = guardian.admitConnection(client: relay.clientAddress, service: .relay)
        #expect(!connection.isImmediate)
        #expect(try await connection.value == nil)
        #expect(guardian.admitConnection(client: relay.clientAddress, service: .relay).isImmediate)
        let sender = guardian.checkSender(context: relay)
        #expect(!sender.isImmediate)
        #expect(try await sender.value == nil)
        #expect(guardian.checkSender(context: relay).isImmediate)
        let recipient = guardian.admitRecipient(context: relay)
        #expect(!recipient.isImmediate)
        #expect(try await recipient.value == .accepted)
        #expect(guardian.admitRecipient(context: relay).isImmediate)
        #expect(guardian.mustHold(context: relay).isImmediate)
        #expect(guardian.messageQueued(context: relay).isImmediate)
        // Submission also needs the account's limits and suspension state.
        let account = submission()
        let accountSender = guardian.checkSender(context: account)
        #expect(!accountSender.isImmediate)
        #expect(try await accountSender.value == nil)
        #expect(guardian.checkSender(context: account).isImmediate)
        #expect(try await guardian.admitRecipient(context: account).value == .accepted)
        #expect(guardian.admitRecipient(context: account).isImmediate)
        #expect(guardian.mustHold(context: account).isImmediate)
        // Without a buffer every decision goes to the store.
        let direct = try await AbuseFixture(store: .direct)
        defer { direct.remove() }
        #expect(!direct.guardian.checkSender(context: relay).isImmediate)
    }

    @Test func decisionsFromMemoryKeepTheLimitsExact() async throws {
        let fixture = try await AbuseFixture(store: .buffered)
        defer { fixture.remove() }
        let guardian = fixture.guardian
        for _ in 1...5 {
            #expect(try await guardian.admitConnection(client: "203.0.113.5", service: .relay).value == nil)
        }
        let refusal = guardian.admitConnection(client: "203.0.113.5", service: .relay)
        #expect(refusal.isImmediate)
        #expect(try await refusal.value?.code == 421)
        let relay = AbuseContext(clientAddress: "198.51.100.20", service: .relay, authenticatedAccount: nil)
        for _ in 1...3 {
            #expect(try await guardian.checkSender(context: relay).value == nil)
            try await guardian.messageQueued(context: relay).value
        }
        #expect(try await guardian.checkSender(context: relay).value?.code == 450)
        // Nothing was written yet; the flush writes exactly what was counted.
        let messages = AbuseCounter(.messages, .address("198.51.100.20"))
        #expect(try await fixture.directory.buckets(of: messages, startingAfter: 0).isEmpty)
        try await #require(fixture.buffer).flush()
        #expect(try await fixture.directory.buckets(of: messages, startingAfter: 0).map(\.amount) == [3])
    }

    @Test func aBurstFoundInMemoryStillSuspendsAndHolds() async throws {
        var settings = smallAbuseSettings()
        settings.recipientsPerDay = 1000
        let fixture = try await AbuseFixture(settings, store: .buffered)
        defer { fixture.remove() }
        let guardian = fixture.guardian
        let context = submission()
        for _ in 1...6 { #expect(try await guardian.admitRecipient(context: context).value == .accepted) }
        #expect(try await !guardian.mustHold(context: context).value)
        // The seventh is counted in memory, and the suspension is written through.
        let seventh = guardian.admitRecipient(context: context)
        #expect(!seventh.isImmediate)
        #expect(try await seventh.value == .accepted)
        #expect(try await fixture.directory.suspension(of: "taro@alato.example")?.isActive == true)
        #expect(try await guardian.mustHold(context: context).value)
        #expect(try await guardian.checkSender(context: context).value == Reply.accountSuspended)
        // Counted once, not again by a fallback.
        let buckets = try await fixture.store.buckets(of: AbuseCounter(.recipients, .account("taro@alato.example")), startingAfter: 0)
        #expect(buckets.reduce(0) { $0 + $1.amount } == 7)
        #expect(try fixture.queued().count == 1)
    }
}
