/// Syntax checks for the IP address forms of RFC 5321 §4.1.3.
enum IPAddressSyntax {
    /// ```
    /// IPv4-address-literal  = Snum 3("."  Snum)
    /// Snum           = 1*3DIGIT  ; representing a decimal integer value in the range 0 through 255
    /// ```
    static func isIPv4(_ bytes: [UInt8]) -> Bool {
        let parts = bytes.split(separator: ASCII.dot, omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(ASCII.isDigit) else { return false }
            let value = part.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard value <= 255 else { return false }
        }
        return true
    }

    /// ```
    /// IPv6-addr      = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
    /// IPv6-hex       = 1*4HEXDIG
    /// IPv6-full      = IPv6-hex 7(":" IPv6-hex)
    /// IPv6-comp      = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
    ///                ; The "::" represents at least 2 16-bit groups of zeros.
    ///                ; No more than 6 groups in addition to the "::" may be present.
    /// IPv6v4-full    = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
    /// IPv6v4-comp    = [IPv6-hex *3(":" IPv6-hex)] "::"
    ///                  [IPv6-hex *3(":" IPv6-hex) ":"] IPv4-address-literal
    ///                ; No more than 4 groups in addition to the "::" and
    ///                ; IPv4-address-literal may be present.
    /// ```
    static func isIPv6(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        var hexPart = bytes[...]
        var hasIPv4 = false
        if bytes.contains(ASCII.dot) {
            guard let lastColon = bytes.lastIndex(of: ASCII.colon),
                  isIPv4(Array(bytes[(lastColon + 1)...])) else { return false }
            hasIPv4 = true
            // Keep the colon that precedes the IPv4 part only when it is part of "::".
            if lastColon > 0, bytes[lastColon - 1] == ASCII.colon {
                hexPart = bytes[...lastColon]
            } else {
                hexPart = bytes[..<lastColon]
            }
        }
        let text = Array(hexPart)
        let compressedAt = findDoubleColon(text)
        let maximumGroups = hasIPv4 ? 6 : 8
        if let compressedAt {
            // A second "::" is not allowed.
            if findDoubleColon(Array(text[(compressedAt + 2)...])) != nil { return false }
            let left = Array(text[..<compressedAt])
            let right = Array(text[(compressedAt + 2)...])
            guard let leftGroups = groups(left), let rightGroups = groups(right) else { return false }
            // "::" stands for at least two groups (RFC 5321 wording), so at most
            // maximum - 2 explicit groups.
            return leftGroups + rightGroups <= maximumGroups - 2
        } else {
            guard let count = groups(text) else { return false }
            return count == maximumGroups
        }
    }

    private static func findDoubleColon(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == ASCII.colon && bytes[index + 1] == ASCII.colon {
            return index
        }
        return nil
    }

    /// Counts `IPv6-hex *(":" IPv6-hex)` groups; empty input is zero groups.
    private static func groups(_ bytes: [UInt8]) -> Int? {
        if bytes.isEmpty { return 0 }
        let parts = bytes.split(separator: ASCII.colon, omittingEmptySubsequences: false)
        for part in parts {
            guard (1...4).contains(part.count), part.allSatisfy(ASCII.isHexDigit) else { return nil }
        }
        return parts.count
    }
}
