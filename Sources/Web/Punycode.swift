/// The Punycode encoder of RFC 3492, used to turn the Unicode labels of an
/// internationalised domain name into the ASCII form (`xn--…`) that DNS and
/// the directory use.
///
/// Only encoding is needed: the checker receives Unicode from visitors and
/// compares A-labels with the directory. Every step below follows RFC 3492 §6.3.
enum Punycode {
    // RFC 3492 §5: parameter values for Punycode.
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 0x80
    /// RFC 3492 §6.4: the encoder must detect overflow; we keep every
    /// intermediate value within 32 bits like a conforming C implementation.
    private static let maxInt = Int(UInt32.max)

    /// Encodes `scalars` (one label, already mapped and lower-cased) without the
    /// `xn--` prefix. Basic code points are copied in order, so `"3年B組"` keeps
    /// `3B` before the delimiter. Returns nil on overflow (only possible for
    /// input far longer than a DNS label).
    static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        let input = scalars.map { Int($0.value) }
        var output: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 {
            output.append(UInt8(ascii: "-"))
        }
        var n = initialN
        var delta = 0
        var bias = initialBias

        while handled < input.count {
            // The smallest code point not yet handled that is >= n.
            guard let m = input.filter({ $0 >= n }).min() else { return nil }
            guard m - n <= (maxInt - delta) / (handled + 1) else { return nil }
            delta += (m - n) * (handled + 1)
            n = m
            for codePoint in input {
                if codePoint < n {
                    delta += 1
                    guard delta <= maxInt else { return nil }
                }
                if codePoint == n {
                    // Emit delta as a generalised variable-length integer (RFC 3492 §3.3).
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta: delta, points: handled + 1, first: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// RFC 3492 §6.1: bias adaptation after each delta.
    private static func adapt(delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    /// RFC 3492 §5: digit values 0–25 are `a`–`z`, 26–35 are `0`–`9` (lower case,
    /// since A-labels are compared lower-cased anyway).
    private static func digit(_ value: Int) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }
}
