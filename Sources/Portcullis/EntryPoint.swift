import Dispatch

/// The program's entry point: the command runs on the concurrency pool while the main thread
/// waits for it.
///
/// Why not `@main` on the async command itself: Swift's async main gives the main thread to
/// `dispatch_main()`, which ends it (pthread_exit). When `serve` gives up root
/// (``ServiceUser/becomeForGood()``), setuid changes every live thread but cannot change an
/// ended one, and the kernel keeps the ended main thread as the process's leader: its
/// credentials are what `/proc/PID/status`, `ps` and permission checks on the process see, so
/// the server would still look like (and be signalled as) root. A main thread that stays,
/// blocked here, takes part in the drop like every other thread.
@main
enum EntryPoint {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await Portcullis.main()
            finished.signal()
        }
        finished.wait()
    }
}
