import ArgumentParser
import Delivery
import Foundation
import Spool

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Messages in the spool.",
        subcommands: [List.self, Show.self, Delete.self, Retry.self, Flush.self, Hold.self, Release.self, Pause.self, Resume.self])

    static func queueID(_ text: String) throws -> QueueID {
        guard let id = QueueID(text) else { throw CLIError("\(text) is not a queue ID (see `portcullis queue list`)") }
        return id
    }

    static func open(_ location: DataLocation) throws -> Spool {
        let configuration = try location.load()
        do {
            return try Spool(directory: configuration.dataDirectory + "/spool")
        } catch {
            throw CLIError("cannot open the spool in \(configuration.dataDirectory)/spool: \(error)")
        }
    }

    /// The queue ID of a message that is in the spool, or the one-line error saying it is not.
    static func queuedID(_ text: String, in spool: Spool) throws -> QueueID {
        let id = try queueID(text)
        guard spool.contains(id) else { throw CLIError("no message \(text) in the queue (see `portcullis queue list`)") }
        return id
    }

    /// Leaves a request for the running server in the spool (``QueueRequest``); it persists
    /// until carried out, so it also works while the server is down.
    static func submit(_ request: QueueRequest, to spool: Spool, failure: String) throws {
        do { try spool.submit(request) } catch { throw CLIError("\(failure): \(error)") }
    }

    /// When the running server carries out a request.
    static func when(_ spool: Spool) -> String {
        spool.isPaused ? "once delivery is resumed (`portcullis queue resume`)" : "within a second (or when it next starts)"
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each message (ID, arrival, size, sender, state), then each recipient with its state and last error.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            let messages: [SpooledMessageSummary]
            do { messages = try spool.list() } catch { throw CLIError("cannot list the queue: \(error)") }
            print(QueueListing.render(messages), terminator: "")
            if messages.isEmpty { FileHandle.standardError.write(Data("the queue is empty\n".utf8)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The envelope and the full message as spooled.")
        @Argument var id: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            guard let queueID = QueueID(id) else { throw CLIError("\(id) is not a queue ID") }
            let envelope: SpoolEnvelope
            let message: Data
            do {
                envelope = try spool.envelope(of: queueID)
                message = try spool.messageData(of: queueID)
            } catch {
                throw CLIError("no message \(id) in the queue (\(error))")
            }
            print("Queue-ID: \(id)")
            print("Sender: \(envelope.sender)")
            for recipient in envelope.recipients { print("Recipient: \(recipient.path)") }
            if let account = envelope.authenticatedAccount { print("Authenticated-As: \(account)") }
            print("Client: \(envelope.clientAddress) (\(envelope.heloName ?? "no HELO"))")
            print("")
            // print() is buffered; the message goes straight to the descriptor after it.
            fflush(nil)
            FileHandle.standardOutput.write(message)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a message from the queue; with --bounce the sender is told (RFC 3464 bounce).")
        @Argument var id: String
        @Flag(help: "Send the sender a bounce for every undelivered recipient (none for a null-sender message).")
        var bounce = false
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            let queueID = try QueueCommand.queuedID(id, in: spool)
            guard bounce else {
                do { try spool.delete(queueID) } catch { throw CLIError("cannot delete \(id): \(error)") }
                print("deleted \(id)")
                return
            }
            // The bounce goes through the queue manager: it writes the recipients' failures,
            // queues the DSN like every other one and removes the message, in that order.
            try QueueCommand.submit(.bounce(queueID), to: spool, failure: "cannot request a bounce for \(id)")
            print("bounce requested for \(id); the server bounces and removes it \(QueueCommand.when(spool))")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry one message's deferred recipients now.")
        @Argument var id: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            let queueID = try QueueCommand.queuedID(id, in: spool)
            try QueueCommand.submit(.retry(queueID), to: spool, failure: "cannot request a retry of \(id)")
            if spool.isHeld(queueID) {
                print("retry requested for \(id); it is held and is tried once released (`portcullis queue release \(id)`)")
            } else {
                print("retry requested for \(id); the server tries it \(QueueCommand.when(spool))")
            }
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry every deferred message now.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            try QueueCommand.submit(.flush, to: spool, failure: "cannot request a flush")
            print("flush requested; the server retries deferred mail \(QueueCommand.when(spool))")
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a message queued without delivering it.")
        @Argument var id: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let queueID = try QueueCommand.queueID(id)
            let spool = try QueueCommand.open(location)
            do { try spool.hold(queueID) } catch { throw CLIError("cannot hold \(id): \(error)") }
            print("held \(id)")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver a held message again.")
        @Argument var id: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let queueID = try QueueCommand.queueID(id)
            let spool = try QueueCommand.open(location)
            do { try spool.release(queueID) } catch { throw CLIError("cannot release \(id): \(error)") }
            print("released \(id); the server delivers it \(QueueCommand.when(spool))")
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop all deliveries (mail is still accepted and queued).")
        @OptionGroup var location: DataLocation
        func run() async throws {
            try QueueCommand.submit(.pause, to: try QueueCommand.open(location), failure: "cannot pause delivery")
            print("delivery paused; `portcullis queue resume` starts it again")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start deliveries again after `queue pause`.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            // Withdraws the standing pause request and tells the server.
            do { try QueueCommand.open(location).resume() } catch { throw CLIError("cannot resume delivery: \(error)") }
            print("delivery resumed")
        }
    }
}
