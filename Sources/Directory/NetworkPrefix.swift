#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Canonical text form of an IPv4 or IPv6 prefix, for storing OP25B exemptions.
///
/// The directory keeps prefixes as plain strings (the policy engine parses them), but it
/// normalises them so that `2001:DB8::/48` and `2001:db8:0::/48` are one entry.
enum NetworkPrefix {
    /// Returns `address/length` with the address as `inet_ntop` prints it, or throws.
    /// A missing length means a single host (/32 or /128).
    static func canonical(_ input: String) throws -> String {
        func invalid(_ reason: String) -> DirectoryError { .invalidPrefix(input, reason: reason) }
        let trimmed = input.trimmingWhitespace()
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addressPart = parts.first, !addressPart.isEmpty else {
            throw invalid("expected ADDRESS or ADDRESS/LENGTH")
        }
        var storage = [UInt8](repeating: 0, count: 16)
        let family: Int32
        let maximumLength: Int
        if inet_pton(AF_INET, String(addressPart), &storage) == 1 {
            family = AF_INET
            maximumLength = 32
        } else if inet_pton(AF_INET6, String(addressPart), &storage) == 1 {
            family = AF_INET6
            maximumLength = 128
        } else {
            throw invalid("\"\(addressPart)\" is not an IPv4 or IPv6 address")
        }
        var length = maximumLength
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy(\.isASCII), (0...maximumLength).contains(parsed) else {
                throw invalid("the length must be a number from 0 to \(maximumLength)")
            }
            length = parsed
        }
        // Host bits must be zero, otherwise the operator probably typed the wrong length.
        for bit in length..<maximumLength where storage[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            throw invalid("the address has bits set beyond /\(length)")
        }
        var text = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family, storage, &text, socklen_t(text.count)) != nil else {
            throw invalid("it cannot be printed back")
        }
        let printed = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(printed)/\(length)"
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
