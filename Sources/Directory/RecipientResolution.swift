/// What the directory says about a recipient address (RCPT TO).
public enum RecipientResolution: Sendable, Hashable {
    /// The domain is not hosted here: relay rules decide (RFC 5321 §3.6).
    case notHosted
    /// The domain is hosted but nobody is behind the address: 550 5.1.1.
    case unknownUser
    /// Mail is accepted. `mailboxes` are account addresses (as stored) that receive a
    /// local copy; `forwards` are outside addresses reached through aliases. At least
    /// one of the two is non-empty. Both are de-duplicated and sorted.
    case local(mailboxes: [String], forwards: [String])
}
