import NIOSSL
import PostgresNIO

/// Where and how to reach the PostgreSQL directory: the typed form of `[directory]`.
public struct PostgresDirectorySettings: Sendable, CustomStringConvertible {
    /// How the connection is encrypted (libpq's `sslmode` names and meanings).
    public enum TLSMode: Sendable, Equatable {
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS, certificate not checked (libpq's `require`).
        case require
        /// TLS, certificate checked against the system's CAs and the host name.
        case verifyFull
    }

    public var host: String
    public var port: Int
    public var user: String
    /// Never printed: ``description`` leaves it out.
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Connections this process opens at most.
    public var poolSize: Int
    /// How long one directory operation may wait for the database before it fails with
    /// ``Directory/DirectoryError/storageFailure(_:)``; an SMTP client then gets 451 4.3.0.
    public var operationTimeout: Duration
    /// How long one connection attempt may take.
    public var connectTimeout: Duration

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String,
                tls: TLSMode = .prefer, poolSize: Int = 10,
                operationTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = poolSize
        self.operationTimeout = operationTimeout
        self.connectTimeout = connectTimeout
    }

    /// The database as a URL, without the password.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostPart):\(port)/\(database)"
    }

    /// The same settings for one connection outside the pool.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tlsConfiguration: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable:
            tlsConfiguration = .disable
        case .prefer, .require:
            var client = TLSConfiguration.makeClientConfiguration()
            client.certificateVerification = .none
            let context = try NIOSSLContext(configuration: client)
            tlsConfiguration = tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            tlsConfiguration = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsConfiguration)
        configuration.options.connectTimeout = .nanoseconds(connectTimeout.components.seconds * 1_000_000_000
                                                             + connectTimeout.components.attoseconds / 1_000_000_000)
        return configuration
    }

    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tlsConfiguration: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            tlsConfiguration = .disable
        case .prefer:
            var client = TLSConfiguration.makeClientConfiguration()
            client.certificateVerification = .none
            tlsConfiguration = .prefer(client)
        case .require:
            var client = TLSConfiguration.makeClientConfiguration()
            client.certificateVerification = .none
            tlsConfiguration = .require(client)
        case .verifyFull:
            tlsConfiguration = .require(TLSConfiguration.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsConfiguration)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", "portcullis")]
        return configuration
    }
}
