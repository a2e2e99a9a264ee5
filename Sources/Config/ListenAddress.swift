/// A `host:port` a listener binds to, as written in the configuration.
///
/// Accepted forms: `127.0.0.1:2525`, `[::1]:2525`, `:25` (every address).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; returns a description of what is wrong otherwise.
    public static func parse(_ text: String) -> Result<ListenAddress, ConfigurationProblem> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(.init("\"\(text)\" is not [IPv6]:port"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(.init("\"\(text)\" has no port; write host:port, e.g. 127.0.0.1:2525"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            return .failure(.init("\"\(text)\": port must be a number from 0 to 65535"))
        }
        return .success(ListenAddress(host: host.isEmpty ? "::" : String(host), port: port))
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
