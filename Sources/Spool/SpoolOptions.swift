import Foundation
import Instruments

/// Tuning for the commit journal.
public struct SpoolOptions: Sendable {
    /// A journal segment is closed and checkpointed once it holds this many octets.
    public var maximumSegmentBytes: UInt64
    /// …or once it is this old (seconds), so an idle server does not keep an old journal.
    public var maximumSegmentAge: TimeInterval
    /// A closed segment whose messages are not all delivered yet is checkpointed (the rest
    /// copied out to `queue/`) once it has been closed this long (seconds). Until then it is
    /// kept, so mail delivered within this time never gets files of its own.
    public var maximumResidentAge: TimeInterval
    /// Below this many free octets on the spool's file system new mail is refused
    /// (``Spool/freeSpace``); 0 switches the check off.
    public var minimumFreeSpace: UInt64 = 0
    /// Times each group commit (``GroupCommitter``).
    public var instruments = PortcullisInstruments.disabled.spool

    /// Defaults: segments of 64 MiB or 5 seconds, whichever comes first, kept up to 30 seconds
    /// more for their messages' delivery. Recovery replays at most that much.
    public init(maximumSegmentBytes: UInt64 = 64 * 1024 * 1024, maximumSegmentAge: TimeInterval = 5,
                maximumResidentAge: TimeInterval = 30) {
        self.maximumSegmentBytes = maximumSegmentBytes
        self.maximumSegmentAge = maximumSegmentAge
        self.maximumResidentAge = maximumResidentAge
    }
}
