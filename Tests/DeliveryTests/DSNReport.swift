/// A small reader for the DSNs we render, so tests check fields rather than strings.
import Foundation

struct DSNReport {
    var contentType: String
    var messageFields: [String: String] = [:]
    var recipientFields: [[String: String]] = []

    struct Invalid: Error {}

    init(parsing message: String) throws {
        let text = message.replacingOccurrences(of: "\r\n", with: "\n")
        guard let headerEnd = text.range(of: "\n\n") else { throw Invalid() }
        let header = String(text[..<headerEnd.lowerBound]).replacingOccurrences(of: "\n\t", with: " ")
        guard let typeLine = header.split(separator: "\n").first(where: { $0.lowercased().hasPrefix("content-type:") }),
              let boundaryRange = typeLine.range(of: "boundary=\"") else { throw Invalid() }
        contentType = typeLine.dropFirst("Content-Type:".count).trimmingCharacters(in: .whitespaces)
        let boundary = typeLine[boundaryRange.upperBound...].prefix { $0 != "\"" }
        let parts = text.components(separatedBy: "--\(boundary)")
        guard let status = parts.first(where: { $0.contains("Content-Type: message/delivery-status") }) else { throw Invalid() }
        let body = status.components(separatedBy: "\n\n").dropFirst().map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        guard let first = body.first else { throw Invalid() }
        messageFields = Self.fields(first)
        recipientFields = body.dropFirst().map(Self.fields)
    }

    static func fields(_ block: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in block.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}
