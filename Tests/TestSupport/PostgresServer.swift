import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server for tests: `initdb` into a temporary folder, `pg_ctl start` on a
/// free loopback port with its socket in that folder. Debian's `postgresql` package provides
/// the binaries (`/usr/lib/postgresql/15/bin`); a missing server fails the test that needs it.
///
/// PostgreSQL refuses to run as root, so as root the programs run as the `postgres` user (which
/// the Debian package creates) through `runuser`, and the folder is made that user's.
///
/// ``shared()`` is one server per test process; a test that stops its database uses its own
/// (``start()``). Every server is stopped by PID when the process exits, and its folder removed.
public final class PostgresServer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The superuser the tests connect as.
    public let user = "portcullis"
    /// Its password (scram-sha-256, as a production server would ask).
    public let password: String
    /// The loopback port.
    public let port: Int
    /// The temporary folder: data, socket, log.
    public let root: String
    private let binaries: String
    private let lock = NSLock()
    private var postmaster: pid_t?

    public var host: String { "127.0.0.1" }
    /// A URL for `database`, with the password.
    public func url(database: String) -> String {
        "postgres://\(user):\(password)@\(host):\(port)/\(database)?sslmode=disable"
    }

    // MARK: Starting

    private static let sharedServer = SharedServer()

    /// The server shared by every test in this process, started on first use.
    public static func shared() async throws -> PostgresServer {
        try await sharedServer.server()
    }

    private actor SharedServer {
        private var started: PostgresServer?
        func server() throws -> PostgresServer {
            if let started { return started }
            let server = try PostgresServer.start()
            started = server
            return server
        }
    }

    /// A new server of its own.
    public static func start() throws -> PostgresServer {
        let server = try PostgresServer()
        try server.startServer()
        return server
    }

    private init() throws {
        binaries = try Self.findBinaries()
        password = "pw-" + UUID().uuidString
        // As root the server runs as postgres, which must be able to reach its folder: /tmp, not
        // a TMPDIR that may lie under root's home.
        let base = geteuid() == 0 ? "/tmp" : FileManager.default.temporaryDirectory.path
        root = base + "/portcullis-postgres-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        port = try Self.freePort()
        Self.registerForExit(self)
        if geteuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw Failure(description: "PostgreSQL will not run as root and there is no postgres user; install Debian's postgresql (scripts/install-test-deps)")
            }
            guard chown(root, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw Failure(description: "cannot give \(root) to the postgres user: \(String(cString: strerror(errno)))")
            }
        }
        let passwordFile = root + "/password"
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if geteuid() == 0, let account = getpwnam("postgres") {
            chown(passwordFile, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try run("initdb", ["-D", root + "/data", "-U", user, "--auth=scram-sha-256", "--pwfile=" + passwordFile,
                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    }

    /// Starts (or restarts) the server on its port and remembers the postmaster's PID.
    public func startServer() throws {
        // fsync off: the tests never survive a power cut. Connections for many parallel
        // tests, each with its own pool.
        let options = "-p \(port) -k \(root) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400"
        try run("pg_ctl", ["-D", root + "/data", "-l", root + "/server.log", "-w", "-t", "60", "-o", options, "start"])
        let pidLine = try String(contentsOfFile: root + "/data/postmaster.pid", encoding: .utf8)
            .split(separator: "\n").first.map(String.init) ?? ""
        guard let pid = pid_t(pidLine) else { throw Failure(description: "no PID in \(root)/data/postmaster.pid") }
        lock.withLock { postmaster = pid }
    }

    /// Stops the server (fast shutdown: open connections are closed); ``startServer()`` brings it back.
    public func stopServer() throws {
        try run("pg_ctl", ["-D", root + "/data", "-m", "fast", "-w", "stop"])
        lock.withLock { postmaster = nil }
    }

    /// Stops (SIGSTOP) or resumes (SIGCONT) the postmaster and every backend: a database that
    /// stops answering without closing its connections, as behind a network partition.
    public func signalAll(_ signal: Int32) throws {
        guard let postmaster = lock.withLock({ postmaster }) else { throw Failure(description: "the server is not running") }
        var pids = [postmaster]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name: state, then the parent's PID.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == postmaster { pids.append(pid) }
        }
        for pid in pids { kill(pid, signal) }
    }

    /// Creates an empty database and returns its name.
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try psql(database: "postgres", "CREATE DATABASE \(name)")
        return name
    }

    /// Runs one SQL command with psql, as the superuser.
    public func psql(database: String, _ command: String) throws {
        guard let psql = ["/usr/bin/psql", binaries + "/psql"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "psql not found; install Debian's postgresql-client")
        }
        let log = root + "/psql.log"
        let child = try ChildProcess(executable: psql,
                                     arguments: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command, url(database: database)],
                                     logPath: log)
        let status = child.waitForExit()
        guard status == 0 else { throw Failure(description: "psql \(command) exited \(status); see \(log)") }
    }

    // MARK: Running the server's programs

    /// Runs a program of the server as the user PostgreSQL runs as, to completion.
    private func run(_ program: String, _ arguments: [String]) throws {
        let log = root + "/\(program).log"
        let child: ChildProcess
        if geteuid() == 0 {
            let runuser = try Self.executable(["/usr/sbin/runuser", "/sbin/runuser"], missing: "runuser (util-linux)")
            child = try ChildProcess(executable: runuser, arguments: ["-u", "postgres", "--", binaries + "/" + program] + arguments,
                                     logPath: log)
        } else {
            child = try ChildProcess(executable: binaries + "/" + program, arguments: arguments, logPath: log)
        }
        let status = child.waitForExit()
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure(description: "\(program) exited \(status): \(output.suffix(600))")
        }
    }

    private static func findBinaries() throws -> String {
        var candidates = ["/usr/lib/postgresql/15/bin"]
        candidates += (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().reversed()
            .map { "/usr/lib/postgresql/\($0)/bin" } ?? []
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in candidates where FileManager.default.isExecutableFile(atPath: directory + "/initdb")
            && FileManager.default.isExecutableFile(atPath: directory + "/pg_ctl") {
            return directory
        }
        throw Failure(description: "PostgreSQL server programs (initdb, pg_ctl) not found; install Debian's postgresql (scripts/install-test-deps)")
    }

    private static func executable(_ paths: [String], missing: String) throws -> String {
        guard let path = paths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "\(missing) not found")
        }
        return path
    }

    /// A loopback port nobody listens on now (the kernel's choice for port 0).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Stopping at exit

    nonisolated(unsafe) private static var servers: [PostgresServer] = []
    private static let serversLock = NSLock()
    nonisolated(unsafe) private static var exitHandlerInstalled = false

    private static func registerForExit(_ server: PostgresServer) {
        serversLock.withLock {
            servers.append(server)
            if !exitHandlerInstalled {
                exitHandlerInstalled = true
                atexit { PostgresServer.stopAll() }
            }
        }
    }

    /// Immediate shutdown (SIGQUIT) of every server by its postmaster's PID, then the folders go.
    private static func stopAll() {
        let all = serversLock.withLock { servers }
        for server in all {
            if let pid = server.lock.withLock({ server.postmaster }) {
                kill(pid, SIGQUIT)
                // Up to 5 s for the postmaster to go before its folder is removed.
                for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            }
            try? FileManager.default.removeItem(atPath: server.root)
        }
    }
}
