import Config

/// The TOML configuration file: an administrator's file, read by every command. A broken
/// file must give a `ConfigurationError` (one line on stderr), never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    do {
        _ = try Configuration.parse(text, file: "fuzz.toml", dataDirectory: "/nonexistent/portcullis-fuzz")
    } catch {
        _ = String(describing: error)
    }
    return 0
}
