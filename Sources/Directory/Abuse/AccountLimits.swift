/// Per-account overrides of the `[abuse]` rate limits; nil means "the configured default".
///
/// Set with `portcullis user limits ADDRESS --messages-per-hour N --recipients-per-day N`.
/// Zero means no limit for that account.
public struct AccountLimits: Sendable, Hashable {
    /// Messages per sliding hour.
    public var messagesPerHour: Int?
    /// Recipients per sliding day.
    public var recipientsPerDay: Int?

    /// Creates overrides.
    public init(messagesPerHour: Int? = nil, recipientsPerDay: Int? = nil) {
        self.messagesPerHour = messagesPerHour
        self.recipientsPerDay = recipientsPerDay
    }

    /// No overrides.
    public static let none = AccountLimits()
}
