import POP3Core
import Testing

@Suite("POP3 responses")
struct POP3ResponseTests {
    @Test("Status lines, codes and multi-line bodies on the wire")
    func encoding() {
        #expect(String(decoding: POP3Response.authFailed.encodedBytes(), as: UTF8.self)
                == "-ERR [AUTH] Invalid user name or password\r\n")
        #expect(String(decoding: POP3Response.maildropInUse.encodedBytes(), as: UTF8.self)
                == "-ERR [IN-USE] Mailbox in use by another session\r\n")
        #expect(String(decoding: POP3Response.status(count: 2, octets: 320).encodedBytes(), as: UTF8.self) == "+OK 2 320\r\n")
        #expect(String(decoding: POP3Response.saslContinuation.encodedBytes(), as: UTF8.self) == "+ \r\n")
        #expect(String(decoding: POP3Response.noop.encodedBytes(), as: UTF8.self) == "+OK\r\n")
        let listing = POP3Response.scanListing([(number: 1, octets: 120), (number: 2, octets: 200)], count: 2, octets: 320)
        #expect(String(decoding: listing.encodedBytes(), as: UTF8.self) == "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n")
        #expect(String(decoding: POP3Response.mechanisms([".x"]).encodedBytes(), as: UTF8.self)
                == "+OK Mechanisms follow\r\n..x\r\n.\r\n")
    }

    @Test("CR and LF in text cannot forge a second response")
    func noInjection() {
        let response = POP3Response.connectionRefused("a\r\n+OK forged")
        #expect(String(decoding: response.encodedBytes(), as: UTF8.self) == "-ERR [SYS/TEMP] a  +OK forged\r\n")
    }
}
