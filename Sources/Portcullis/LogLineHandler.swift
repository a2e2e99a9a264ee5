import Foundation
import Logging
import SMTPCore
import Synchronization

/// The server's log lines on standard error, in swift-log's stream format
/// (`<time> <level> <label>: <key=value …> [<module>] <message>`), made for a log line per
/// message at thousands of messages a second: the timestamp text is formatted once per second
/// (strftime and the time-zone lookup were most of the cost), and each line is one write(2),
/// so lines from concurrent threads never interleave. Nothing a peer sends can add a line
/// (``lineSafe(_:)``).
struct LogLineHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        var text = Self.clock.text()
        text += " \(event.level) \(label):"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(Self.lineSafe("\(value)"))" }
        text += " [\(event.source)] \(Self.lineSafe("\(event.message)"))\n"
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // nowhere to report a failing stderr
                offset += written
            }
        }
    }

    /// One event is one line, whatever a call site forgot: a value that still holds a control
    /// character (text from a peer not wrapped in ``LoggedText``) is escaped here with the same
    /// rule. Values that went through ``LoggedText`` have none and are written as they are.
    static func lineSafe(_ text: String) -> String {
        LoggedText.isLineSafe(text) ? text : LoggedText(text, limit: .max).description
    }

    private static let clock = SecondClock()

    /// The local time as `%Y-%m-%dT%H:%M:%S%z`, reformatted when the second changes.
    final class SecondClock: Sendable {
        private let cached = Mutex<(second: time_t, text: String)>((-1, ""))

        func text() -> String {
            var now = time(nil)
            return cached.withLock { cached in
                if cached.second != now {
                    var parts = tm()
                    localtime_r(&now, &parts)
                    var buffer = [CChar](repeating: 0, count: 64)
                    let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
                    cached = (now, String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
                return cached.text
            }
        }
    }
}
