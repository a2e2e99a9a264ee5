/// Indentation and blank lines for the rendered scripts.
struct ScriptWriter {
    private(set) var text = ""
    private var depth = 0
    private var needsGap = false

    mutating func raw(_ string: String) { text += string }

    mutating func line(_ string: String) {
        if string.isEmpty {
            text += "\n"
            return
        }
        text += String(repeating: "\t", count: depth) + string + "\n"
    }

    /// A comment introducing the next block, separated from the previous block by a blank line.
    mutating func comment(_ string: String) {
        if needsGap {
            text += "\n"
            needsGap = false
        }
        line("# " + string)
    }

    mutating func open(_ string: String) {
        if needsGap {
            text += "\n"
            needsGap = false
        }
        line(string)
        depth += 1
    }

    mutating func close(_ string: String) {
        depth -= 1
        line(string)
        needsGap = depth == 1
    }
}
