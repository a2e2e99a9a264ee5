import ArgumentParser
import Config
import Delivery
import Directory
import Foundation
import MaildirStore

struct MailboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailbox", abstract: "The Maildirs of hosted accounts.",
        subcommands: [List.self, Purge.self])

    /// The account's Maildir, or the one-line error saying the address is not an account.
    static func maildir(of address: String, _ location: DataLocation) async throws -> Maildir {
        let configuration = try location.load()
        if case .lmtp(let server) = configuration.mailbox.store {
            throw CLIError("mail is kept by the LMTP server at \(server) ([mailbox] store = \"lmtp\"), not in Maildirs here: "
                           + "use its own tools (for Dovecot: doveadm mailbox status, doveadm expunge)")
        }
        guard let account = try await withDirectory(location, { try await $0.user(address) }) else {
            throw CLIError("\(address) is not an account hosted here (see `portcullis user list`)")
        }
        let root = DeliverySettings(configuration: configuration).mailboxRoot
        guard let path = Maildir.path(root: root, account: account.address) else {
            throw CLIError("\(address) is not an address of the form local@domain")
        }
        return Maildir(path: path, hostname: configuration.hostname)
    }

    static func inventory(_ maildir: Maildir) throws -> MaildirInventory {
        do { return try MaildirInventory(maildir) } catch { throw CLIError("cannot read \(maildir.path): \(error)") }
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How many messages an account's Maildir holds, their size, and when the oldest arrived.")
        @Argument(help: "The account's address.") var address: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let maildir = try await MailboxCommand.maildir(of: address, location)
            let inventory = try MailboxCommand.inventory(maildir)
            let unread = inventory.messages.filter { $0.subdirectory == .new }.count
            print("address\t\(address)")
            print("maildir\t\(maildir.path)")
            print("messages\t\(inventory.count) (\(unread) in new/, \(inventory.count - unread) in cur/)")
            print("size\t\(inventory.totalSize) octets")
            print("oldest\t\(inventory.oldest.map(MailboxCommand.format) ?? "-")")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the messages delivered more than DAYS days ago from an account's Maildir.")
        @Argument(help: "The account's address.") var address: String
        @Option(name: .customLong("older-than"), help: "Age in days (by delivery time); 0 removes every message.")
        var olderThan: Int
        @OptionGroup var location: DataLocation

        func validate() throws {
            guard (0...36_500).contains(olderThan) else { throw ValidationError("--older-than \(olderThan): give a number of days from 0 to 36500") }
        }

        func run() async throws {
            let maildir = try await MailboxCommand.maildir(of: address, location)
            let cutoff = Date().addingTimeInterval(-TimeInterval(olderThan) * 86_400)
            let inventory = try MailboxCommand.inventory(maildir)
            let purged: MaildirInventory.Purged
            do {
                purged = try inventory.purge(deliveredBefore: cutoff)
            } catch {
                throw CLIError("cannot purge \(maildir.path): \(error)")
            }
            print("removed \(purged.count) message\(purged.count == 1 ? "" : "s") (\(purged.size) octets) delivered before \(MailboxCommand.format(cutoff)) from \(address)")
        }
    }
}
