/// Why a TOML document was refused, and where: 1-based line and column (in Unicode scalars).
public struct TOMLParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The document ends inside a construct: an unterminated string, array or inline table.
        case incomplete
        /// Bytes that TOML 1.0 does not allow here.
        case invalid
        /// Well-formed so far, but over a limit of `TOMLParser.Limits`.
        case limitExceeded
    }

    public var kind: Kind
    public var line: Int
    public var column: Int
    public var message: String

    public init(kind: Kind, line: Int, column: Int, message: String) {
        self.kind = kind
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
