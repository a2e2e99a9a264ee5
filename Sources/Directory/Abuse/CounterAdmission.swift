/// The answer of ``AbuseStore/add(_:to:at:window:limit:)``: whether the amount was added, and
/// the buckets that counted at that moment (after the addition when it was admitted).
public struct CounterAdmission: Sendable, Hashable {
    /// Whether the amount fitted under the limit and was recorded.
    public var admitted: Bool
    /// The counter's buckets inside the window.
    public var buckets: [CounterBucket]

    /// Creates an admission result.
    public init(admitted: Bool, buckets: [CounterBucket]) {
        self.admitted = admitted
        self.buckets = buckets
    }
}
