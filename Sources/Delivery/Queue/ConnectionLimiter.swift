/// Bounds remote connections: at most `global` at once, and `perDestination` to any one
/// destination. Waiters are served in arrival order among those that fit.
actor ConnectionLimiter {
    private let global: Int
    private let perDestination: Int
    private var active = 0
    private var activeByKey: [String: Int] = [:]
    private var waiters: [(key: String, continuation: CheckedContinuation<Void, Never>)] = []

    init(global: Int, perDestination: Int) {
        self.global = max(1, global)
        self.perDestination = max(1, perDestination)
    }

    /// Waits for a slot for `key`.
    func acquire(_ key: String) async {
        if fits(key) {
            take(key)
            return
        }
        await withCheckedContinuation { continuation in
            waiters.append((key, continuation))
        }
    }

    /// Gives back a slot taken for `key` and lets waiting tasks in.
    func release(_ key: String) {
        active -= 1
        activeByKey[key, default: 1] -= 1
        if activeByKey[key] == 0 { activeByKey[key] = nil }
        var index = 0
        while index < waiters.count {
            let waiter = waiters[index]
            if fits(waiter.key) {
                take(waiter.key)
                waiters.remove(at: index)
                waiter.continuation.resume()
            } else {
                index += 1
            }
        }
    }

    /// Connections open now (tests).
    var activeCount: Int { active }

    private func fits(_ key: String) -> Bool {
        active < global && activeByKey[key, default: 0] < perDestination
    }

    private func take(_ key: String) {
        active += 1
        activeByKey[key, default: 0] += 1
    }
}
