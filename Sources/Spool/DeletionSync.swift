/// When the removal of a message from the spool must be on stable storage.
public enum DeletionSync: Sendable, Hashable {
    /// Before the deletion returns: a message an operator deleted never comes back.
    case now
    /// With the next commit's sync or the journal's next checkpoint, whichever comes first: for
    /// a message that was delivered. A crash before then brings it back once and delivers it
    /// again, which loses nothing (Postfix does not fsync the removal of a delivered queue file
    /// either); and a burst that is delivered while it is still arriving does not pay a second
    /// sync per message for its removals.
    case withNextCommit
}
