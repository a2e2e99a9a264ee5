import ArgumentParser
import Directory
import Foundation

struct DomainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "Hosted domains: the ISP's own and customers' virtual domains.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Host a domain (receive mail for it).")
        @Argument var domain: String
        @Flag(help: "The ISP's own domain rather than a customer's virtual domain.") var primary = false
        @OptionGroup var location: DataLocation
        func run() async throws {
            let added = try await withDirectory(location) { try await $0.addDomain(domain, kind: primary ? .primary : .virtual) }
            print("added domain \(added.name) (\(added.kind.rawValue))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List hosted domains.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            for domain in try await withDirectory(location, { try await $0.listDomains() }) {
                print("\(domain.name)\t\(domain.kind.rawValue)")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop hosting a domain (it must have no accounts or aliases).")
        @Argument var domain: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            try await withDirectory(location) { try await $0.removeDomain(domain) }
            print("removed domain \(domain)")
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Accounts that log in to submit mail and receive it.",
        subcommands: [Add.self, List.self, Passwd.self, Disable.self, Enable.self, Remove.self, Limits.self, Release.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an account; the password comes from standard input.")
        @Argument var address: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required).") var passwordStdin = false
        @Option(name: .customLong("password-hash"), help: "Import an existing crypt(3) hash ($y$, $2b$, $6$) instead.") var passwordHash: String?
        @OptionGroup var location: DataLocation
        func validate() throws {
            if passwordStdin == (passwordHash != nil) {
                throw ValidationError("give exactly one of --password-stdin or --password-hash")
            }
        }
        func run() async throws {
            let account: Account
            if let passwordHash {
                account = try await withDirectory(location) { try await $0.addUser(address, passwordHash: passwordHash) }
            } else {
                let password = try readPasswordFromStdin()
                account = try await withDirectory(location) { try await $0.addUser(address, password: password) }
            }
            print("added user \(account.address)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @Option(help: "Only this domain.") var domain: String?
        @OptionGroup var location: DataLocation
        func run() async throws {
            for account in try await withDirectory(location, { try await $0.listUsers(domain: domain) }) {
                print("\(account.address)\t\(account.isEnabled ? "enabled" : "disabled")")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's password from standard input.")
        @Argument var address: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required).") var passwordStdin = false
        @OptionGroup var location: DataLocation
        func validate() throws {
            if !passwordStdin { throw ValidationError("--password-stdin is required: passwords never go on the command line") }
        }
        func run() async throws {
            let password = try readPasswordFromStdin()
            try await withDirectory(location) { try await $0.setPassword(address, password: password) }
            print("password changed for \(address)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop an account from logging in (it still receives mail).")
        @Argument var address: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            try await withDirectory(location) { try await $0.disableUser(address) }
            print("disabled \(address)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled account log in again.")
        @Argument var address: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            try await withDirectory(location) { try await $0.enableUser(address) }
            print("enabled \(address)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account.")
        @Argument var address: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            try await withDirectory(location) { try await $0.removeUser(address) }
            print("removed \(address)")
        }
    }
}

struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias", abstract: "Extra addresses that deliver to an account or forward elsewhere.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add ALIAS → TARGET.")
        @Argument var alias: String
        @Argument var target: String
        @OptionGroup var location: DataLocation
        func run() async throws {
            let added = try await withDirectory(location) { try await $0.addAlias(alias, target: target) }
            print("added alias \(added.alias) -> \(added.target)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List aliases.")
        @OptionGroup var location: DataLocation
        func run() async throws {
            for alias in try await withDirectory(location, { try await $0.listAliases() }) {
                print("\(alias.alias)\t\(alias.target)")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an alias (all its targets, or one).")
        @Argument var alias: String
        @Argument var target: String?
        @OptionGroup var location: DataLocation
        func run() async throws {
            try await withDirectory(location) { try await $0.removeAlias(alias, target: target) }
            print("removed alias \(alias)")
        }
    }
}
