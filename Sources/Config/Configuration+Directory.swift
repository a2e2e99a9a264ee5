/// `[directory]`: where accounts, aliases, exemptions and the abuse counters live.
///
/// `url = "sqlite:PATH"` (the embedded default) or
/// `url = "postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=MODE"` for several servers sharing one
/// database; `password_file` gives the PostgreSQL password from a file instead of the URL and
/// `pool_size` bounds the connections each server opens.
public struct DirectorySettings: Sendable, Equatable {
    /// The database.
    public var location: DirectoryLocation
    /// A file holding the PostgreSQL password (first line), resolved against the data directory.
    public var passwordFile: String?
    /// Connections to PostgreSQL per process.
    public var poolSize: Int

    /// The default pool size: enough for one server's sessions, whose reads are mostly cached.
    public static let defaultPoolSize = 10

    public init(location: DirectoryLocation, passwordFile: String? = nil, poolSize: Int = DirectorySettings.defaultPoolSize) {
        self.location = location
        self.passwordFile = passwordFile
        self.poolSize = poolSize
    }
}

/// The directory database named by `[directory] url`.
public enum DirectoryLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file (absolute path).
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresLocation)

    /// The URL, without any password: safe for logs and error messages.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let location): return location.description
        }
    }

    /// Parses a `[directory] url` value; relative SQLite paths are resolved by `resolve`.
    public static func parse(_ text: String, resolve: (String) -> String = { $0 }) throws(ConfigurationProblem) -> DirectoryLocation {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ConfigurationProblem("\"sqlite:\" needs a file name, e.g. sqlite:directory.sqlite") }
            return .sqlite(path: resolve(path))
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            return .postgres(try PostgresLocation.parse(text))
        }
        throw ConfigurationProblem("\"\(Self.redacted(text))\" must start with sqlite: or postgres://")
    }

    /// `text` with anything between "://" and "@" after the first ":" replaced, for messages
    /// about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@"),
              let colon = text[scheme.upperBound..<at].firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}

/// A password read from the configuration: never printed, whatever interpolates it.
public struct DatabasePassword: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The password itself, for the database driver only.
    public let secret: String

    public init(_ secret: String) { self.secret = secret }

    public var description: String { "***" }
    public var debugDescription: String { "***" }
}

/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`, parsed.
///
/// User, password and database are percent-decoded (a password with `@`, `/` or `:` in it is
/// written `%40`, `%2F`, `%3A`). An IPv6 host is written in brackets.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted, with libpq's names and meanings.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP (loopback, or a private network the operator trusts).
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS or no connection; the server's certificate is not checked (as in libpq).
        case require
        /// TLS with the certificate checked against the system's CAs and the host name.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: DatabasePassword?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode

    public static let defaultPort = 5432

    public init(user: String, password: DatabasePassword?, host: String, port: Int = PostgresLocation.defaultPort,
                database: String, sslMode: SSLMode = .prefer) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
    }

    /// The URL without the password.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(Self.encode(user))@\(hostPart):\(port)/\(Self.encode(database))?sslmode=\(sslMode.rawValue)"
    }

    public static func parse(_ text: String) throws(ConfigurationProblem) -> PostgresLocation {
        let shown = DirectoryLocation.redacted(text)
        func problem(_ message: String) -> ConfigurationProblem { ConfigurationProblem("\"\(shown)\": \(message)") }
        guard let schemeEnd = text.range(of: "://") else { throw problem("must start with postgres://") }
        var rest = Substring(text[schemeEnd.upperBound...])

        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else {
            throw problem("names no database; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let authority = rest[..<slash]
        guard let database = decode(rest[rest.index(after: slash)...]), !database.isEmpty, !database.contains("/") else {
            throw problem("names no database (or an invalid one) after the host; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard let at = authority.lastIndex(of: "@") else {
            throw problem("names no user; write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let credentials = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]

        let userText: Substring
        var password: DatabasePassword?
        if let colon = credentials.firstIndex(of: ":") {
            userText = credentials[..<colon]
            guard let decoded = decode(credentials[credentials.index(after: colon)...]) else {
                throw problem("the password has an invalid %-escape")
            }
            if !decoded.isEmpty { password = DatabasePassword(decoded) }
        } else {
            userText = credentials
        }
        guard let user = decode(userText), !user.isEmpty else { throw problem("names no user before the @") }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw problem("an IPv6 host needs its closing ]") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw problem("expected :PORT after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw problem("names no host after the @") }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw problem("port \"\(portText)\" is not a number from 1 to 65535")
            }
            port = value
        }

        var sslMode = SSLMode.prefer
        for parameter in query.split(separator: "&") where !parameter.isEmpty {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "sslmode" else {
                throw problem("unknown parameter \"\(parts[0])\" (only sslmode is understood)")
            }
            guard let mode = SSLMode(rawValue: String(parts[1])) else {
                throw problem("sslmode=\(parts[1]): use one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sslMode = mode
        }
        return PostgresLocation(user: user, password: password, host: String(host), port: port, database: database, sslMode: sslMode)
    }

    /// Percent-decoding (RFC 3986 §2.1); nil for a malformed escape or bytes that are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second != utf8.endIndex,
                      let high = hexValue(utf8[first]), let low = hexValue(utf8[second]) else { return nil }
                bytes.append(high << 4 | low)
                index = utf8.index(after: second)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func encode(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var result = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += byte < 0x10 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return result
    }
}
