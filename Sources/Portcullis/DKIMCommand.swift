import ArgumentParser
import DKIM
import Foundation

struct DKIMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim", abstract: "DKIM signing keys for hosted domains.",
        subcommands: [Generate.self, List.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a signing key in the data directory and print the DNS TXT record to publish.")
        enum Algorithm: String, ExpressibleByArgument, CaseIterable { case rsa, ed25519 }
        @Argument var domain: String
        @Option(help: "The selector (the DNS label before ._domainkey).") var selector: String?
        @Option(help: "rsa (2048-bit) or ed25519.") var algorithm: Algorithm = .rsa
        @OptionGroup var location: DataLocation
        func run() async throws {
            let configuration = try location.load()
            let domain = self.domain.lowercased()
            guard try await withDirectory(location, { try await $0.isHostedDomain(domain) }) else {
                throw CLIError("\(domain) is not hosted here; add it first with `portcullis domain add \(domain)`")
            }
            let store = DKIMKeyStore(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory))
            let type: DKIMKeyType = algorithm == .rsa ? .rsa : .ed25519
            // A dated default selector lets keys be rotated by publishing the next one first.
            let selector = self.selector ?? Self.defaultSelector(type: type)
            let key: DKIMKey
            do {
                key = try store.generate(domain: domain, selector: selector, type: type)
            } catch {
                throw CLIError("cannot create the key: \(error)")
            }
            print("; publish this record in the \(domain) zone, then mail from \(domain) is signed with it")
            print(key.dnsRecord.zoneFileLine)
        }

        static func defaultSelector(type: DKIMKeyType, now: Date = Date()) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMM"
            return "pc\(formatter.string(from: now))\(type == .rsa ? "r" : "e")"
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys and their DNS records.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            let configuration = try location.load()
            let store = DKIMKeyStore(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory))
            do {
                for domain in try store.domains() {
                    for key in try store.keys(for: domain) { print(key.dnsRecord.zoneFileLine) }
                }
            } catch {
                throw CLIError("cannot read the DKIM keys: \(error)")
            }
        }
    }
}
