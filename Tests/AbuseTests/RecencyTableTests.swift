@testable import Abuse
import Testing

@Suite struct RecencyTableTests {
    @Test func evictsTheLeastRecentlySetEntryOnlyWhenANewKeyArrivesAtAFullTable() {
        var table = RecencyTable<String, Int>(capacity: 3)
        table.set("a", 1)
        table.set("b", 2)
        table.set("c", 3)
        table.set("b", 20)          // updating an existing key evicts nothing and makes it the newest
        #expect(table.count == 3)
        table.set("d", 4)           // full: "a" is the least recent
        #expect(table.peek("a") == nil)
        #expect([table.peek("b"), table.peek("c"), table.peek("d")] == [20, 3, 4])
        table.set("e", 5)           // now "c"
        #expect(table.peek("c") == nil)
        #expect(table.count == 3)
    }

    @Test func removingAnEntryKeepsTheOrderOfTheOthers() {
        var table = RecencyTable<String, Int>(capacity: 3)
        table.set("a", 1)
        table.set("b", 2)
        table.set("c", 3)
        table.remove("b")           // from the middle
        table.remove("missing")
        table.set("d", 4)           // room again: nothing evicted
        #expect([table.peek("a"), table.peek("c"), table.peek("d")] == [1, 3, 4])
        table.set("e", 5)           // "a" is still the least recent
        #expect(table.peek("a") == nil)
        table.remove("e")           // the newest
        table.remove("c")           // the oldest
        table.set("f", 6)
        table.set("g", 7)
        table.set("h", 8)           // "d" is the oldest left
        #expect(table.peek("d") == nil)
        #expect([table.peek("f"), table.peek("g"), table.peek("h")] == [6, 7, 8])
    }

    @Test func peekDoesNotRefreshAnEntry() {
        var table = RecencyTable<String, Int>(capacity: 2)
        table.set("a", 1)
        table.set("b", 2)
        _ = table.peek("a")
        table.set("c", 3)
        #expect(table.peek("a") == nil && table.peek("b") == 2)
    }
}
