import ArgumentParser
import Config
import DKIM
import Foundation
import Web

struct DNSRecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns-records",
        abstract: "The zone records a hosted domain publishes: MX, SRV (RFC 6186: submission, POP3, IMAP), autoconfig, SPF, DMARC, DKIM.")

    @Argument var domain: String
    @OptionGroup var location: DataLocation

    func run() async throws {
        let configuration = try location.load()
        // Keys are stored under the A-label (xn--) form of an internationalised domain.
        let asciiDomain: String
        do { asciiDomain = try IDNA.toASCII(domain).lowercased() } catch { throw CLIError("\(domain): \(error)") }
        let store = DKIMKeyStore(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory))
        let dkim: [String]
        do {
            dkim = try store.keys(for: asciiDomain).map(\.dnsRecord.zoneFileLine)
        } catch {
            throw CLIError("cannot read the DKIM keys of \(domain): \(error)")
        }
        do {
            print(try dnsRecords(domain: domain, hostname: configuration.hostname, webHost: configuration.web.publicHost,
                                 settings: MailSettings(configuration.clientSettings),
                                 mailHosts: configuration.op25b.mailHosts, dkimRecords: dkim), terminator: "")
        } catch {
            throw CLIError("\(domain): \(error)")
        }
    }
}
