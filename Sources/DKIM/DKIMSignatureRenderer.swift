/// Writes the DKIM-Signature header field, folded.
///
/// Lines stay within 78 characters (RFC 5322 §2.1.1 "SHOULD"). Folds go only
/// where RFC 6376 §3.5 allows FWS: between tags, after a colon of `h=`, and
/// inside the base64 of `b=`. `b=` always starts its own line, so the unsigned
/// form (empty `b=`) that is hashed and the signed form differ only by the
/// value that verifiers remove before hashing (RFC 6376 §3.7).
enum DKIMSignatureRenderer {
    static let fieldName = "DKIM-Signature"
    /// RFC 5322 §2.1.1: lines SHOULD NOT exceed 78 characters without the CRLF.
    static let lineWidth = 78
    static let fold = "\r\n\t"

    /// Renders the field without its final CRLF.
    ///
    /// - Parameters:
    ///   - tags: tags before `h=`, in order, e.g. `[("v", "1"), ("a", "rsa-sha256")]`.
    ///   - signedHeaders: the `h=` names.
    ///   - bodyHash: the `bh=` value.
    ///   - signature: the `b=` value; empty for the form that is hashed.
    static func render(tags: [(String, String)], signedHeaders: [String], bodyHash: String, signature: String) -> String {
        var writer = FoldingWriter(start: fieldName + ":")
        for (name, value) in tags {
            writer.append(word: "\(name)=\(value);", separator: " ")
        }
        for (index, name) in signedHeaders.enumerated() {
            let isFirst = index == 0
            let isLast = index == signedHeaders.count - 1
            let piece = (isFirst ? "h=" : "") + name + (isLast ? ";" : ":")
            writer.append(word: piece, separator: isFirst ? " " : "")
        }
        writer.append(word: "bh=\(bodyHash);", separator: " ")
        writer.breakLine()
        writer.append(word: "b=", separator: "")
        var remaining = Substring(signature)
        while !remaining.isEmpty {
            let room = max(lineWidth - writer.column, 1)
            if writer.column >= lineWidth {
                writer.breakLine()
                continue
            }
            let piece = remaining.prefix(room)
            writer.append(word: String(piece), separator: "")
            remaining = remaining.dropFirst(piece.count)
        }
        return writer.text
    }

    /// Accumulates words, starting a continuation line when the next word would
    /// run past the line width.
    private struct FoldingWriter {
        var text: String
        /// Characters on the current line; the folding tab counts as one.
        var column: Int

        init(start: String) {
            text = start
            column = start.count
        }

        mutating func append(word: String, separator: String) {
            if column + separator.count + word.count > DKIMSignatureRenderer.lineWidth && column > 1 {
                breakLine()
                text += word
                column += word.count
            } else {
                text += separator + word
                column += separator.count + word.count
            }
        }

        mutating func breakLine() {
            text += DKIMSignatureRenderer.fold
            column = 1
        }
    }
}
