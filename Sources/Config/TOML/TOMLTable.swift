/// A TOML table: keys in the order the document defines them, each once.
public struct TOMLTable: Hashable, Sendable {
    /// The keys in document order.
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]

    public init() {}

    /// A table of `entries` in their order; a key given twice is a programming error.
    public init(_ entries: some Sequence<(String, TOMLValue)>) {
        for (key, value) in entries {
            precondition(values[key] == nil, "TOMLTable: key \(key) given twice")
            append(key, value)
        }
    }

    public subscript(key: String) -> TOMLValue? { values[key] }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The entries in document order.
    public var entries: [(key: String, value: TOMLValue)] { keys.map { ($0, values[$0]!) } }

    /// Adds a key the table does not hold yet (the parser has checked that).
    mutating func append(_ key: String, _ value: TOMLValue) {
        keys.append(key)
        values[key] = value
    }
}

extension TOMLTable: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, TOMLValue)...) {
        self.init(elements)
    }
}
