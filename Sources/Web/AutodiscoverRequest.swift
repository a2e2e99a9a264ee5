import Foundation

/// The parts of an Outlook POX autodiscover request the server uses:
///
/// ```xml
/// <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
///   <Request>
///     <EMailAddress>taro@alato.example</EMailAddress>
///     <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
///   </Request>
/// </Autodiscover>
/// ```
///
/// Read with a small scanner rather than a general XML parser: the request is
/// tiny, and the scanner neither resolves entities nor fetches DTDs, so an
/// attacker's document cannot make it do more than look for two elements.
public struct AutodiscoverRequest: Sendable, Hashable {
    /// The response schema Outlook asks for; the only one answered.
    public static let outlookResponseSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    /// Request bodies larger than this are refused (a real one is a few hundred bytes).
    public static let maximumBodySize = 16 * 1024

    /// The `EMailAddress` element's text, entity references decoded.
    public var emailAddress: String?
    /// The `AcceptableResponseSchema` element's text.
    public var acceptableResponseSchema: String?

    /// Reads the two elements from `body`; missing ones are nil.
    public init(body: String) {
        emailAddress = AutodiscoverRequest.text(ofElement: "EMailAddress", in: body)
        acceptableResponseSchema = AutodiscoverRequest.text(ofElement: "AcceptableResponseSchema", in: body)
    }

    /// The trimmed text of the first element whose local name is `name`,
    /// with or without a namespace prefix (`<a:EMailAddress>`), or nil.
    static func text(ofElement name: String, in body: String) -> String? {
        var searchStart = body.startIndex
        while let open = body[searchStart...].firstIndex(of: "<") {
            guard let close = body[open...].firstIndex(of: ">") else { return nil }
            let tag = body[body.index(after: open)..<close]
            searchStart = body.index(after: close)
            // The tag's name, without attributes; skip end tags, comments, declarations.
            let tagName = tag.prefix { !$0.isWhitespace && $0 != "/" }
            guard !tag.hasPrefix("/"), !tag.hasPrefix("!"), !tag.hasPrefix("?") else { continue }
            let localName = tagName.split(separator: ":").last.map(String.init) ?? ""
            guard localName == name else { continue }
            if tag.hasSuffix("/") { return "" }
            guard let end = body[searchStart...].firstIndex(of: "<") else { return nil }
            let content = MarkupText.unescape(body[searchStart..<end])
            return content.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }
}
