/// A dictionary with a fixed capacity that forgets its least recently touched entry when a new
/// one would not fit.
///
/// Used for per-client state kept in memory (``AuthFailureDelay``): under a flood of distinct
/// clients the table stays bounded, and the clients seen recently, the ones still being
/// slowed down, keep their state. Every operation is O(1): the entries form a doubly linked
/// list in recency order, threaded through the dictionary by key (oldest at `oldest`).
struct RecencyTable<Key: Hashable, Value> {
    fileprivate struct Node {
        var value: Value
        var older: Key?
        var newer: Key?
    }

    /// How many entries the table keeps.
    let capacity: Int
    private var nodes: [Key: Node] = [:]
    private var oldest: Key?
    private var newest: Key?

    init(capacity: Int) {
        precondition(capacity > 0, "a RecencyTable needs room for one entry")
        self.capacity = capacity
        nodes.reserveCapacity(min(capacity, 1024))
    }

    /// The number of entries.
    var count: Int { nodes.count }

    /// The value for `key`, without touching its recency.
    func peek(_ key: Key) -> Value? {
        nodes[key]?.value
    }

    /// Stores `value` for `key` as the most recent entry; when `key` is new and the table is
    /// full, the least recent entry is dropped first.
    mutating func set(_ key: Key, _ value: Value) {
        if nodes[key] != nil {
            unlink(key)
        } else if nodes.count >= capacity, let victim = oldest {
            unlink(victim)
            nodes[victim] = nil
        }
        nodes[key] = Node(value: value, older: newest, newer: nil)
        if let previous = newest { nodes[previous]?.newer = key }
        newest = key
        if oldest == nil { oldest = key }
    }

    /// Removes `key`'s entry, if any.
    mutating func remove(_ key: Key) {
        guard nodes[key] != nil else { return }
        unlink(key)
        nodes[key] = nil
    }

    /// Takes `key` out of the recency list (its node stays in `nodes`).
    private mutating func unlink(_ key: Key) {
        guard let node = nodes[key] else { return }
        if let older = node.older { nodes[older]?.newer = node.newer } else { oldest = node.newer }
        if let newer = node.newer { nodes[newer]?.older = node.older } else { newest = node.older }
        nodes[key]?.older = nil
        nodes[key]?.newer = nil
    }
}

extension RecencyTable: Sendable where Key: Sendable, Value: Sendable {}

extension RecencyTable.Node: Sendable where Key: Sendable, Value: Sendable {}
