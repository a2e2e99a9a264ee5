/// A property-list value and its XML serialisation (Apple's
/// `-//Apple//DTD PLIST 1.0//EN`), enough for configuration profiles.
///
/// Written here instead of using Foundation's serialiser so the output is the
/// same on every platform and every string goes through ``MarkupText/escape(_:)``.
indirect enum PropertyList: Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case array([PropertyList])
    /// Keys in the order given (plists do not require sorted keys; we keep
    /// them readable).
    case dictionary([(String, PropertyList)])

    /// The complete document with XML declaration and DOCTYPE.
    func xmlDocument() -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0">

            """
        write(to: &out, indent: 0)
        out += "</plist>\n"
        return out
    }

    private func write(to out: inout String, indent: Int) {
        let pad = String(repeating: "\t", count: indent)
        switch self {
        case .string(let value):
            out += "\(pad)<string>\(MarkupText.escape(value))</string>\n"
        case .integer(let value):
            out += "\(pad)<integer>\(value)</integer>\n"
        case .bool(let value):
            out += "\(pad)\(value ? "<true/>" : "<false/>")\n"
        case .array(let values):
            out += "\(pad)<array>\n"
            for value in values { value.write(to: &out, indent: indent + 1) }
            out += "\(pad)</array>\n"
        case .dictionary(let entries):
            out += "\(pad)<dict>\n"
            for (key, value) in entries {
                out += "\(pad)\t<key>\(MarkupText.escape(key))</key>\n"
                value.write(to: &out, indent: indent + 1)
            }
            out += "\(pad)</dict>\n"
        }
    }
}
