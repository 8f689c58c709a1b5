// swift-tools-version:6.0
import PackageDescription

/// One system-library target per C library, found with pkg-config (see design.md).
func systemLibrary(_ name: String, pkg: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkg, providers: [.apt([apt])])
}

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        // The media readers and codec wrappers, for the separate fuzzing package in Fuzz/.
        .library(name: "ParleyKit", targets: ["ParleyCore", "ParleyMedia", "ParleyCodecs", "ParleyRTP", "ParleySecurity", "ParleyContacts", "ParleyConference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        // C system libraries.
        systemLibrary("COpus", pkg: "opus", apt: "libopus-dev"),
        systemLibrary("CVPX", pkg: "vpx", apt: "libvpx-dev"),
        systemLibrary("CSRTP", pkg: "libsrtp2", apt: "libsrtp2-dev"),
        systemLibrary("CNice", pkg: "nice", apt: "libnice-dev"),
        systemLibrary("CSodium", pkg: "libsodium", apt: "libsodium-dev"),
        systemLibrary("CALSA", pkg: "alsa", apt: "libasound2-dev"),
        systemLibrary("CSpeexDSP", pkg: "speexdsp", apt: "libspeexdsp-dev"),
        systemLibrary("CQREncode", pkg: "libqrencode", apt: "libqrencode-dev"),

        // Pure Swift value types shared by every layer (frames, formats, clocks).
        .target(name: "ParleyCore"),

        // Thin wrappers over the C libraries.
        .target(name: "ParleyCodecs", dependencies: ["ParleyCore", "COpus", "CVPX"]),
        .target(name: "ParleySecurity", dependencies: ["ParleyCore", "CSRTP", "CSodium", "CQREncode"]),
        .target(name: "ParleyNetwork", dependencies: [
            "ParleyCore", "CNice", .product(name: "Atomics", package: "swift-atomics"),
        ]),
        .target(name: "ParleyMedia", dependencies: [
            "ParleyCore", "CSpeexDSP", "CALSA", .product(name: "Atomics", package: "swift-atomics"),
        ]),

        // Profile, invitations, contacts and their durable, encrypted store (control plane).
        .target(name: "ParleyContacts", dependencies: ["ParleyCore", "ParleySecurity"]),

        // The signaling relay: stores and forwards sealed envelopes between mailbox ids (control plane).
        .target(name: "ParleyRelay", dependencies: [
            "ParleyCore", "ParleySecurity",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // Pure Swift.
        .target(name: "ParleyRTP", dependencies: ["ParleyCore"]),
        .target(name: "ParleyMetrics", dependencies: ["ParleyCore"]),
        // Audio jitter buffer (NetEq-style) and video frame buffer, playout simulation.
        .target(name: "ParleyPlayout", dependencies: ["ParleyCore"]),
        // Network emulator (later also the mixer/compositor).
        .target(name: "ParleyConference", dependencies: ["ParleyCore"]),

        // Wiring.
        .target(name: "ParleyEngine", dependencies: [
            "ParleyCore", "ParleyCodecs", "ParleySecurity", "ParleyNetwork", "ParleyMedia", "ParleyMetrics",
            "ParleyRTP", "ParleyContacts", "ParleyPlayout", "ParleyConference",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ParleyCLI", dependencies: [
            "ParleyEngine", "ParleyCore", "ParleyCodecs", "ParleyMedia", "ParleyMetrics",
            "ParleySecurity", "ParleyNetwork", "ParleyContacts", "ParleyRelay", "ParleyConference",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "parley", dependencies: ["ParleyCLI"]),

        // Test support: fixtures, a per-thread allocation counter, a coturn server.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .target(name: "ParleyTestSupport", dependencies: ["ParleyCore", "ParleyNetwork", "CAllocationCounter"], path: "Tests/ParleyTestSupport"),

        .testTarget(name: "ParleyCodecsTests", dependencies: ["ParleyCodecs", "ParleyMetrics", "ParleyMedia", "ParleyTestSupport"]),
        .testTarget(name: "ParleyMediaTests", dependencies: ["ParleyMedia", "ParleyTestSupport"]),
        .testTarget(name: "ParleyMetricsTests", dependencies: ["ParleyMetrics", "ParleyTestSupport"]),
        .testTarget(name: "ParleyPlayoutTests", dependencies: ["ParleyPlayout", "ParleyMetrics", "ParleyTestSupport"]),
        .testTarget(name: "ParleyRTPTests", dependencies: ["ParleyRTP", "ParleyTestSupport"]),
        .testTarget(name: "ParleyConferenceTests", dependencies: ["ParleyConference", "ParleyTestSupport"]),
        .testTarget(name: "ParleyContactsTests", dependencies: ["ParleyContacts", "ParleySecurity", "ParleyTestSupport"]),
        .testTarget(name: "ParleyNetworkTests", dependencies: ["ParleyNetwork", "ParleyTestSupport"]),
        .testTarget(name: "ParleySecurityTests", dependencies: ["ParleySecurity", "ParleyTestSupport"]),
        .testTarget(name: "ParleyRelayTests", dependencies: ["ParleyRelay", "ParleySecurity", "ParleyTestSupport"]),
        .testTarget(name: "ParleyEngineTests", dependencies: ["ParleyEngine", "ParleyCodecs", "ParleyConference", "ParleyMetrics", "ParleyTestSupport"]),
        // Runs the `parley` executable (built by `swift build --build-tests`) as a subprocess.
        .testTarget(name: "ParleyCLITests", dependencies: [
            "ParleyEngine", "ParleyCodecs", "ParleyMedia", "ParleyCore", "ParleyNetwork", "ParleyTestSupport", "ParleyContacts",
            "ParleyRelay", "ParleySecurity", "ParleyConference", "ParleyMetrics", "ParleyCLI",
        ]),
    ]
)
