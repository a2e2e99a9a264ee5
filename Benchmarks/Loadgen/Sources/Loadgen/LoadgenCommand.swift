import ArgumentParser
import Glibc

/// `portcullis-loadgen`: the authenticated submission load of Benchmarks/portbench/submission.py
/// with the same options and the same JSON output, at a fraction of the client CPU per message.
@main
struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis-loadgen",
        abstract: "Authenticated submission load: N sessions, each STARTTLS + AUTH PLAIN, then M messages.",
        discussion: "Prints one JSON object (the keys of portbench/submission.py run_load()); exits 1 if any session failed.")

    @Option var host = "127.0.0.1"
    @Option var port: Int
    @Option var user: String
    @Option(help: "file whose first line is the password")
    var passwordFile: String
    @Option(help: "envelope and From: address (default: --user)")
    var sender: String?
    @Option var recipient = "rcpt@example.net"
    @Option var sessions = 20
    @Option(help: "messages per session")
    var messages = 100
    @Option var size = 4096
    @Option(help: "total messages/s (0: unpaced)")
    var rate = 0.0
    @Option var helo = "loadgen.alato.example"
    @Option(help: "event-loop threads (the server under test needs the other cores)")
    var threads = 1

    func validate() throws {
        guard sessions >= 1 else { throw ValidationError("--sessions must be at least 1") }
        guard messages >= 0 else { throw ValidationError("--messages must not be negative") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
    }

    func run() throws {
        let run = LoadRun(host: host, port: port, sessions: sessions, messages: messages, size: size, rate: rate,
                          threads: threads, helo: helo, user: user, password: try readPassword(),
                          sender: sender ?? user, recipient: recipient)
        let summary = try run.run()
        print(summary.json)
        if !summary.errors.isEmpty { throw ExitCode(1) }
    }

    /// The first line of --password-file, without its line end (submission.py strips "\n" only).
    private func readPassword() throws -> String {
        guard let file = fopen(passwordFile, "r") else {
            throw ValidationError("cannot read --password-file \(passwordFile): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        let length = getline(&line, &capacity, file)
        guard length >= 0, let line else { return "" }
        // Bytes, not Characters: "\r\n" is one Character, and only the "\n" goes.
        var bytes = UnsafeRawBufferPointer(start: line, count: length).map { $0 }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
