// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for Parley's parsers and decoders, kept out of the root package so
/// that its normal `swift build` never sees executables without a `main`: libFuzzer
/// supplies `main`, and each target exports `LLVMFuzzerTestOneInput`.
///
/// Build and run them with `Tools/fuzz` (it builds with `--sanitize=fuzzer --sanitize=address`); see the "Fuzzing" section of README.md.
let package = Package(
    name: "ParleyFuzz",
    dependencies: [
        .package(name: "Parley", path: ".."),
    ],
    targets: [
        // The shared helpers: the input as a file, the reference video frames.
        .target(name: "FuzzSupport", dependencies: [
            .product(name: "ParleyKit", package: "Parley"),
        ]),
        .executableTarget(name: "FuzzWAV", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzY4M", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzIVF", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzOpusPacket", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzVP8Frame", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzVP9Frame", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzRTP", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzRTCP", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzSDP", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzVideoPayload", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzContacts", dependencies: fuzzDependencies),
        .executableTarget(name: "FuzzNetworkProfile", dependencies: fuzzDependencies),
    ]
)

var fuzzDependencies: [Target.Dependency] {
    ["FuzzSupport", .product(name: "ParleyKit", package: "Parley")]
}
