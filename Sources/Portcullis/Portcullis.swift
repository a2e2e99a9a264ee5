import ArgumentParser

struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "Mail submission, relay and OP25B policy for ISPs.",
        subcommands: [
            InitCommand.self, ServeCommand.self, DomainCommand.self, UserCommand.self,
            AliasCommand.self, QueueCommand.self, OP25BCommand.self, DKIMCommand.self, SecurityCommand.self, DNSRecordsCommand.self,
            MailboxCommand.self, DirectoryCommand.self, DovecotConfigCommand.self, ReloadCommand.self,
        ])
}
