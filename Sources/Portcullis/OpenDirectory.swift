import Config
import Directory

extension Configuration {
    /// Opens the account directory named by `[directory] url`.
    func openDirectory() throws -> any AccountDirectory {
        if directoryURL.hasPrefix("sqlite:") {
            do {
                return try SQLiteDirectory(path: String(directoryURL.dropFirst("sqlite:".count)))
            } catch {
                throw CLIError("cannot open the directory \(directoryURL): \(error)")
            }
        }
        throw CLIError("[directory] url \(directoryURL): PostgreSQL is not supported yet; use sqlite:")
    }
}

/// Runs a directory operation, turning its errors into one-line CLI errors.
func withDirectory<T>(_ location: DataLocation, _ body: (any AccountDirectory) async throws -> T) async throws -> T {
    let directory = try location.load().openDirectory()
    do {
        return try await body(directory)
    } catch let error as CLIError {
        throw error
    } catch {
        throw CLIError("\(error)")
    }
}

/// Reads a password from standard input (one line; the trailing newline is not part of it).
func readPasswordFromStdin() throws -> Password {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIError("no password on standard input; e.g. `echo 'secret' | portcullis user add ADDRESS --password-stdin`")
    }
    return Password(line)
}
