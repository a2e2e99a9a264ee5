import Directory

/// The compromised-account test: has the account's sending jumped far above
/// its normal?
///
/// "Recent" is the recipients of the last `burstWindowSeconds`; "normal" is the average number
/// of recipients per hour over the `burstBaselineHours` before that. The account is held when
/// recent > max(`burstMinimumRecipients`, `burstFactor` × hourly average): a quiet account is
/// held past the fixed minimum, a busy one only when it multiplies its usual volume. Recipients
/// sent before the account was last released are not counted, or a release would trip the hold
/// again at once.
///
/// A pure function of the recipient buckets (1-minute buckets of the recipients counter).
public struct BurstRule: Sendable, Hashable {
    /// The window of the recent count, seconds.
    public var windowSeconds: Int
    /// The baseline, hours.
    public var baselineHours: Int
    /// The fixed minimum threshold.
    public var minimumRecipients: Int
    /// The multiple of the hourly average.
    public var factor: Int

    /// The verdict and its numbers (for the log and the postmaster notice).
    public struct Evaluation: Sendable, Hashable {
        /// Recipients in the recent window.
        public var recent: Int
        /// The threshold they were compared with.
        public var threshold: Int
        /// The hourly average of the baseline.
        public var hourlyAverage: Double
        /// Whether the account must be held.
        public var isBurst: Bool { recent > threshold }
    }

    /// The rule of the abuse settings.
    public init(_ settings: AbuseSettings) {
        self.init(windowSeconds: settings.burstWindowSeconds, baselineHours: settings.burstBaselineHours,
                  minimumRecipients: settings.burstMinimumRecipients, factor: settings.burstFactor)
    }

    /// A rule with explicit numbers.
    public init(windowSeconds: Int, baselineHours: Int, minimumRecipients: Int, factor: Int) {
        self.windowSeconds = max(1, windowSeconds)
        self.baselineHours = max(1, baselineHours)
        self.minimumRecipients = max(0, minimumRecipients)
        self.factor = max(1, factor)
    }

    /// How far back the buckets must reach (seconds before `now`).
    public var lookbackSeconds: Int { windowSeconds + baselineHours * 3600 }

    /// Evaluates the account's recipient buckets at `now` (seconds since 1970). `bucketSeconds`
    /// is the buckets' width; `releasedAt` the last release, if any.
    public func evaluate(_ buckets: [CounterBucket], bucketSeconds: Int, now: Int, releasedAt: Int? = nil) -> Evaluation {
        let recentWindow = SlidingWindow(windowSeconds: windowSeconds, bucketSeconds: bucketSeconds)
        let recentStart = recentWindow.countedAfter(now: now)
        let baselineStart = recentStart - baselineHours * 3600
        // A bucket that holds the release instant also holds sends from before it: skip it.
        let releaseBucket = releasedAt.map { recentWindow.bucket(containing: $0) }
        var recent = 0
        var baseline = 0
        for bucket in buckets {
            if let releaseBucket, bucket.start <= releaseBucket { continue }
            if bucket.start > recentStart {
                if bucket.start <= now { recent += bucket.amount }
            } else if bucket.start > baselineStart {
                baseline += bucket.amount
            }
        }
        let average = Double(baseline) / Double(baselineHours)
        let scaled = Double(factor) * average
        let threshold = max(minimumRecipients, scaled >= Double(Int.max) ? Int.max : Int(scaled.rounded(.up)))
        return Evaluation(recent: recent, threshold: threshold, hourlyAverage: average)
    }
}
