import ArgumentParser
import Config
import Directory
import Foundation
import Policy

struct OP25BCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "op25b",
        abstract: "Outbound Port 25 Blocking: render, apply and explain the firewall policy; manage exemptions.",
        subcommands: [Render.self, Apply.self, Explain.self, Stats.self, Offenders.self, Exempt.self])

    /// The policy as configured, with the exemptions stored in the directory.
    static func loadPolicy(_ location: DataLocation) async throws -> (OP25BPolicy, Configuration) {
        let configuration = try location.load()
        let exemptions = try await withDirectory(location) { try await $0.listExemptions() }
        return (try configuration.op25bPolicy(exemptions: exemptions), configuration)
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the ruleset (nftables script, or iptables-restore input).")
        enum Format: String, ExpressibleByArgument, CaseIterable { case nftables, iptables }
        @Option(help: "nftables or iptables.") var format: Format = .nftables
        @OptionGroup var location: DataLocation
        func run() async throws {
            let (policy, _) = try await OP25BCommand.loadPolicy(location)
            switch format {
            case .nftables:
                print(NFTablesRenderer.render(policy: policy, now: Date()), terminator: "")
            case .iptables:
                let rendered = IPTablesRenderer.render(policy: policy, now: Date())
                print("# --- iptables-restore (IPv4) ---")
                print(rendered.v4, terminator: "")
                print("# --- ip6tables-restore (IPv6) ---")
                print(rendered.v6, terminator: "")
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load the nftables ruleset on this host atomically and verify it.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            guard geteuid() == 0 else {
                throw CLIError("applying firewall rules needs root; run as root, or use `portcullis op25b render` and load it with nft -f")
            }
            let (policy, _) = try await OP25BCommand.loadPolicy(location)
            let script = NFTablesRenderer.render(policy: policy, now: Date())
            let load = try Subprocess.run("nft", ["-f", "-"], input: script)
            guard load.status == 0 else { throw CLIError("nft -f refused the ruleset: \(load.errorOutput.trimmed)") }
            let check = try Subprocess.run("nft", ["list", "table", "inet", NFTablesRenderer.tableName])
            guard check.status == 0 else { throw CLIError("the table is not loaded after nft -f: \(check.errorOutput.trimmed)") }
            print("applied table inet \(NFTablesRenderer.tableName)")
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether a connection would be blocked, and why.")
        @Option(help: "Source address.") var src: String
        @Option(help: "Destination address.") var dst: String
        @Option(help: "Destination TCP port.") var port: Int = 25
        @OptionGroup var location: DataLocation
        func run() async throws {
            let (policy, _) = try await OP25BCommand.loadPolicy(location)
            let source: IPAddress, destination: IPAddress
            do { source = try IPAddress(src) } catch { throw CLIError("--src \(src): \(error)") }
            do { destination = try IPAddress(dst) } catch { throw CLIError("--dst \(dst): \(error)") }
            guard (1...65535).contains(port) else { throw CLIError("--port \(port): must be 1 to 65535") }
            let decision = policy.decide(source: source, destination: destination, port: port, now: Date())
            print(decision.verdict == .blocked ? "blocked" : "allowed")
            print(decision.explanation)
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Blocked-attempt counters and the top offending subscriber addresses.")
        @Option(help: "How many offenders to list.") var top: Int = 20
        func run() async throws {
            let listing = try Subprocess.run("nft", ["-j", "list", "table", "inet", NFTablesRenderer.tableName])
            guard listing.status == 0 else {
                throw CLIError("cannot read the table (is it applied? are you root?): \(listing.errorOutput.trimmed)")
            }
            let stats: OP25BStats
            do { stats = try OP25BStats.parse(nftJSON: Data(listing.output.utf8)) } catch { throw CLIError("cannot parse nft output: \(error)") }
            print("blocked: \(stats.blockedPackets) packets, \(stats.blockedBytes) bytes")
            for offender in stats.offenders.prefix(top) {
                print("\(offender.address)\t\(offender.packets)")
            }
        }
    }

    struct Offenders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subscriber lines probably infected: many blocked port-25 attempts to many destinations.",
            discussion: """
                Counts come from `portcullis serve` with [op25b] collect = true. A line is listed when it made more \
                than [op25b] infected_threshold attempts to more than infected_min_destinations distinct \
                destinations in the window. IPv6 is counted per /64.
                """)
        @Option(help: "The window: a number with s, m, h or d, up to 24h (what the directory keeps).") var since: String = "24h"
        @Flag(help: "List every subscriber with blocked attempts, flagged or not.") var all = false
        @Flag(help: "JSON output.") var json = false
        @OptionGroup var location: DataLocation

        func run() async throws {
            let window = try parseWindow(since)
            let configuration = try location.load()
            let policy = try configuration.op25bPolicy(exemptions: [])
            let rule = configuration.op25bInfectionRule
            let now = configuration.abuseClock().now()
            let summaries = try await withDirectory(location) { directory in
                guard let store = directory as? any OP25BAttemptStore else {
                    throw CLIError("this directory back end keeps no OP25B attempt counts")
                }
                return try await store.attemptSummaries(since: now.addingTimeInterval(-window))
            }
            let format = Date.ISO8601FormatStyle(timeZone: .gmt)
            let rows = summaries.compactMap { summary -> OffenderRow? in
                let flagged = rule.isProbablyInfected(attempts: summary.attempts, destinations: summary.destinations)
                guard flagged || all else { return nil }
                return OffenderRow(
                    address: summary.subscriber.description, attempts: summary.attempts, destinations: summary.destinations,
                    firstSeen: summary.firstSeen.formatted(format), lastSeen: summary.lastSeen.formatted(format),
                    accessNetwork: policy.accessNetwork(containing: summary.subscriber.prefix.address)?.name,
                    probablyInfected: flagged)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
                return
            }
            if rows.isEmpty {
                print(all ? "no blocked attempts in the last \(since)" : "no line probably infected in the last \(since)")
                return
            }
            print(["address", "attempts", "destinations", "first_seen", "last_seen", "access_network"].joined(separator: "\t")
                  + (all ? "\tprobably_infected" : ""))
            for row in rows {
                print([row.address, String(row.attempts), String(row.destinations), row.firstSeen, row.lastSeen,
                       row.accessNetwork ?? "-"].joined(separator: "\t") + (all ? "\t\(row.probablyInfected ? "yes" : "no")" : ""))
            }
        }

        struct OffenderRow: Encodable {
            let address: String
            let attempts: Int
            let destinations: Int
            let firstSeen: String
            let lastSeen: String
            let accessNetwork: String?
            let probablyInfected: Bool
        }
    }

    struct Exempt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subscriber prefixes released from the block (e.g. static-address business customers).",
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Exempt a prefix inside an access network.")
            @Argument var prefix: String
            @Option(help: "Why (ticket, customer).") var reason: String
            @Option(help: "Expiry: YYYY-MM-DD or an ISO 8601 date-time.") var until: String?
            @OptionGroup var location: DataLocation
            func run() async throws {
                let expiry = try until.map(parseDate)
                if let expiry, expiry <= Date() { throw CLIError("--until \(until!): is in the past") }
                guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw CLIError("--reason must say why") }
                let (policy, _) = try await OP25BCommand.loadPolicy(location)
                let canonical: String
                do { canonical = try policy.validateExemptionPrefix(prefix) } catch { throw CLIError("\(error)") }
                let added = try await withDirectory(location) { try await $0.addExemption(prefix: canonical, reason: reason, until: expiry) }
                print("exempted \(added.prefix)" + (added.until.map { " until \(ISO8601DateFormatter().string(from: $0))" } ?? ""))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List exemptions.")
            @OptionGroup var location: DataLocation
            func run() async throws {
                let formatter = ISO8601DateFormatter()
                let now = Date()
                for exemption in try await withDirectory(location, { try await $0.listExemptions() }) {
                    let until = exemption.until.map { formatter.string(from: $0) + ($0 <= now ? " (expired)" : "") } ?? "no expiry"
                    print("\(exemption.prefix)\t\(until)\t\(exemption.reason)")
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove an exemption.")
            @Argument var prefix: String
            @OptionGroup var location: DataLocation
            func run() async throws {
                try await withDirectory(location) { try await $0.removeExemption(prefix: prefix) }
                print("removed exemption \(prefix)")
            }
        }
    }
}

/// `90s`, `30m`, `24h`, `1d`: seconds, up to the 24 hours the directory keeps.
func parseWindow(_ text: String) throws -> TimeInterval {
    let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    guard let unit = text.last.flatMap({ units[$0] }), let number = Int(text.dropLast()), number > 0 else {
        throw CLIError("--since \(text): use a number with s, m, h or d, e.g. 24h")
    }
    let seconds = TimeInterval(number) * unit
    guard seconds <= OP25BInfectionRule.defaultWindow else {
        throw CLIError("--since \(text): at most 24h; older attempts are not kept")
    }
    return seconds
}

/// Accepts `2027-03-31` (end of that day, UTC) or a full ISO 8601 date-time.
func parseDate(_ text: String) throws -> Date {
    let full = ISO8601DateFormatter()
    if let date = full.date(from: text) { return date }
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    if let date = day.date(from: text) { return date.addingTimeInterval(86_399) }
    throw CLIError("\(text): not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
