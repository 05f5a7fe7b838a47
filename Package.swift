// swift-tools-version: 6.2
import PackageDescription

/// Every target builds in Swift 6 language mode with member imports checked, so a file only sees
/// the members of modules it imports itself. `make` adds `--explicit-target-dependency-import-check error`
/// so a target cannot import a module it does not declare.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboard-bench", targets: ["switchboard-bench"]),
        .library(name: "SwitchboardCore", targets: ["SwitchboardCore"]),
        .library(name: "SwitchboardClient", targets: ["SwitchboardClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // MARK: C and the ZeroMQ edge
        .systemLibrary(
            name: "CZeroMQ",
            path: "Sources/CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: strict),

        // MARK: The pure core: standard library and swift-collections only.
        /// A cache-prefetch hint, which Swift does not expose: one inline C function, no I/O.
        .target(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(name: "SwitchboardDomain", dependencies: ["CPrefetch"], swiftSettings: strict),
        .target(
            name: "SwitchboardThreading",
            dependencies: ["SwitchboardDomain"],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardRouting",
            dependencies: [
                "CPrefetch", "SwitchboardDomain",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardCore",
            dependencies: ["CPrefetch", "SwitchboardDomain", "SwitchboardThreading", "SwitchboardRouting"],
            swiftSettings: strict
        ),

        // MARK: Edges around the core
        .target(
            name: "SwitchboardConfig",
            dependencies: ["SwitchboardCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardWire",
            dependencies: [
                "SwitchboardCore", "SwitchboardDomain", "SwitchboardThreading", "SwitchboardRouting",
                .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardStore",
            dependencies: [
                "SwitchboardDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardServer",
            dependencies: [
                "SwitchboardCore", "SwitchboardWire", "SwitchboardStore", "ZeroMQ",
                "SwitchboardDomain", "SwitchboardThreading", "SwitchboardRouting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardClient",
            dependencies: ["SwitchboardWire", "ZeroMQ", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardSimulation",
            dependencies: [
                "CPrefetch", "SwitchboardCore", "SwitchboardDomain", "SwitchboardRouting", "SwitchboardThreading",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),

        // MARK: Programs
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardCore", "SwitchboardConfig", "SwitchboardWire", "SwitchboardServer",
                "SwitchboardClient", "SwitchboardSimulation", "SwitchboardStore", "SwitchboardDomain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchboard-bench",
            dependencies: [
                "SwitchboardCore", "SwitchboardSimulation", "SwitchboardThreading", "SwitchboardRouting",
                "SwitchboardDomain", "SwitchboardStore",
                "SwitchboardServer", "SwitchboardClient", "SwitchboardWire", "ZeroMQ",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/switchboard-bench",
            swiftSettings: strict
        ),

        // MARK: Tests
        .target(
            name: "SwitchboardTestSupport",
            dependencies: ["SwitchboardDomain"],
            path: "Tests/SwitchboardTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"], swiftSettings: strict),
        .testTarget(
            name: "SwitchboardThreadingTests",
            dependencies: [
                "SwitchboardThreading", "SwitchboardTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardRoutingTests",
            dependencies: [
                "SwitchboardRouting", "SwitchboardTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardCoreTests",
            dependencies: [
                "SwitchboardCore", "SwitchboardTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "SwitchboardConfigTests", dependencies: ["SwitchboardConfig"], swiftSettings: strict),
        .testTarget(
            name: "SwitchboardWireTests",
            dependencies: [
                "SwitchboardWire", "SwitchboardCore", "SwitchboardDomain", "SwitchboardThreading", "SwitchboardRouting",
                .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            resources: [.copy("Golden")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardStoreTests",
            dependencies: [
                "SwitchboardStore", "SwitchboardDomain", "SwitchboardTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardServerTests",
            dependencies: [
                "SwitchboardServer", "SwitchboardClient", "SwitchboardWire", "ZeroMQ", "SwitchboardTestSupport",
                "SwitchboardDomain", "SwitchboardCore", "SwitchboardStore", "SwitchboardRouting",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardSimulationTests",
            dependencies: ["SwitchboardSimulation", "SwitchboardCore", "SwitchboardTestSupport"],
            swiftSettings: strict
        ),
    ]
)
