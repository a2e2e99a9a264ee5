#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` metrics (as Prometheus's own clients name them), read from
/// `/proc` at each scrape: CPU time, memory, descriptors and the start time.
public struct ProcessMetrics: Sendable, Hashable {
    public var cpuSeconds: Double
    public var residentMemoryBytes: Int
    public var virtualMemoryBytes: Int
    public var openFileDescriptors: Int
    public var maxFileDescriptors: Int
    public var startTimeSeconds: Double

    /// Parses `/proc/self/stat` and the `btime` line of `/proc/stat`; nil when either does
    /// not look as proc(5) describes.
    ///
    /// - Parameters:
    ///   - ticksPerSecond: `sysconf(_SC_CLK_TCK)`, the unit of the CPU and start times.
    ///   - pageSize: `sysconf(_SC_PAGESIZE)`, the unit of the resident set size.
    public init?(stat: String, systemStat: String, ticksPerSecond: Int, pageSize: Int,
                 openFileDescriptors: Int, maxFileDescriptors: Int) {
        // The command name (field 2) is in parentheses and may hold spaces or ')': the
        // fields after the last ')' start with field 3, the state.
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field n (1-based, as proc(5) numbers them) is fields[n - 3].
        func field(_ n: Int) -> Double? { fields.count > n - 3 ? Double(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22),
              let vsize = field(23), let rss = field(24) else { return nil }
        guard let btimeLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let bootTime = Double(btimeLine.dropFirst("btime ".count)) else { return nil }
        let ticks = Double(ticksPerSecond)
        cpuSeconds = (utime + stime) / ticks
        residentMemoryBytes = Int(rss) * pageSize
        virtualMemoryBytes = Int(vsize)
        self.openFileDescriptors = openFileDescriptors
        self.maxFileDescriptors = maxFileDescriptors
        startTimeSeconds = bootTime + start / ticks
    }

    /// This process's metrics now, or nil where `/proc` is not there.
    public static func current() -> ProcessMetrics? {
        guard let stat = readFile("/proc/self/stat"), let systemStat = readFile("/proc/stat") else { return nil }
        var limit = rlimit()
        let maxFDs = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(limit.rlim_cur) : 0
        return ProcessMetrics(stat: stat, systemStat: systemStat, ticksPerSecond: sysconf(Int32(_SC_CLK_TCK)),
                              pageSize: sysconf(Int32(_SC_PAGESIZE)), openFileDescriptors: countOpenDescriptors(),
                              maxFileDescriptors: maxFDs)
    }

    /// The exposition of these metrics (text format 0.0.4).
    public var exposition: String {
        func family(_ name: String, _ type: String, _ help: String, _ value: String) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        return family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", "\(cpuSeconds)")
            + family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "\(residentMemoryBytes)")
            + family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", "\(virtualMemoryBytes)")
            + family("process_open_fds", "gauge", "Number of open file descriptors.", "\(openFileDescriptors)")
            + family("process_max_fds", "gauge", "Maximum number of open file descriptors.", "\(maxFileDescriptors)")
            + family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", "\(startTimeSeconds)")
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The entries of /proc/self/fd, less the one `opendir` holds while counting.
    private static func countOpenDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return max(0, count - 1)
    }
}
