import ArgumentParser
import Foundation

/// `portcullis reload`: tells the running `serve` to read its configuration and certificate again.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running server re-read its TLS certificate and the reloadable configuration (SIGHUP).")

    @OptionGroup var location: DataLocation

    func run() async throws {
        let directory = location.directory
        let pid = try PIDFile.read(in: directory)
        // A pid file a killed server left may name another process by now: signal only ours.
        let commandLine = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let words = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard words.contains("serve"), let program = words.first, program.hasSuffix("portcullis") else {
            throw CLIError("no server is running on \(directory): process \(pid) from \(PIDFile.path(in: directory)) is not `portcullis serve`")
        }
        guard kill(pid, SIGHUP) == 0 else {
            throw CLIError("cannot signal process \(pid): \(String(cString: strerror(errno)))")
        }
        print("reload requested (process \(pid)); the server logs what it applied or why it refused")
    }
}
