import Foundation
import Testing
@testable import Spool

/// The free-space check behind `452 4.3.1` at MAIL, against the real file system.
@Suite struct FreeSpaceGaugeTests {
    @Test func roomDependsOnTheMinimumAndTheDeclaredSize() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var stats = statvfs()
        try #require(statvfs(folder.path, &stats) == 0)
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        try #require(free > 1 << 20)

        #expect(FreeSpaceGauge(path: folder.path, minimum: 0).hasRoom(for: UInt64.max))
        #expect(FreeSpaceGauge(path: folder.path, minimum: 1).hasRoom())
        #expect(!FreeSpaceGauge(path: folder.path, minimum: free * 4).hasRoom())
        let gauge = FreeSpaceGauge(path: folder.path, minimum: 1 << 20)
        #expect(gauge.hasRoom(for: 1024))
        #expect(!gauge.hasRoom(for: free * 4), "a declared SIZE that would leave less than the minimum")
    }

    @Test func aReadingIsReusedWithinTheRefreshInterval() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let gauge = FreeSpaceGauge(path: folder.path, minimum: 1, refreshInterval: 3600)
        let first = try #require(gauge.freeSpace())
        // 4 MiB written: a fresh statvfs would see less, the cached reading does not.
        try Data(count: 4 << 20).write(to: URL(fileURLWithPath: folder.path + "/filler"))
        #expect(gauge.freeSpace() == first)
    }
}
