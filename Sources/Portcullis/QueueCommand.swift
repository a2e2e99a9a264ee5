import ArgumentParser
import Delivery
import Foundation
import Spool

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Messages in the spool.",
        subcommands: [List.self, Show.self, Delete.self, Flush.self, Hold.self, Release.self, Pause.self, Resume.self])

    /// Requests to the running queue manager go through files in the data directory.
    static func control(_ location: DataLocation) throws -> QueueControl {
        QueueControl(dataDirectory: try location.load().dataDirectory)
    }

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

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per message: ID, arrival, size, sender, recipients.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            let control = try QueueCommand.control(location)
            let formatter = ISO8601DateFormatter()
            let messages = try spool.list()
            for message in messages {
                // Held by the operator (queue hold) or by the compromised-account hold (spool marker).
                let state = control.isHeld(message.id) || message.isHeld ? "held" : message.state.rawValue
                print("\(message.id)\t\(formatter.string(from: message.arrival))\t\(message.size)\t<\(message.sender)>\t\(message.recipientCount) recipient(s)\t\(state)")
            }
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
            print("Sender: <\(envelope.sender)>")
            for recipient in envelope.recipients { print("Recipient: <\(recipient.address)>") }
            if let account = envelope.authenticatedAccount { print("Authenticated-As: \(account)") }
            print("Client: \(envelope.clientAddress) (\(envelope.heloName ?? "no HELO"))")
            print("")
            // print() is buffered; the message goes straight to the descriptor after it.
            fflush(nil)
            FileHandle.standardOutput.write(message)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a message from the queue.")
        @Argument var id: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let spool = try QueueCommand.open(location)
            guard let queueID = QueueID(id) else { throw CLIError("\(id) is not a queue ID") }
            do { try spool.delete(queueID) } catch { throw CLIError("cannot delete \(id): \(error)") }
            print("deleted \(id)")
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry every deferred message now.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            do { try QueueCommand.control(location).requestFlush() } catch { throw CLIError("cannot request a flush: \(error)") }
            print("flush requested; the running server retries deferred mail within a second")
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
            do {
                try spool.release(queueID)
                // Holds requested through the delivery control area are lifted too.
                try QueueCommand.control(location).release(queueID)
            } catch {
                throw CLIError("cannot release \(id): \(error)")
            }
            print("released \(id)")
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop all deliveries (mail is still accepted and queued).")
        @OptionGroup var location: DataLocation
        func run() async throws {
            do { try QueueCommand.control(location).pause() } catch { throw CLIError("cannot pause delivery: \(error)") }
            print("delivery paused; `portcullis queue resume` starts it again")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start deliveries again after `queue pause`.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            try QueueCommand.control(location).resume()
            print("delivery resumed")
        }
    }
}
