/// One bucket of a rate counter: what was added during `[start, start + bucketSeconds)`.
public struct CounterBucket: Sendable, Hashable {
    /// The bucket's start, seconds since 1970, aligned to the window's bucket width.
    public var start: Int
    /// The sum of the amounts added in the bucket.
    public var amount: Int

    /// Creates a bucket.
    public init(start: Int, amount: Int) {
        self.start = start
        self.amount = amount
    }
}
