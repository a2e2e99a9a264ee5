/// A table while the document is parsed: mutable, shared by reference between the header
/// that opened it and the dotted keys that add to it, and marked with how it came to exist,
/// which decides what may still add to it (TOML 1.0 §Table, §Array of Tables).
///
/// Values that can no longer change (scalars, arrays written with `[…]`, inline tables) are
/// already final `TOMLValue`s; only tables and arrays of tables stay open until `build()`.
final class TOMLTableBuilder {
    enum Origin {
        /// Created as a parent in a header's key: `[a.b]` creates `a`, which a later `[a]` may
        /// still define, once.
        case implicit
        /// Defined by its own `[header]`, or an element of `[[header]]`, or the root.
        case header
        /// Created by a dotted key (`a.b = 1` creates `a`): more dotted keys may add to it, a
        /// header may add sub-tables to it but never define it.
        case dotted
    }

    enum Entry {
        /// A value that nothing may add to any more.
        case value(TOMLValue)
        case table(TOMLTableBuilder)
        case arrayOfTables(ArrayOfTables)
    }

    /// A class, so that appending an element does not copy the array held by the parent.
    final class ArrayOfTables {
        var tables: [TOMLTableBuilder]

        init(_ first: TOMLTableBuilder) { tables = [first] }
    }

    var origin: Origin
    /// How far below the root, counting each table and array level: bounded by
    /// `TOMLParser.Limits.maxDepth`, so that building and comparing values never recurse
    /// without bound.
    let depth: Int
    private var keys: [String] = []
    private var entries: [String: Entry] = [:]

    init(origin: Origin, depth: Int) {
        self.origin = origin
        self.depth = depth
    }

    subscript(key: String) -> Entry? { entries[key] }

    /// Adds a key the table does not hold yet.
    func insert(_ key: String, _ entry: Entry) {
        keys.append(key)
        entries[key] = entry
    }

    func build() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            switch entries[key]! {
            case .value(let value):
                table.append(key, value)
            case .table(let child):
                table.append(key, .table(child.build()))
            case .arrayOfTables(let array):
                table.append(key, .array(array.tables.map { .table($0.build()) }))
            }
        }
        return table
    }
}
