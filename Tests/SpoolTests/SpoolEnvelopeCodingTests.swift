import Foundation
import SMTPCore
import Testing
@testable import Spool

@Suite("Envelope and state encoding: version 2, and version 1 read once")
struct SpoolEnvelopeCodingTests {
    @Test("version 2 writes its version and reads back every typed value")
    func roundTrip() throws {
        var envelope = sampleEnvelope(recipients: ["taro@alato.example", "\"a b\"@[192.0.2.1]"])
        envelope.recipients.append(SpoolRecipient(path: .postmaster, notify: .never, state: .failed, attempts: 2,
                                                  lastReply: DeliveryReply(.undescribedPermanentFailure("gone"))))
        envelope.recipients[0].lastReply = DeliveryReply(
            Reply(code: 550, enhanced: .init(5, 1, 1), lines: ["no such", "user (really)"]), remoteHost: "mx.example.net")
        for origin in [MessageOrigin.received(.submissionImplicitTLS), .deliveryReport, .delayReport, .aliasForward, .accountHeldNotice, .infectedLineNotice] {
            envelope.origin = origin
            let bytes = try SpoolEnvelope.encoder.encode(envelope)
            let object = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            #expect(object["version"] as? Int == 2)
            #expect(try SpoolEnvelope.makeDecoder().decode(SpoolEnvelope.self, from: bytes) == envelope)
        }
        let statuses = envelope.recipients.map(\.deliveryStatus)
        #expect(try SpoolEnvelope.decodeStatuses(SpoolEnvelope.encodeStatuses(statuses)) == statuses)
    }

    @Test("a version 1 last error reads into code, enhanced code, text and remote host")
    func legacyReply() {
        #expect(LegacyEnvelope.reply(lastError: "550-5.1.1 no such | 550 5.1.1 user (really) (from mx.example.net)", state: .failed)
            == DeliveryReply(Reply(code: 550, enhanced: .init(5, 1, 1), lines: ["no such", "user (really)"]),
                             remoteHost: "mx.example.net"))
        #expect(LegacyEnvelope.reply(lastError: "451 4.4.1 connect failed", state: .deferred)
            == DeliveryReply(Reply(code: 451, enhanced: .init(4, 4, 1), "connect failed")))
        #expect(LegacyEnvelope.reply(lastError: "something odd", state: .failed)
            == DeliveryReply(Reply(code: 554, enhanced: .init(5, 0, 0), "something odd")))
        #expect(LegacyEnvelope.reply(lastError: "something odd", state: .deferred)?.reply.code == 451)
        #expect(LegacyEnvelope.reply(lastError: "", state: .deferred) == nil)
    }

    @Test("a version 1 envelope converts: null sender, bare postmaster, services and mail made here")
    func legacyEnvelope() throws {
        let json = """
            {"arrival":1800000000,"clientAddress":"127.0.0.1","recipients":[\
            {"address":"postmaster","attempts":0,"notify":["NEVER"],"state":"pending"},\
            {"address":"\\"a b\\"@alato.example","attempts":0,"orcpt":"utf-8;caf\\\\x{E9}@example.net","state":"pending"}],\
            "sender":"","service":"bounce","size":10,"smtputf8":false}
            """
        let envelope = try SpoolEnvelope.makeDecoder().decode(SpoolEnvelope.self, from: Data(json.utf8))
        #expect(envelope.sender == .null)
        #expect(envelope.origin == .deliveryReport)
        #expect(envelope.recipients[0].path == .postmaster && envelope.recipients[0].notify == .never)
        #expect(envelope.recipients[1].path == .mailbox(Mailbox(localPart: "a b", domain: .name("alato.example"))))
        #expect(envelope.recipients[1].originalRecipient?.addressType == "utf-8")
        for (service, origin) in [("forward", MessageOrigin.aliasForward), ("abuse", .accountHeldNotice), ("relay", .received(.relay))] {
            #expect(try LegacyEnvelope.origin(service) == origin)
        }
        #expect(throws: DecodingError.self) { try LegacyEnvelope.origin("carrier-pigeon") }
    }

    @Test("a version 1 ORCPT reads as stored: decoded from a client, xtext from an alias forward")
    func legacyOriginalRecipient() {
        #expect(LegacyEnvelope.originalRecipient("rfc822;+41 22 555@example.net", service: "submission")
            == OriginalRecipient(addressType: "rfc822", address: "+41 22 555@example.net"))
        #expect(LegacyEnvelope.originalRecipient("rfc822;a+2Bb@example.net", service: "forward")
            == OriginalRecipient(addressType: "rfc822", address: "a+b@example.net"))
        #expect(LegacyEnvelope.originalRecipient("no separator", service: "relay") == nil)
    }
}
