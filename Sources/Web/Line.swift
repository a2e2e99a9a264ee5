import Policy

/// The visitor's internet line, as the notice distinguishes it.
public enum Line: String, Sendable, Hashable, Codable, CaseIterable {
    /// One of this ISP's access networks with OP25B on: port 25 to the
    /// internet is blocked, except to the ISP's mail hosts.
    case isp
    /// Any other provider's line (mobile, hotel Wi-Fi, another ISP).
    case other
}

/// How the checker knows the visitor's line.
public struct LineDetection: Sendable, Hashable {
    /// Where the answer came from.
    public enum Source: String, Sendable, Hashable, Codable {
        /// From the client address and the access networks.
        case detected
        /// The visitor said so (the override on the form, `line=` in the API).
        case chosen
    }

    /// The line the answer is for.
    public var line: Line
    /// Detected or chosen.
    public var source: Source
    /// The client address the detection used; nil when the visitor chose, or
    /// when no address was known (then the line counts as another provider's).
    public var clientAddress: IPAddress?

    public init(line: Line, source: Source, clientAddress: IPAddress?) {
        self.line = line
        self.source = source
        self.clientAddress = clientAddress
    }
}
