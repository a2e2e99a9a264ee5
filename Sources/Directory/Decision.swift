/// A session decision made at once when everything it needs is in memory (``CachedDirectory``,
/// ``BufferedAbuseStore``), or the async work that makes it.
///
/// Hopping from the event loop to Swift concurrency and back for every SMTP step cost
/// more than the decisions themselves. The services compose decisions with ``map(_:)`` and
/// ``flatMap(_:)``; an immediate result becomes a succeeded future on the channel's event loop,
/// and only deferred work starts a task.
///
/// A step that has side effects (counting a recipient) either performs them and answers
/// `.immediate`, or performs them in its deferred work: never both, so nothing is counted twice.
public enum Decision<Value: Sendable>: Sendable {
    /// Decided without I/O.
    case immediate(Value)
    /// Needs the store or the directory: run this.
    case deferred(@Sendable () async throws -> Value)

    /// The decision, running the deferred work when there is some.
    public var value: Value {
        get async throws {
            switch self {
            case .immediate(let value): return value
            case .deferred(let work): return try await work()
            }
        }
    }

    /// Whether the answer is known without I/O.
    public var isImmediate: Bool {
        if case .immediate = self { return true }
        return false
    }

    /// The decision with its value transformed.
    public func map<T: Sendable>(_ transform: @escaping @Sendable (Value) -> T) -> Decision<T> {
        switch self {
        case .immediate(let value): return .immediate(transform(value))
        case .deferred(let work): return .deferred { transform(try await work()) }
        }
    }

    /// The decision followed by another that depends on its value; immediate as long as both are.
    public func flatMap<T: Sendable>(_ next: @escaping @Sendable (Value) -> Decision<T>) -> Decision<T> {
        switch self {
        case .immediate(let value): return next(value)
        case .deferred(let work): return .deferred { try await next(try await work()).value }
        }
    }

    /// The decision with the deferred work's errors turned into a value.
    public func recover(_ handler: @escaping @Sendable (any Error) -> Value) -> Decision<Value> {
        switch self {
        case .immediate: return self
        case .deferred(let work):
            return .deferred {
                do { return try await work() } catch { return handler(error) }
            }
        }
    }
}
