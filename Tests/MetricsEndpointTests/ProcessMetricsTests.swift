import MetricsEndpoint
import Testing

struct ProcessMetricsTests {
    // proc(5): pid (comm) state ppid … utime(14) stime(15) … starttime(22) vsize(23) rss(24).
    static let stat = "4242 (portcullis (x)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 150 0 0 20 0 9 0 5000 1048576000 2560 18446744073709551615 1 1 0 0 0 0 0 4096 17007 0 0 0 17 1 0 0 0 0 0\n"
    static let systemStat = "cpu  1 2 3 4\nbtime 1796000000\nprocesses 10\n"

    @Test func readsCPUMemoryAndStartTime() throws {
        let metrics = try #require(ProcessMetrics(stat: Self.stat, systemStat: Self.systemStat, ticksPerSecond: 100,
                                                  pageSize: 4096, openFileDescriptors: 17, maxFileDescriptors: 1024))
        #expect(metrics.cpuSeconds == 4.0)
        #expect(metrics.residentMemoryBytes == 2560 * 4096)
        #expect(metrics.virtualMemoryBytes == 1_048_576_000)
        #expect(metrics.startTimeSeconds == 1_796_000_050)
        #expect(metrics.exposition.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 4.0\n"))
        #expect(metrics.exposition.contains("process_open_fds 17\n"))
    }

    @Test(arguments: ["", "4242 (portcullis) S 1", "no parenthesis at all"])
    func refusesWhatIsNotAStatLine(stat: String) {
        #expect(ProcessMetrics(stat: stat, systemStat: Self.systemStat, ticksPerSecond: 100, pageSize: 4096,
                               openFileDescriptors: 0, maxFileDescriptors: 0) == nil)
    }

    @Test func refusesASystemStatWithoutBootTime() {
        #expect(ProcessMetrics(stat: Self.stat, systemStat: "cpu 1 2 3\n", ticksPerSecond: 100, pageSize: 4096,
                               openFileDescriptors: 0, maxFileDescriptors: 0) == nil)
    }

    @Test func readsThisProcess() throws {
        let metrics = try #require(ProcessMetrics.current())
        #expect(metrics.residentMemoryBytes > 0)
        #expect(metrics.openFileDescriptors > 0)
        #expect(metrics.startTimeSeconds > 1_500_000_000)
    }
}
