import ArgumentParser
import Directory
import Foundation
import Spool

extension UserCommand {
    /// `portcullis user limits ADDRESS [--messages-per-hour N] [--recipients-per-day N] [--clear]`.
    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set an account's own rate limits (0 means no limit; unset means the [abuse] default).")
        @Argument var address: String
        @Option(name: .customLong("messages-per-hour"), help: "Messages per sliding hour.") var messagesPerHour: Int?
        @Option(name: .customLong("recipients-per-day"), help: "Recipients per sliding day.") var recipientsPerDay: Int?
        @Flag(help: "Go back to the [abuse] defaults.") var clear = false
        @OptionGroup var location: DataLocation

        func validate() throws {
            if clear && (messagesPerHour != nil || recipientsPerDay != nil) {
                throw ValidationError("--clear cannot be combined with new limits")
            }
            for value in [messagesPerHour, recipientsPerDay] {
                if let value, value < 0 { throw ValidationError("limits are counts: 0 or more (0 means no limit)") }
            }
        }

        func run() async throws {
            let result: (AccountLimits, Int, Int) = try await withAbuseStore(location) { store, configuration in
                let directory = try await configuration.openDirectory()
                guard try await directory.user(address) != nil else { throw DirectoryError.userNotFound(address) }
                var limits = try await store.limits(for: address)
                if clear {
                    limits = .none
                    try await store.setLimits(limits, for: address)
                } else if messagesPerHour != nil || recipientsPerDay != nil {
                    limits.messagesPerHour = messagesPerHour ?? limits.messagesPerHour
                    limits.recipientsPerDay = recipientsPerDay ?? limits.recipientsPerDay
                    try await store.setLimits(limits, for: address)
                }
                return (limits, configuration.abuse.messagesPerHour, configuration.abuse.recipientsPerDay)
            }
            let (limits, defaultMessages, defaultRecipients) = result
            func describe(_ value: Int?, default fallback: Int) -> String {
                let effective = value ?? fallback
                let text = effective == 0 ? "no limit" : "\(effective)"
                return value == nil ? "\(text) (default)" : text
            }
            print("\(address)\tmessages per hour: \(describe(limits.messagesPerHour, default: defaultMessages))\trecipients per day: \(describe(limits.recipientsPerDay, default: defaultRecipients))")
        }
    }

    /// `portcullis user release ADDRESS`: ends a compromised-account hold.
    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a suspended account and release its held mail for delivery.")
        @Argument var address: String
        @OptionGroup var location: DataLocation

        func run() async throws {
            let (wasSuspended, spoolDirectory) = try await withAbuseStore(location) { store, configuration in
                let directory = try await configuration.openDirectory()
                guard try await directory.user(address) != nil else { throw DirectoryError.userNotFound(address) }
                let released = try await store.release(address, at: configuration.abuseClock().now())
                return (released, configuration.dataDirectory + "/spool")
            }
            // Held mail is released even when the account was not suspended (any more): the
            // operator's intent is that the account's mail flows.
            let spool: Spool
            do {
                spool = try Spool(directory: spoolDirectory)
            } catch {
                throw CLIError("cannot open the spool in \(spoolDirectory): \(error)")
            }
            var released = 0
            let wanted = address.lowercased()
            for message in try spool.list() where message.isHeld {
                guard let envelope = try? spool.envelope(of: message.id),
                      envelope.authenticatedAccount?.lowercased() == wanted else { continue }
                do {
                    try spool.release(message.id)
                    released += 1
                } catch {
                    throw CLIError("cannot release \(message.id): \(error)")
                }
            }
            print("\(wasSuspended ? "released" : "was not suspended:") \(address); \(released) held message(s) released for delivery")
        }
    }
}
