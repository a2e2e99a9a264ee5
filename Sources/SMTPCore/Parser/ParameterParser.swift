/// Parses ESMTP parameters of MAIL FROM and RCPT TO.
///
/// ```
/// Mail-parameters  = esmtp-param *(SP esmtp-param)
/// Rcpt-parameters  = esmtp-param *(SP esmtp-param)
/// esmtp-param    = esmtp-keyword ["=" esmtp-value]
/// esmtp-keyword  = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// esmtp-value    = 1*(%d33-60 / %d62-126)   ; RFC 6531 §3.3: =/ UTF8-non-ascii
/// ```
/// (RFC 5321 §4.1.2.) Keywords are case-insensitive. Unknown keywords give 555 5.5.4
/// (RFC 5321 §4.1.1.11), repeated keywords 501 5.5.4, bad values 501 5.5.4.
enum ParameterParser {
    /// One `keyword[=value]` pair with the keyword uppercased.
    struct RawParameter: Equatable {
        var keyword: String
        var value: [UInt8]?
    }

    /// Splits the parameter text (after the path and one SP) into keyword/value pairs.
    static func split(_ bytes: ArraySlice<UInt8>) throws(Reply) -> [RawParameter] {
        var parameters: [RawParameter] = []
        var seen: Set<String> = []
        for token in bytes.split(separator: ASCII.space, omittingEmptySubsequences: false) {
            guard let first = token.first, ASCII.isLetDig(first) else { throw Reply.parameterSyntax }
            let equals = token.firstIndex(of: ASCII.equals)
            let keywordBytes = token[token.startIndex..<(equals ?? token.endIndex)]
            guard keywordBytes.allSatisfy({ ASCII.isLetDig($0) || $0 == ASCII.hyphen }) else {
                throw Reply.parameterSyntax
            }
            var value: [UInt8]?
            if let equals {
                let valueBytes = token[(equals + 1)...]
                guard !valueBytes.isEmpty,
                      valueBytes.allSatisfy({ ($0 >= 33 && $0 <= 126 && $0 != ASCII.equals) || ASCII.isNonASCII($0) })
                else { throw Reply.parameterSyntax }
                value = Array(valueBytes)
            }
            let keyword = String(decoding: keywordBytes.map(ASCII.uppercased), as: UTF8.self)
            guard seen.insert(keyword).inserted else { throw Reply.duplicateParameter }
            parameters.append(RawParameter(keyword: keyword, value: value))
        }
        return parameters
    }

    /// Parses MAIL FROM parameters.
    static func parseMail(_ bytes: ArraySlice<UInt8>) throws(Reply) -> MailParameters {
        var result = MailParameters()
        for parameter in try split(bytes) {
            switch parameter.keyword {
            case "SIZE":
                result.size = try parseSize(parameter.value)
            case "BODY":
                // RFC 6152 §2 / RFC 3030 §3: body-value ::= "7BIT" / "8BITMIME" / "BINARYMIME"
                guard let value = parameter.value,
                      let body = BodyType(rawValue: upper(value)) else { throw Reply.parameterSyntax }
                result.body = body
            case "SMTPUTF8":
                // RFC 6531 §3.4: the parameter has no value.
                guard parameter.value == nil else { throw Reply.parameterSyntax }
                result.smtpUTF8 = true
            case "RET":
                // RFC 3461 §4.3: ret-value = "FULL" / "HDRS"
                guard let value = parameter.value,
                      let ret = DSNReturn(rawValue: upper(value)) else { throw Reply.parameterSyntax }
                result.ret = ret
            case "ENVID":
                // RFC 3461 §4.4: envid-value = xtext, at most 100 characters.
                guard let value = parameter.value, value.count <= SMTPLimits.envelopeID,
                      let decoded = XText.decode(value), ASCII.isValidUTF8(decoded) else {
                    throw Reply.parameterSyntax
                }
                result.envelopeID = String(decoding: decoded, as: UTF8.self)
            case "AUTH":
                // RFC 4954 §5: auth-param = "AUTH=" xtext  (the value may be "<>")
                guard let value = parameter.value, XText.isValid(value) else { throw Reply.parameterSyntax }
                result.auth = String(decoding: value, as: UTF8.self)
            default:
                throw Reply.parametersNotRecognized
            }
        }
        return result
    }

    /// Parses RCPT TO parameters.
    static func parseRcpt(_ bytes: ArraySlice<UInt8>) throws(Reply) -> RcptParameters {
        var result = RcptParameters()
        for parameter in try split(bytes) {
            switch parameter.keyword {
            case "NOTIFY":
                guard let value = parameter.value else { throw Reply.parameterSyntax }
                result.notify = try parseNotify(value)
            case "ORCPT":
                guard let value = parameter.value else { throw Reply.parameterSyntax }
                result.originalRecipient = try parseOriginalRecipient(value)
            default:
                throw Reply.parametersNotRecognized
            }
        }
        return result
    }

    /// `size-value ::= 1*20DIGIT` (RFC 1870 §4). Values past `Int.max` saturate, which
    /// is over any configured limit and so refused with 552 at MAIL.
    static func parseSize(_ value: [UInt8]?) throws(Reply) -> Int {
        guard let value, !value.isEmpty, value.count <= SMTPLimits.sizeDigits,
              value.allSatisfy(ASCII.isDigit) else { throw Reply.parameterSyntax }
        var size = 0
        for digit in value {
            let (times, overflowA) = size.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int(digit - 0x30))
            if overflowA || overflowB { return Int.max }
            size = sum
        }
        return size
    }

    /// `NOTIFY=` (RFC 3461 §4.1): comma-separated keywords, NEVER alone.
    static func parseNotify(_ value: [UInt8]) throws(Reply) -> DSNNotify {
        let items = value.split(separator: ASCII.comma, omittingEmptySubsequences: false)
        guard let notify = DSNNotify(keywords: items.map { String(decoding: $0, as: UTF8.self) }) else {
            throw Reply.parameterSyntax
        }
        return notify
    }

    /// `ORCPT=` (RFC 3461 §4.2): `addr-type ";" xtext`.
    static func parseOriginalRecipient(_ value: [UInt8]) throws(Reply) -> OriginalRecipient {
        guard let original = OriginalRecipient(xtext: value) else { throw Reply.parameterSyntax }
        return original
    }

    private static func upper(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.map(ASCII.uppercased), as: UTF8.self)
    }
}
