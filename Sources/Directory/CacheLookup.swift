/// The answer of a synchronous look-up in a cache: the value when it is in memory, or a miss
/// (the caller then asks the backing store, asynchronously).
///
/// An enum rather than an optional because the cached value may itself be optional ("no block
/// on this address" is a hit whose value is nil).
public enum CacheLookup<Value: Sendable>: Sendable {
    /// The value is known without I/O.
    case hit(Value)
    /// Not in memory (or expired): ask the store.
    case miss
}

extension CacheLookup: Equatable where Value: Equatable {}
