#if canImport(Glibc)
import TestSupport
import Glibc
#endif

/// A real dnsmasq serving test records on 127.0.0.1 and a free port, started per test.
///
/// The test fails (never silently passes) when dnsmasq is not installed:
/// `apt-get install -y dnsmasq-base`.
final class DnsmasqServer {
    let port: UInt16
    private let process: ChildProcess
    private let log: String

    enum StartError: Error, CustomStringConvertible {
        case notInstalled
        case didNotStart(String)
        var description: String {
            switch self {
            case .notInstalled: return "dnsmasq not found; install it with apt-get install -y dnsmasq-base"
            case .didNotStart(let log): return "dnsmasq did not start: \(log)"
            }
        }
    }

    /// Starts dnsmasq with `records` (dnsmasq options such as `--mx-host=...`).
    static func start(records: [String], listen: String = "127.0.0.1") async throws -> DnsmasqServer {
        guard let executable = (["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"] as [String])
            .first(where: { access($0, X_OK) == 0 }) else {
            throw StartError.notInstalled
        }
        var lastLog = ""
        for attempt in 0..<5 {
            let port = try freePort(listen: listen)
            let log = "/tmp/portcullis-dnsmasq-\(getpid())-\(port)-\(attempt).log"
            let process = try ChildProcess(executable: executable, arguments: [
                "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=\(listen)", "--port=\(port)", "--user=root", "--pid-file=",
                "--log-facility=\(log)",
            ] + records, logPath: log)
            let server = DnsmasqServer(port: port, process: process, log: log)
            if await server.waitUntilListening(listen: listen) { return server }
            server.stop()
            lastLog = Self.read(log)
        }
        throw StartError.didNotStart(lastLog)
    }

    private init(port: UInt16, process: ChildProcess, log: String) {
        self.port = port
        self.process = process
        self.log = log
    }

    /// The `IP:port` to give the resolver.
    func nameserver(listen: String = "127.0.0.1") -> String {
        listen.contains(":") ? "[\(listen)]:\(port)" : "\(listen):\(port)"
    }

    func stop() {
        process.stop()
        unlink(log)
    }

    deinit { stop() }

    // dnsmasq also listens on TCP: a successful connect means it is ready.
    private func waitUntilListening(listen: String) async -> Bool {
        for _ in 0..<100 {
            guard process.isRunning else { return false }
            if Self.canConnect(host: listen, port: port) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    private static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            out += buffer[0..<count]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func freePort(listen: String) throws -> UInt16 {
        let v6 = listen.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw StartError.didNotStart("socket() failed") }
        defer { close(fd) }
        var storage = sockaddr_storage()
        var length: socklen_t
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            _ = inet_pton(AF_INET6, listen, &address.sin6_addr)
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            _ = inet_pton(AF_INET, listen, &address.sin_addr)
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
        }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw StartError.didNotStart("bind() failed") }
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return withUnsafeBytes(of: &storage) { raw in
            v6 ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
               : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    static func canConnect(host: String, port: UInt16) -> Bool {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
                }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        _ = inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// A UDP socket bound on loopback that never answers: a nameserver that times out.
final class SilentUDPServer {
    let port: UInt16
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        _ = inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw DnsmasqServer.StartError.didNotStart("bind() failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}

extension DnsmasqServer {
    /// Whether this machine has IPv6 loopback (containers sometimes do not).
    static func canBindIPv6Loopback() -> Bool {
        (try? freePort(listen: "::1")) != nil
    }
}
