import Abuse
import BlockingWork
import Config
import Directory
import Foundation
import Logging
import Policy
import Spool
import Web

extension Configuration {
    /// The infected-line rule from `[op25b] infected_threshold` and `infected_min_destinations`.
    var op25bInfectionRule: OP25BInfectionRule {
        OP25BInfectionRule(attemptThreshold: op25b.infectedThreshold, destinationThreshold: op25b.infectedMinDestinations)
    }

    /// Where the collector reads the counters: `[op25b] counters_file`, else this host's nft.
    func op25bCounterSource() -> @Sendable () async throws -> Data {
        if let file = op25b.countersFile {
            return {
                do {
                    return try await BlockingWorkPool.shared.run { try Data(contentsOf: URL(fileURLWithPath: file)) }
                } catch {
                    throw CLIError("op25b.counters_file \(file): \(error.localizedDescription)")
                }
            }
        }
        return {
            // One listing per set: the subscriber sets of the table can be large and are not needed.
            // nft runs on the blocking pool: waiting for a child must not hold a task thread.
            var documents = Data()
            for set in NFTablesRenderer.attemptSets {
                let listing = try await BlockingWorkPool.shared.run {
                    try Subprocess.run("nft", ["-j", "list", "set", "inet", NFTablesRenderer.tableName, set])
                }
                guard listing.status == 0 else {
                    throw CLIError("nft -j list set inet \(NFTablesRenderer.tableName) \(set): \(listing.errorOutput.trimmed) (is the ruleset applied? is serve allowed to run nft?)")
                }
                documents.append(Data(listing.output.trimmed.utf8))
                documents.append(Data("\n".utf8))
            }
            return documents
        }
    }

    /// The collector `serve` runs with `[op25b] collect = true`, or nil when it is off.
    func op25bCollector(store: any OP25BAttemptStore, policy: OP25BPolicy, spool: Spool, logger: Logger) -> OP25BCollector? {
        guard op25b.collect else { return nil }
        return OP25BCollector(
            read: op25bCounterSource(), store: store, rule: op25bInfectionRule, policy: policy,
            notifier: InfectedLineNotifier(spool: spool, hostname: hostname, contact: op25b.abuseContact ?? abuse.postmaster),
            interval: .seconds(op25b.sampleIntervalSeconds), clock: abuseClock(), logger: logger)
    }
}
