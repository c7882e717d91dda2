// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every target: Swift 6 language mode with full concurrency checking.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The products of other packages that several targets use.
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")

/// A library target of chitieu, with the shared settings.
func layer(_ name: String, _ dependencies: [Target.Dependency] = [], path: String? = nil) -> Target {
    .target(name: name, dependencies: dependencies, path: path, swiftSettings: swiftSettings)
}

/// An executable of chitieu, with the shared settings.
func executable(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: dependencies, swiftSettings: swiftSettings)
}

/// A test target that works on a real database through the shared test support, plus `extra`.
func layerTests(_ name: String, _ extra: [Target.Dependency] = []) -> Target {
    .testTarget(
        name: name,
        dependencies: ["ChitieuTestSupport", "ChitieuServer", "ChitieuStore", "ChitieuJobs", "ChitieuTesting", "Postgres", "ChitieuDomain"] + extra,
        swiftSettings: swiftSettings
    )
}

let package = Package(
    name: "chitieu",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chitieu", targets: ["chitieu"]),
        .executable(name: "chitieu-bench", targets: ["chitieu-bench"]),
        .library(name: "Postgres", targets: ["Postgres"]),
    ],
    // Every package from GitHub, by owner/name and the lowest version wanted.
    dependencies: [
        ("hummingbird-project/hummingbird",      "2.28.1"),
        ("apple/swift-argument-parser",          "1.8.2"),
        ("apple/swift-log",                      "1.16.2"),
        ("apple/swift-http-types",               "1.8.0"),
        ("apple/swift-nio",                      "2.101.2"),
        ("apple/swift-nio-extras",               "1.35.2"),
        ("swift-server/swift-service-lifecycle", "2.13.0"),
        ("swift-server/swift-prometheus",        "2.4.1"),
        ("hummingbird-project/swift-mustache",   "2.1.1"),
        ("weichsel/ZIPFoundation",               "0.9.20"),
        ("CoreOffice/XMLCoder",                  "0.18.2"),
        ("yaslab/CSV.swift",                     "2.5.2"),
        ("vapor/multipart-kit",                  "4.7.1"),
    ].map { repository, version in .package(url: "https://github.com/\(repository).git", from: Version(stringLiteral: version)) },
    targets: [
        // libpq, the PostgreSQL client library (Debian: libpq-dev).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // OpenSSL's libcrypto (Debian: libssl-dev): scrypt, SHA-256, the secure random generator.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Password hashing, token secrets and digests over libcrypto.
        layer("ChitieuCrypto", ["CCrypto"]),
        // A PostgreSQL client over libpq: connections, pool, queries, transactions, COPY, LISTEN/NOTIFY.
        layer("Postgres", ["CLibPQ", logging]),
        // The domain: pure values and rules, no IO.
        layer("ChitieuDomain"),
        // Spreadsheets in and out: xlsx (a compressed ZIP of Office Open XML) and CSV.
        layer("ChitieuWorkbook", [
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "XMLCoder", package: "XMLCoder"),
            .product(name: "CSV", package: "CSV.swift"),
        ]),
        // The SQL behind the domain: migrations, tenancy, units.
        layer("ChitieuStore", ["Postgres", "ChitieuDomain", "ChitieuWorkbook", "ChitieuCrypto", logging]),
        // The job worker and the handlers of chitieu's own jobs, run by `serve` and `work`.
        layer("ChitieuJobs", ["ChitieuStore", "ChitieuDomain", "Postgres", logging, serviceLifecycle]),
        // The daemon's HTTP server.
        layer("ChitieuServer", [
            "ChitieuJobs", "ChitieuStore", "ChitieuCrypto",
            hummingbird, .product(name: "HummingbirdCore", package: "hummingbird"), httpTypes,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            logging, serviceLifecycle,
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ]),
        // What the command-line executables share: global options, output, the owner's database, the entry point.
        layer("ChitieuCommandSupport", ["ChitieuServer", "ChitieuStore", "ChitieuDomain", "Postgres", argumentParser, logging]),
        // The production executable: daemon, job workers, admin commands.
        executable("chitieu", [
            "ChitieuCommandSupport", "ChitieuServer", "ChitieuJobs", "ChitieuStore", "Postgres", argumentParser, logging, serviceLifecycle,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // The benchmarks, kept out of the production executable.
        executable("chitieu-bench", [
            "ChitieuCommandSupport", "ChitieuJobs", "ChitieuStore", "ChitieuDomain", "ChitieuCrypto", "Postgres", argumentParser, logging,
        ]),
        // Test helpers: throwaway PostgreSQL clusters and per-suite databases.
        layer("ChitieuTesting", ["Postgres", "ChitieuStore"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "ChitieuTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ChitieuDomainTests",
            dependencies: ["ChitieuDomain", "ChitieuWorkbook", "ChitieuCrypto", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        // What the test targets of the store, the API, the commands and the processes share:
        // two provinces to work on (AccessWorld), fixtures, the daemon over real HTTP, raw sockets.
        layer(
            "ChitieuTestSupport",
            [
                "ChitieuTesting", "ChitieuServer", "ChitieuJobs", "ChitieuStore", "ChitieuDomain", "ChitieuCrypto", "Postgres",
                hummingbird, hummingbirdTesting, httpTypes, logging,
            ],
            path: "Tests/ChitieuTestSupport"
        ),
        // The store in a real database: tenancy, migrations, queries, the queue, caches.
        layerTests("ChitieuStoreTests"),
        // The HTTP API: routes, authorization, hardening, the OpenAPI document.
        layerTests("ChitieuAPITests", ["ChitieuCrypto", hummingbird, hummingbirdTesting, httpTypes]),
        // The commands, run as the built `chitieu` executable.
        layerTests("ChitieuCommandTests", [hummingbirdTesting, httpTypes]),
        // Processes and the system around them: the daemon and workers as processes, outages,
        // stalls, backups, every statement's province, deployment files and documentation.
        layerTests("ChitieuSystemTests", [hummingbird, hummingbirdTesting, httpTypes]),
    ]
)
