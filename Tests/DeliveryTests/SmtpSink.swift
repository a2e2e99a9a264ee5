import TestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Postfix's smtp-sink on 127.0.0.1 and a free port, dumping each transaction to a folder.
///
/// The test fails (never silently passes) when smtp-sink is missing: install the Debian
/// package `postfix` (see docs/delivery.md).
final class SmtpSink {
    let port: Int
    let dumpDirectory: String
    private let process: ChildProcess

    struct Missing: Error, CustomStringConvertible {
        var description = "smtp-sink not found: apt-get install -y postfix"
    }

    /// Starts the sink; `options` are extra smtp-sink flags such as `["-f", "RCPT"]`.
    static func start(options: [String] = [], port fixedPort: Int? = nil, dumpDirectory: String? = nil) async throws -> SmtpSink {
        guard let executable = (["/usr/sbin/smtp-sink", "/usr/bin/smtp-sink"] as [String]).first(where: { access($0, X_OK) == 0 }) else {
            throw Missing()
        }
        let dump = dumpDirectory ?? NSTemporaryDirectory() + "portcullis-sink-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
        // smtp-sink drops to the postfix user (required when run as root); let it write the dumps.
        _ = chmod(dump, 0o777)
        for _ in 0..<5 {
            let port = fixedPort ?? freePort()
            var arguments = options + ["-d", "\(dump)/%Y%m%d%H%M%S."]
            if getuid() == 0 { arguments = ["-u", "postfix"] + arguments }
            arguments += ["127.0.0.1:\(port)", "64"]
            let process = try ChildProcess(executable: executable, arguments: arguments, logPath: "\(dump).log")
            for _ in 0..<100 {
                if canConnect(port: port) { return SmtpSink(port: port, dumpDirectory: dump, process: process) }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            process.stop()
        }
        throw Missing(description: "smtp-sink did not start: \((try? String(contentsOfFile: "\(dump).log", encoding: .utf8)) ?? "")")
    }

    private init(port: Int, dumpDirectory: String, process: ChildProcess) {
        self.port = port
        self.dumpDirectory = dumpDirectory
        self.process = process
    }

    /// The transactions received so far, oldest first.
    func messages() -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dumpDirectory)) ?? []).sorted()
        return names.compactMap { try? String(contentsOfFile: "\(dumpDirectory)/\($0)", encoding: .utf8) }
    }

    func stop() {
        process.stop()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dumpDirectory)
        unlink("\(dumpDirectory).log")
    }

    static func freePort() -> Int {
        let bound = boundLoopbackSocket()
        close(bound.descriptor)
        return bound.port
    }

    /// A TCP socket bound to a free loopback port (not listening), and the port.
    static func boundLoopbackSocket() -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A loopback port nothing listens on, reserved while the test runs: a socket bound to it
    /// without listen(2) makes connections fail at once, and no other test (the suites run in
    /// parallel) can take the port meanwhile, as one picked and released could be.
    final class ClosedPort: @unchecked Sendable {
        let port: Int
        private let descriptor: Int32

        init() {
            (descriptor, port) = SmtpSink.boundLoopbackSocket()
        }

        deinit { close(descriptor) }
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
