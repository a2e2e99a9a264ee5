/// A longest-prefix-match table: prefixes of both families mapped to values.
///
/// One hash map per (family, length), so a lookup costs one probe per
/// distinct prefix length in use (at most 33 + 129), whatever the number of
/// prefixes. The policy checks 100,000 subscriber prefixes for overlaps and
/// answers per-connection questions from the port-25 service with it.
struct PrefixTable<Value: Sendable>: Sendable {
    private var buckets: [IPAddress.Family: [Int: [UInt128: Value]]] = [:]
    /// Lengths in use per family, longest first.
    private var lengths: [IPAddress.Family: [Int]] = [:]

    init() {}

    var isEmpty: Bool { buckets.isEmpty }

    /// Stores `value` for `prefix`; returns the value already stored for exactly that prefix, if any,
    /// and leaves it in place.
    @discardableResult
    mutating func insert(_ prefix: IPPrefix, _ value: Value) -> Value? {
        if let existing = buckets[prefix.family]?[prefix.length]?[prefix.address.value] {
            return existing
        }
        if buckets[prefix.family]?[prefix.length] == nil {
            var familyLengths = lengths[prefix.family] ?? []
            familyLengths.append(prefix.length)
            familyLengths.sort(by: >)
            lengths[prefix.family] = familyLengths
        }
        buckets[prefix.family, default: [:]][prefix.length, default: [:]][prefix.address.value] = value
        return nil
    }

    /// The value stored for exactly `prefix`.
    subscript(exactly prefix: IPPrefix) -> Value? {
        buckets[prefix.family]?[prefix.length]?[prefix.address.value]
    }

    /// Every stored prefix that contains `address`, longest (most specific) first.
    /// An IPv4-mapped IPv6 address is looked up as its IPv4 address.
    func matches(_ address: IPAddress) -> [(prefix: IPPrefix, value: Value)] {
        matches(IPPrefix(host: address.unmappingIPv4), shorterThan: Int.max)
    }

    /// The most specific stored prefix containing `address`.
    func longestMatch(_ address: IPAddress) -> (prefix: IPPrefix, value: Value)? {
        let address = address.unmappingIPv4
        guard let familyBuckets = buckets[address.family] else { return nil }
        for length in lengths[address.family] ?? [] {
            guard let candidate = IPPrefix(containing: address, length: length) else { continue }
            if let value = familyBuckets[length]?[candidate.address.value] {
                return (candidate, value)
            }
        }
        return nil
    }

    /// Stored prefixes that contain all of `prefix` and are strictly shorter
    /// than `limit` bits, longest first. `limit` = `prefix.length` finds the
    /// entries that strictly enclose `prefix`.
    func matches(_ prefix: IPPrefix, shorterThan limit: Int) -> [(prefix: IPPrefix, value: Value)] {
        guard let familyBuckets = buckets[prefix.family] else { return [] }
        var found: [(prefix: IPPrefix, value: Value)] = []
        for length in lengths[prefix.family] ?? [] where length <= prefix.length && length < limit {
            guard let candidate = IPPrefix(containing: prefix.address, length: length) else { continue }
            if let value = familyBuckets[length]?[candidate.address.value] {
                found.append((candidate, value))
            }
        }
        return found
    }
}
