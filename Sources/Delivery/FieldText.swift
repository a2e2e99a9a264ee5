/// Text from a peer or an envelope (addresses, a remote server's reply) put into one field of
/// a line-oriented output: a DSN header field, a `queue list` column.
enum FieldText {
    /// Control characters (CR, LF, TAB, the other C0 controls and DEL) become spaces, so the
    /// value can neither end its line (forging a field) nor cross into the next tab-separated
    /// column.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}
