import Abuse
import ArgumentParser
import Directory
import Foundation
import Policy

/// `portcullis security`: what the AUTH failure defence and the compromised-account hold have
/// done, and how to undo it.
struct SecurityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "security", abstract: "Blocked client addresses, locked and suspended accounts.",
        subcommands: [Status.self, Unblock.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List blocked addresses and locked accounts (too many failed logins) and suspended accounts (sending burst).")
        @OptionGroup var location: DataLocation
        func run() async throws {
            let lines: [String] = try await withAbuseStore(location) { store, configuration in
                let now = configuration.abuseClock().now()
                let formatter = ISO8601DateFormatter()
                var lines: [String] = []
                for block in try await store.activeBlocks(at: now) {
                    let what = block.subject.kind == .address ? "blocked address" : "locked account"
                    lines.append("\(what)\t\(block.subject.value)\tuntil \(formatter.string(from: block.until))\t\(block.reason)")
                }
                for suspension in try await store.suspendedAccounts() {
                    lines.append("suspended account\t\(suspension.account)\tsince \(formatter.string(from: suspension.since))\t\(suspension.reason)")
                }
                return lines
            }
            for line in lines { print(line) }
            if lines.isEmpty { print("nothing is blocked, locked or suspended") }
        }
    }

    struct Unblock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift the block on a client address or the lock on an account, and forget its failed logins.",
            discussion: "A suspended account is released with `portcullis user release ADDRESS` instead.")
        @Argument(help: "A client IP address (an IPv6 address stands for its /64) or an account address.")
        var subject: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let target: AbuseSubject
            if subject.contains("@") {
                target = .account(subject)
            } else {
                let address = subject.hasSuffix("/64") ? String(subject.dropLast(3)) : subject
                guard IPAddress(parsing: address) != nil else {
                    throw CLIError("\(subject) is neither an IP address nor an account address (local@domain)")
                }
                target = .address(ClientKey.key(for: address))
            }
            let lifted = try await withAbuseStore(location) { store, _ in
                let lifted = try await store.unblock(target)
                try await store.resetCounter(AbuseCounter(.authFailures, target))
                return lifted
            }
            guard lifted else {
                throw CLIError("\(target.value) is not blocked; see `portcullis security status`")
            }
            print("unblocked \(target.value)")
        }
    }
}
