@testable import SMTPCore

/// Bytes of an ASCII/UTF-8 string literal.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Parses a command line given as a string.
func parse(_ line: String) -> Result<Command, Reply> { CommandParser.parse(bytes(line)) }

extension Result {
    /// The success value, or nil.
    var value: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    /// The failure value, or nil.
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
