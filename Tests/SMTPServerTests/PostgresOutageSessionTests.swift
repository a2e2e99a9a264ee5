import Directory
import Foundation
import PostgresDirectory
import SMTPCore
import TestSupport
import Testing

/// The production service graph on a PostgreSQL directory whose server stops: new work is told
/// to come back later (SMTP 451 4.4.3, POP3 `-ERR [SYS/TEMP]`) and succeeds once it is back.
@Suite(.serialized) struct PostgresOutageSessionTests {
    @Test("PostgreSQL stopped: a transaction gets 451 4.4.3 and a POP3 login -ERR [SYS/TEMP]; both work again when it is back")
    func outage() async throws {
        let database = try PostgresServer.start()
        let name = try database.createDatabase()
        var settings = PostgresDirectorySettings(host: database.host, port: database.port, user: database.user,
                                                 password: database.password, database: name, tls: .disable, poolSize: 4)
        settings.operationTimeout = .seconds(2)
        let directory = try PostgresDirectory(settings: settings)
        try await directory.migrate()
        var options = TestServer.Options()
        options.directory = directory
        let server = try await TestServer(options)
        defer { server.stop() }

        try database.stopServer()

        // The first decision that needs the database (here the abuse guard's, at MAIL) answers
        // 451 4.4.3 once the directory's deadline has passed.
        let smtp = try await server.relaySession()
        try await smtp.send("MAIL FROM:<sender@example.net>\r\n")
        let refused = await smtp.reply() ?? ""
        #expect(refused.hasPrefix("451 4.4.3 "), "\(refused)")
        await smtp.close()

        let pop3 = try await TestClient.connect(port: server.pop3sPort, implicitTLS: true)
        #expect(await pop3.popLine()?.hasPrefix("+OK") == true)
        try await pop3.send("USER taro@alato.example\r\nPASS right-password\r\n")
        #expect(await pop3.popLine() == "+OK Send PASS")
        let loginRefused = await pop3.popLine() ?? ""
        #expect(loginRefused.hasPrefix("-ERR [SYS/TEMP] "), "\(loginRefused)")
        await pop3.close()

        try database.startServer()
        // The pool reconnects by itself (with a growing back-off); the next sessions succeed.
        var accepted = false
        for _ in 0..<40 where !accepted {
            let again = try await server.relaySession()
            try await again.send("MAIL FROM:<sender@example.net>\r\nRCPT TO:<taro@alato.example>\r\n")
            _ = await again.reply()
            accepted = await again.code() == 250
            await again.close()
            if !accepted { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(accepted)
        let back = try await TestClient.connect(port: server.pop3sPort, implicitTLS: true)
        _ = await back.popLine()
        try await back.send("USER taro@alato.example\r\nPASS right-password\r\n")
        _ = await back.popLine()
        #expect(await back.popLine()?.hasPrefix("+OK") == true)
        await back.close()
        await directory.shutdown()
    }
}
