import Config
import Testing

@Suite struct DirectoryConfigurationTests {
    func parse(_ directory: String) throws -> DirectorySettings {
        try Configuration.parse("[directory]\n" + directory, file: "t.toml", dataDirectory: "/data").directory
    }

    func problem(_ directory: String) -> String? {
        do {
            _ = try parse(directory)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func sqliteIsTheDefaultAndResolvesAgainstTheDataDirectory() throws {
        #expect(try parse("").location == .sqlite(path: "/data/directory.sqlite"))
        #expect(try parse(#"url = "sqlite:/var/lib/dir.sqlite""#).location == .sqlite(path: "/var/lib/dir.sqlite"))
        #expect(try parse("").poolSize == 10)
    }

    @Test func postgresURLParsesIntoItsParts() throws {
        let settings = try parse("""
            url = "postgres://portcullis:s%40cret%2Fpw@db.alato.example:6543/mail?sslmode=require"
            pool_size = 25
            """)
        guard case .postgres(let location) = settings.location else {
            Issue.record("expected postgres, got \(settings.location)")
            return
        }
        #expect(location.user == "portcullis")
        #expect(location.password?.secret == "s@cret/pw")
        #expect(location.host == "db.alato.example")
        #expect(location.port == 6543)
        #expect(location.database == "mail")
        #expect(location.sslMode == .require)
        #expect(settings.poolSize == 25)
        // Printed forms never carry the password.
        #expect(settings.location.description == "postgres://portcullis@db.alato.example:6543/mail?sslmode=require")
        #expect("\(location.password!)" == "***")
    }

    @Test func postgresDefaultsAndIPv6() throws {
        let settings = try parse(#"""
            url = "postgresql://mx@[2001:db8::5]/directory"
            password_file = "secrets/db-password"
            """#)
        guard case .postgres(let location) = settings.location else {
            Issue.record("expected postgres")
            return
        }
        #expect(location.host == "2001:db8::5")
        #expect(location.port == 5432)
        #expect(location.password == nil)
        #expect(location.sslMode == .prefer)
        #expect(settings.passwordFile == "/data/secrets/db-password")
        #expect(location.description == "postgres://mx@[2001:db8::5]:5432/directory?sslmode=prefer")
    }

    @Test("every mistake is one line naming the key, and never shows the password", arguments: [
        (#"url = "mysql://a@b/c""#, "directory.url", "must start with sqlite: or postgres://"),
        (#"url = "postgres://u:hunter2@db""#, "directory.url", "names no database"),
        (#"url = "postgres://db/mail""#, "directory.url", "names no user"),
        (#"url = "postgres://u:hunter2@db:99999/mail""#, "directory.url", "port \"99999\""),
        (#"url = "postgres://u:hunter2@db/mail?sslmode=maybe""#, "directory.url", "sslmode=maybe: use one of disable, prefer, require, verify-full"),
        (#"url = "postgres://u:hunter2@db/mail?connect_timeout=3""#, "directory.url", "unknown parameter \"connect_timeout\""),
        (#"url = "postgres://u:hunter2@db/mail"\#npassword_file = "pw""#, "directory.password_file", "give it in one place only"),
        (#"password_file = "pw""#, "directory.password_file", "an SQLite directory has no password"),
        (#"pool_size = 5"#, "directory.pool_size", "an SQLite directory has no connection pool"),
        (#"url = "postgres://u@db/mail"\#npool_size = 0"#, "directory.pool_size", "must be between 1 and 1000"),
    ])
    func mistakes(text: String, key: String, message: String) {
        let description = problem(text) ?? ""
        #expect(description.hasPrefix("t.toml: \(key): "), "\(description)")
        #expect(description.contains(message), "\(description)")
        #expect(!description.contains("hunter2"))
        #expect(!description.contains("\n"))
    }
}
