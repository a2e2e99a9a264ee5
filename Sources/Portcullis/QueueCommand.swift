import ArgumentParser
import Foundation
import Spool

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Messages in the spool.",
        subcommands: [List.self, Show.self, Delete.self])

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
            let formatter = ISO8601DateFormatter()
            let messages = try spool.list()
            for message in messages {
                print("\(message.id)\t\(formatter.string(from: message.arrival))\t\(message.size)\t<\(message.sender)>\t\(message.recipientCount) recipient(s)")
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
                message = try Data(contentsOf: spool.messageURL(of: queueID))
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
}
