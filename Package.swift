// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every target: Swift 6 language mode with full concurrency checking.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "chitieu",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chitieu", targets: ["chitieu"]),
        .executable(name: "chitieu-bench", targets: ["chitieu-bench"]),
        .library(name: "Postgres", targets: ["Postgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/CoreOffice/XMLCoder.git", from: "0.18.2"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        // libpq, the PostgreSQL client library (Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // OpenSSL's libcrypto (Debian: libssl-dev): scrypt, SHA-256, the secure random generator.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Password hashing, token secrets and digests over libcrypto.
        .target(
            name: "ChitieuCrypto",
            dependencies: ["CCrypto"],
            swiftSettings: swiftSettings
        ),
        // A PostgreSQL client over libpq: connections, pool, queries, transactions, COPY, LISTEN/NOTIFY.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The domain: pure values and rules, no IO.
        .target(
            name: "ChitieuDomain",
            swiftSettings: swiftSettings
        ),
        // Spreadsheets in and out: xlsx (a compressed ZIP of Office Open XML) and CSV.
        .target(
            name: "ChitieuWorkbook",
            dependencies: [
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "XMLCoder", package: "XMLCoder"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SQL behind the domain: migrations, tenancy, units.
        .target(
            name: "ChitieuStore",
            dependencies: [
                "Postgres",
                "ChitieuDomain",
                "ChitieuWorkbook",
                "ChitieuCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The job worker and the handlers of chitieu's own jobs, run by `serve` and `work`.
        .target(
            name: "ChitieuJobs",
            dependencies: [
                "ChitieuStore",
                "ChitieuDomain",
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The daemon's HTTP server.
        .target(
            name: "ChitieuServer",
            dependencies: [
                "ChitieuJobs",
                "ChitieuStore",
                "ChitieuCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the command-line executables share: global options, output, the owner's database, the entry point.
        .target(
            name: "ChitieuCommandSupport",
            dependencies: [
                "ChitieuServer",
                "ChitieuStore",
                "ChitieuDomain",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The production executable: daemon, job workers, admin commands.
        .executableTarget(
            name: "chitieu",
            dependencies: [
                "ChitieuCommandSupport",
                "ChitieuServer",
                "ChitieuJobs",
                "ChitieuStore",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The benchmarks, kept out of the production executable.
        .executableTarget(
            name: "chitieu-bench",
            dependencies: [
                "ChitieuCommandSupport",
                "ChitieuJobs",
                "ChitieuStore",
                "ChitieuDomain",
                "ChitieuCrypto",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test helpers: throwaway PostgreSQL clusters and per-suite databases.
        .target(
            name: "ChitieuTesting",
            dependencies: ["Postgres", "ChitieuStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "ChitieuTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChitieuDomainTests",
            dependencies: ["ChitieuDomain", "ChitieuWorkbook", "ChitieuCrypto", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        // What the test targets of the store, the API, the commands and the processes share:
        // two provinces to work on (AccessWorld), fixtures, the daemon over real HTTP, raw sockets.
        .target(
            name: "ChitieuTestSupport",
            dependencies: [
                "ChitieuTesting", "ChitieuServer", "ChitieuJobs", "ChitieuStore", "ChitieuDomain", "ChitieuCrypto", "Postgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ChitieuTestSupport",
            swiftSettings: swiftSettings
        ),
        // The store in a real database: tenancy, migrations, queries, the queue, caches.
        .testTarget(
            name: "ChitieuStoreTests",
            dependencies: ["ChitieuTestSupport", "ChitieuStore", "ChitieuJobs", "ChitieuServer", "ChitieuTesting", "Postgres", "ChitieuDomain"],
            swiftSettings: swiftSettings
        ),
        // The HTTP API: routes, authorization, hardening, the OpenAPI document.
        .testTarget(
            name: "ChitieuAPITests",
            dependencies: ["ChitieuTestSupport", "ChitieuServer", "ChitieuStore", "ChitieuJobs", "ChitieuTesting", "Postgres", "ChitieuCrypto", "ChitieuDomain",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        // The commands, run as the built `chitieu` executable.
        .testTarget(
            name: "ChitieuCommandTests",
            dependencies: ["ChitieuTestSupport", "ChitieuServer", "ChitieuStore", "ChitieuJobs", "ChitieuTesting", "Postgres", "ChitieuDomain",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        // Processes and the system around them: the daemon and workers as processes, outages,
        // stalls, backups, every statement's province, deployment files and documentation.
        .testTarget(
            name: "ChitieuSystemTests",
            dependencies: ["ChitieuTestSupport", "ChitieuServer", "ChitieuStore", "ChitieuJobs", "ChitieuTesting", "Postgres", "ChitieuDomain",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
    ]
)
