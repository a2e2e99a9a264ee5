/// A DKIM canonicalization algorithm (RFC 6376 §3.4), applied separately to the
/// header and the body: `c=relaxed/relaxed` in a signature means both relaxed.
///
/// Portcullis signs with relaxed/relaxed, which survives the re-folding and
/// white-space changes that relays commonly make; simple is here for
/// completeness and for verifying others' signatures in tests.
public enum DKIMCanonicalization: String, Hashable, Sendable, CaseIterable {
    /// RFC 6376 §3.4.1 (header) and §3.4.3 (body): bytes unchanged, except that
    /// empty lines at the end of the body are dropped.
    case simple
    /// RFC 6376 §3.4.2 (header) and §3.4.4 (body): case-insensitive names,
    /// unfolded values, runs of white space reduced to one space.
    case relaxed

    /// The canonical form of one header field, ending in CRLF, as it enters the
    /// header hash (RFC 6376 §3.7).
    public func canonicalize(_ field: DKIMHeaderField) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(field.raw.count + 2)
        append(field, to: &output)
        output.append(ASCII.cr)
        output.append(ASCII.lf)
        return output
    }

    /// The canonical form of a field without the final CRLF, as the
    /// DKIM-Signature field itself enters the hash (RFC 6376 §3.7, step 2).
    public func canonicalizeWithoutLineEnd(_ field: DKIMHeaderField) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(field.raw.count)
        append(field, to: &output)
        return output
    }

    /// The canonical form of a whole body (convenience for small bodies and
    /// tests; signing streams through ``DKIMBodyHasher``).
    public func canonicalizeBody(_ body: some Collection<UInt8>) -> [UInt8] {
        var canonicalizer = DKIMBodyCanonicalizer(self)
        var output: [UInt8] = []
        let bytes = Array(body)
        bytes.withUnsafeBytes { canonicalizer.feed($0, into: &output) }
        canonicalizer.finish(into: &output)
        return output
    }

    private func append(_ field: DKIMHeaderField, to output: inout [UInt8]) {
        switch self {
        case .simple:
            // RFC 6376 §3.4.1: "MUST NOT change header fields in any way".
            output.append(contentsOf: field.raw)
        case .relaxed:
            // RFC 6376 §3.4.2: lower-case the name; unfold; reduce each run of
            // WSP to one SP; drop WSP at the end of the value and around the colon.
            for byte in field.name.utf8 {
                output.append((0x41...0x5A).contains(byte) ? byte + 0x20 : byte)
            }
            output.append(ASCII.colon)
            let value = field.rawValue
            var pendingSpace = false
            var wroteValue = false
            var index = value.startIndex
            while index < value.endIndex {
                let byte = value[index]
                if byte == ASCII.cr, index + 1 < value.endIndex, value[index + 1] == ASCII.lf {
                    // Unfolding removes the CRLF of a continuation line.
                    index += 2
                    continue
                }
                if byte == ASCII.space || byte == ASCII.tab {
                    pendingSpace = true
                } else {
                    if pendingSpace && wroteValue {
                        output.append(ASCII.space)
                    }
                    pendingSpace = false
                    wroteValue = true
                    output.append(byte)
                }
                index += 1
            }
        }
    }
}
