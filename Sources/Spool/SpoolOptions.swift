import Foundation

/// Tuning for the commit journal.
public struct SpoolOptions: Sendable {
    /// A journal segment is closed and checkpointed once it holds this many octets.
    public var maximumSegmentBytes: UInt64
    /// …or once it is this old (seconds), so an idle server does not keep an old journal.
    public var maximumSegmentAge: TimeInterval

    /// Defaults: 64 MiB or 5 seconds, whichever comes first. Recovery replays at most this much.
    public init(maximumSegmentBytes: UInt64 = 64 * 1024 * 1024, maximumSegmentAge: TimeInterval = 5) {
        self.maximumSegmentBytes = maximumSegmentBytes
        self.maximumSegmentAge = maximumSegmentAge
    }
}
