import Foundation

/// Runs a system tool (nft) and collects its output.
enum Subprocess {
    struct Result {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = input == nil ? nil : stdin
        do {
            try process.run()
        } catch {
            throw CLIError("cannot run \(tool): \(error.localizedDescription)")
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // Read both pipes before waiting so a large output cannot block the child.
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      output: String(decoding: out, as: UTF8.self),
                      errorOutput: String(decoding: err, as: UTF8.self))
    }
}
