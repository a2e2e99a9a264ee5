/// A client's answer to a `334` challenge, or an AUTH initial response (RFC 4954 §4).
public enum SASLResponse: Sendable, Equatable {
    /// `*`: the client cancels the exchange; the server answers 501 (RFC 4954 §4).
    case cancel
    /// The decoded response bytes (`=` as an initial response decodes to empty).
    case data([UInt8])

    /// Parses a response line (without CRLF).
    ///
    /// ```
    /// response = base64 / "*"
    /// ```
    /// Base64 that does not decode gives `Reply.authInvalidResponse` (501 5.5.2).
    public static func parse(_ line: some Collection<UInt8>) -> Result<SASLResponse, Reply> {
        let bytes = Array(line)
        if bytes == [UInt8(ascii: "*")] { return .success(.cancel) }
        return decodeBase64(bytes).map(SASLResponse.data)
    }

    /// Decodes an initial response given with AUTH: `=` is an empty response
    /// (RFC 4954 §4); `*` is not a cancellation here, just invalid base64.
    public static func parseInitialResponse(_ text: String) -> Result<[UInt8], Reply> {
        if text == "=" { return .success([]) }
        return decodeBase64(Array(text.utf8))
    }

    private static func decodeBase64(_ bytes: [UInt8]) -> Result<[UInt8], Reply> {
        // An empty line is an empty response: tolerated, some clients send it for PLAIN.
        if bytes.isEmpty { return .success([]) }
        guard let decoded = Base64.decode(bytes) else { return .failure(.authInvalidResponse) }
        return .success(decoded)
    }
}
