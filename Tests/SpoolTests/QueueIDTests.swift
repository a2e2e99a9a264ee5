import Foundation
import Testing
@testable import Spool

@Suite("Queue IDs")
struct QueueIDTests {
    @Test("IDs are 14 file-name-safe characters and parse back")
    func format() throws {
        let id = QueueIDGenerator().next()
        #expect(id.rawValue.count == QueueID.length)
        #expect(id.rawValue.utf8.allSatisfy { QueueID.alphabet.contains($0) })
        #expect(QueueID(id.rawValue) == id)
        #expect(abs(id.timestamp.timeIntervalSinceNow) < 60)
    }

    @Test("text that is not an ID is refused", arguments: [
        "", "../../etc/pass", "0000000000000/", "0000000000000I", "00000000000000A", "0000000000000", "000000000000a0",
    ])
    func invalid(text: String) {
        #expect(QueueID(text) == nil)
    }

    @Test("100,000 IDs are unique and already in sorted order")
    func uniqueAndSorted() {
        let generator = QueueIDGenerator()
        let ids = (0..<100_000).map { _ in generator.next() }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(Set(ids.map(\.rawValue)).count == ids.count)
    }

    @Test("IDs stay increasing when the clock stands still or goes back")
    func logicalClock() {
        final class Clock: @unchecked Sendable { var now = Date(timeIntervalSince1970: 1_800_000_000) }
        let clock = Clock()
        let generator = QueueIDGenerator(clock: { clock.now })
        var ids: [QueueID] = []
        // More than one millisecond's counter (32,768) with a frozen clock.
        for _ in 0..<40_000 { ids.append(generator.next()) }
        clock.now = Date(timeIntervalSince1970: 1_700_000_000)  // backwards
        for _ in 0..<10 { ids.append(generator.next()) }
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(ids.first!.timestamp == Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("IDs from concurrent callers are unique")
    func concurrent() async {
        let generator = QueueIDGenerator()
        let ids = await withTaskGroup(of: [QueueID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<5_000).map { _ in generator.next() } } }
            return await group.reduce(into: [QueueID]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 40_000)
    }
}
