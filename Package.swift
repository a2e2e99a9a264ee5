// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portcullis", targets: ["Portcullis"]),
        .executable(name: "portcullis-loadgen", targets: ["Loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Protocol core: grammar, parser, replies, session state machine. No I/O, no dependencies.
        .target(name: "SMTPCore"),
        // OP25B and relay policy: pure values and decisions.
        .target(name: "Policy", dependencies: ["SMTPCore"]),
        // libxcrypt, for yescrypt/bcrypt/sha512-crypt password hashes.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        // The bounded thread pool that blocking work (hashing, fsync, libresolv) is handed to.
        .target(name: "BlockingWork", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Directory", dependencies: [
            "CCrypt", "SMTPCore", "Policy", "BlockingWork",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The account directory and abuse store in PostgreSQL, for several servers sharing one
        // database. A module of its own so that only it (and the executable) links postgres-nio.
        .target(name: "PostgresDirectory", dependencies: [
            "Directory", "Policy", "BlockingWork",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            // Its pool's error type: a database unreachable for a while fails requests with it.
            .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // glibc's libresolv: res_nquery and ns_parserr, for MX, A/AAAA, SRV and TXT lookups.
        .systemLibrary(name: "CResolv", path: "Sources/CResolv"),
        .target(name: "DNS", dependencies: ["CResolv", "BlockingWork"]),
        // POP3 protocol core: commands, parser, responses, session state machine, the RETR
        // encoder. No I/O; NIOCore for ByteBuffer only.
        .target(name: "POP3Core", dependencies: [
            "SMTPCore",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The Maildir layout: the writer (local delivery), the reader (POP3) and the operator's
        // inventory (`portcullis mailbox list|purge`).
        .target(name: "MaildirStore", dependencies: [
            "Spool",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Queue manager, routing, SMTP client, local Maildir delivery, DSN.
        .target(name: "Delivery", dependencies: [
            "SMTPCore", "Spool", "Directory", "DNS", "BlockingWork", "MaildirStore", "Instruments",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "Spool", dependencies: [
            "SMTPCore", "BlockingWork", "Instruments",
        ]),
        // The server's metrics as swift-metrics instruments, created once and handed to the
        // modules that count; no exporter, so counting code never sees Prometheus.
        .target(name: "Instruments", dependencies: [
            "SMTPCore",
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // The Prometheus registry behind the instruments, process metrics, and the small HTTP
        // listener serving /metrics, /healthz and /readyz.
        .target(name: "MetricsEndpoint", dependencies: [
            "Instruments", "Web",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // portcullis.toml: a strict TOML 1.0 parser of its own, and the typed configuration.
        .target(name: "Config", dependencies: ["Policy"]),
        // The abuse rules (rate limits, failed-login defence, compromised-account hold) as pure
        // functions over a snapshot of the abuse store, and the guard that fetches and applies them.
        .target(name: "Abuse", dependencies: [
            "SMTPCore", "Policy", "Directory", "Spool", "Instruments",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // What every session protocol's server shares: the listener and its graceful shutdown,
        // the connection limits, session IDs, input back-pressure.
        .target(name: "ServerSupport", dependencies: [
            "Policy",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "SMTPServer", dependencies: [
            "SMTPCore", "Policy", "Directory", "Spool", "DKIM", "Abuse", "ServerSupport", "Instruments",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The POP3 listeners (STLS and implicit TLS) and sessions over the Maildirs.
        .target(name: "POP3Server", dependencies: [
            "POP3Core", "MaildirStore", "SMTPCore", "ServerSupport", "Abuse", "Directory", "BlockingWork", "Instruments",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The certificate `portcullis init` writes. A library of its own rather than part of
        // the command-line target because the SMTP server tests make their TLS certificate
        // with it; no server module needs it.
        .target(name: "SelfSigned", dependencies: [
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // DKIM signing (RFC 6376, RFC 8463): canonicalisation, signatures, key records.
        .target(name: "DKIM", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // The services wired together once, for `serve` and the in-process tests.
        .target(name: "Assembly", dependencies: [
            "Abuse", "DKIM", "Directory", "Policy", "SMTPServer", "POP3Server", "ServerSupport", "Spool", "Instruments",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Customer web: OP25B checker, setup guides, autoconfig/autodiscover/mobileconfig.
        .target(name: "Web", dependencies: [
            "Policy", "Directory", "DNS", "SMTPCore", "ServerSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            // HTTP1Channel and ServerChildChannel, for the PROXY protocol in front of HTTP/1.
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("Templates")]),
        .executableTarget(name: "Portcullis", dependencies: [
            "SMTPServer", "Abuse", "Assembly", "DKIM", "Web", "Delivery", "DNS", "Config", "Directory", "PostgresDirectory", "Spool", "Policy", "SMTPCore",
            "SelfSigned", "POP3Server", "MaildirStore", "ServerSupport", "BlockingWork", "Instruments", "MetricsEndpoint",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // Benchmark load generator: authenticated STARTTLS submission, the Swift
        // counterpart of Benchmarks/portbench/submission.py. Its own small core: no server code.
        .target(name: "LoadgenCore", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Benchmarks/Loadgen/Sources/LoadgenCore"),
        .executableTarget(name: "Loadgen", dependencies: [
            "LoadgenCore", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Benchmarks/Loadgen/Sources/Loadgen"),
        .testTarget(name: "LoadgenCoreTests", dependencies: [
            "LoadgenCore",
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Benchmarks/Loadgen/Tests/LoadgenCoreTests"),
        .testTarget(name: "SMTPCoreTests", dependencies: ["SMTPCore", "TestSupport"]),
        .testTarget(name: "POP3CoreTests", dependencies: [
            "POP3Core", "SMTPCore", "MaildirStore",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "MaildirStoreTests", dependencies: ["MaildirStore", "Spool"]),
        .testTarget(name: "POP3ServerTests", dependencies: ["POP3Server", "POP3Core", "ServerSupport"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy"], resources: [.copy("Golden")]),
        .testTarget(name: "DirectoryTests", dependencies: ["Directory", "PostgresDirectory", "Policy", "BlockingWork", "TestSupport"]),
        .testTarget(name: "SpoolTests", dependencies: ["Spool", "SMTPCore", "TestSupport"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Policy"]),
        .testTarget(name: "ServerSupportTests", dependencies: [
            "ServerSupport", "Policy",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "DKIMTests", dependencies: ["DKIM", "TestSupport"]),
        .testTarget(name: "MetricsEndpointTests", dependencies: [
            "MetricsEndpoint", "Instruments", "Delivery", "Spool", "SMTPCore", "Web",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        // Helpers shared by test targets and the load generator: real peers (dnsmasq,
        // smtp-sink), a small file system, a seeded random generator.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DNSTests", dependencies: ["DNS", "TestSupport"]),
        .testTarget(name: "DeliveryTests", dependencies: [
            "Delivery", "TestSupport", "SMTPCore", "Spool", "Directory", "DNS", "MaildirStore", "Instruments", "MetricsEndpoint",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "WebTests", dependencies: [
            "Web", "Policy", "Directory", "DNS",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Abuse limits and store kinds shared by the guard's and the server's tests.
        .target(name: "AbuseTestSupport", dependencies: ["Abuse"], path: "Tests/AbuseTestSupport"),
        .testTarget(name: "AbuseTests", dependencies: [
            "Abuse", "AbuseTestSupport", "Directory", "PostgresDirectory", "Policy", "SMTPCore", "Spool", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SMTPServerTests", dependencies: [
            "SMTPServer", "POP3Server", "POP3Core", "MaildirStore", "ServerSupport", "Abuse", "AbuseTestSupport", "Assembly", "SMTPCore", "Directory", "PostgresDirectory", "Spool", "Policy", "DKIM", "SelfSigned", "TestSupport",
            "Instruments", "MetricsEndpoint",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/), declared only for `scripts/fuzz`, which sets PORTCULLIS_FUZZ=1 and
// builds them with `--sanitize=fuzzer --sanitize=address` into `.build-fuzz`: the normal build
// and `swift test` neither see nor compile them. Each target is one file defining
// `LLVMFuzzerTestOneInput`; libFuzzer provides `main`.
if Context.environment["PORTCULLIS_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzSMTPCommand", ["SMTPCore"]),
        ("FuzzPOP3Session", ["POP3Core", "SMTPCore"]),
        ("FuzzMailbox", ["SMTPCore"]),
        ("FuzzDataDecoder", ["SMTPCore"]),
        ("FuzzSASLResponse", ["SMTPCore"]),
        ("FuzzReplyParser", ["Delivery", "SMTPCore"]),
        ("FuzzDKIMVerifier", ["DKIM"]),
        ("FuzzDNSReply", ["DNS"]),
        ("FuzzAutodiscoverRequest", ["Web"]),
        ("FuzzJournalRecovery", ["Spool"]),
        ("FuzzConfiguration", ["Config"]),
        ("FuzzProxyHeader", ["ServerSupport"]),
    ]
    package.targets += fuzzTargets.map { target in
        .executableTarget(name: target.name, dependencies: target.dependencies, path: "Fuzz/Targets/\(target.name)")
    }
}
