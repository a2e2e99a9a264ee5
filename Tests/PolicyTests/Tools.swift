import Foundation

/// Runs the system's firewall tools from tests that check rendered output with them.
enum Tools {
    static let searchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    static func path(_ name: String) -> String? {
        searchPath.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The tool exists and we are root (nft -c and iptables-restore --test talk to the kernel).
    static func canRun(_ name: String) -> Bool {
        path(name) != nil && getuid() == 0
    }

    static func run(_ name: String, _ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(name) ?? name)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        // Write from another thread: a large script would fill the pipe while we wait.
        let data = Data(input.utf8)
        let writer = Thread {
            stdin.fileHandleForWriting.write(data)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
