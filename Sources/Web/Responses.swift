import Foundation
import Hummingbird

/// Builds the responses of the customer web with the same security headers everywhere.
public enum Responses {
    static let contentSecurityPolicy = HTTPFields.Element.Name("Content-Security-Policy")!
    static let contentTypeOptions = HTTPFields.Element.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!
    static let frameOptions = HTTPFields.Element.Name("X-Frame-Options")!
    static let forwardedFor = HTTPFields.Element.Name("X-Forwarded-For")!

    /// Headers on every response: no scripts or foreign content at all (the
    /// pages need none), no framing, no sniffing, and no Referer carrying an
    /// address in a query string to another site.
    static func baseHeaders(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        headers[contentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "no-referrer"
        headers[frameOptions] = "DENY"
        // Answers depend on the visitor's address and input: never cache them in shared caches.
        headers[.cacheControl] = "no-store"
        return headers
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok, language: Language) -> Response {
        var headers = baseHeaders(contentType: "text/html; charset=utf-8")
        headers[.contentLanguage] = language.rawValue
        headers[.vary] = "Accept-Language"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func xml(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "application/xml; charset=utf-8") -> Response {
        Response(status: status, headers: baseHeaders(contentType: contentType),
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func text(_ body: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: baseHeaders(contentType: "text/plain; charset=utf-8"),
                 body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, language: Language) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = baseHeaders(contentType: "application/json; charset=utf-8")
        headers[.contentLanguage] = language.rawValue
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `/readyz`: the report's JSON, 200 or 503 (the web and the metrics listener).
    public static func readiness(_ report: ReadinessReport) -> Response {
        Response(status: HTTPResponse.Status(code: report.httpStatus),
                 headers: baseHeaders(contentType: "application/json; charset=utf-8"),
                 body: .init(byteBuffer: ByteBuffer(string: report.json)))
    }

    static func download(_ body: String, contentType: String, fileName: String) -> Response {
        var headers = baseHeaders(contentType: contentType)
        headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
