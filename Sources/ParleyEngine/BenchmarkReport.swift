import Foundation

/// What `parley bench` measured: per-frame cost of the bare codec and crypto calls and of
/// Parley's wrappers doing the same work in the same run, and their ratio; plus the
/// absolute per-packet cost of the RTP code and per-call cost of call setup, which have no
/// C counterpart.
public struct BenchmarkReport: Codable, Sendable, Equatable {
    /// The machine the run happened on (no host name: reports are shared).
    public struct Machine: Codable, Sendable, Equatable {
        /// `uname -m`, e.g. "x86_64".
        public var architecture: String
        /// The "model name" line of /proc/cpuinfo, or "unknown".
        public var cpuModel: String
        /// Cores available to the process.
        public var coreCount: Int
        /// PRETTY_NAME from /etc/os-release, or the OS version string.
        public var operatingSystem: String

        public init(architecture: String, cpuModel: String, coreCount: Int, operatingSystem: String) {
            self.architecture = architecture
            self.cpuModel = cpuModel
            self.coreCount = coreCount
            self.operatingSystem = operatingSystem
        }
    }

    public struct Libraries: Codable, Sendable, Equatable {
        public var opus: String
        public var vpx: String
        /// libsrtp2's version string; absent in reports written before the SRTP cases.
        public var srtp: String?

        public init(opus: String, vpx: String, srtp: String? = nil) {
            self.opus = opus
            self.vpx = vpx
            self.srtp = srtp
        }
    }

    /// Microseconds per frame over the repetitions: each repetition gives one value (its
    /// total time in the per-frame calls divided by its frames); `min` is the least noisy
    /// estimate on a shared machine, `median` shows the spread.
    public struct Timing: Codable, Sendable, Equatable {
        public var min: Double
        public var median: Double

        public init(min: Double, median: Double) {
            self.min = min
            self.median = median
        }
    }

    /// Process CPU time (`CLOCK_PROCESS_CPUTIME_ID`, all threads: libvpx's workers too, which
    /// a thread clock misses), per frame.
    public struct ProcessCPU: Codable, Sendable, Equatable {
        /// What the span covers.
        public var scope: String
        public var bareMicrosecondsPerFrame: Timing
        public var wrapperMicrosecondsPerFrame: Timing
        /// wrapper min / bare min.
        public var ratio: Double

        public init(scope: String, bareMicrosecondsPerFrame: Timing, wrapperMicrosecondsPerFrame: Timing, ratio: Double) {
            self.scope = scope
            self.bareMicrosecondsPerFrame = bareMicrosecondsPerFrame
            self.wrapperMicrosecondsPerFrame = wrapperMicrosecondsPerFrame
            self.ratio = ratio
        }
    }

    /// One case. Codec and SRTP cases compare Parley's path with the bare C calls doing the
    /// same work (`bareMicrosecondsPerFrame`, `ratio`, `goal`); cases without a C
    /// counterpart (RTP serialization and parsing, call setup) give only the wrapper's time and an
    /// absolute goal (`absoluteGoalMicroseconds`), with the bare fields nil.
    public struct Case: Codable, Sendable, Equatable {
        /// e.g. "opus-encode-c10", "srtp-gcm", "rtp-parse", "audio-path", "vp9-decode".
        public var name: String
        /// What one "frame" of the case is: "frame" (a codec frame; 20 ms of audio for
        /// Opus and the audio path), "round trip" (one SRTP protect + unprotect) or
        /// "packet" (one RTP packet) or "call" (one call setup, both sides). Absent in reports written before it existed: "frame".
        public var unit: String?
        /// Frames (units) per repetition.
        public var frames: Int
        public var repetitions: Int
        /// Nil when the case has no bare C counterpart.
        public var bareMicrosecondsPerFrame: Timing?
        public var wrapperMicrosecondsPerFrame: Timing
        /// wrapper min / bare min; nil without a bare counterpart.
        public var ratio: Double?
        /// The ratio the case should stay under (1.05 for the codecs, 1.10 for SRTP and the
        /// audio path); nil without a bare counterpart.
        public var goal: Double?
        /// For cases without a bare counterpart: the wrapper minimum, in µs per unit, it
        /// should stay under.
        public var absoluteGoalMicroseconds: Double?
        /// ratio ≤ goal, or wrapper min ≤ absoluteGoalMicroseconds (strictly under it for
        /// call-setup, whose goal is "< 1 ms").
        public var withinGoal: Bool
        /// What the bare and the wrapper path produced in one repetition: compressed bytes
        /// for encoders, samples per channel for Opus decoding, concealment and the audio
        /// path, compressed bytes fed to the decoder for video decoding, bytes round-tripped
        /// for SRTP, packet bytes written for RTP serialization, payload bytes found for RTP
        /// parsing, SRTP streams keyed for call setup (12 per call: on each side an outbound
        /// and an inbound session of 3 streams; earlier reports counted SRTP sessions
        /// created, 8 per call). Equal when both did the same work;
        /// `bareOutput` is nil without a bare counterpart.
        public var bareOutput: Int?
        public var wrapperOutput: Int
        /// Video cases only.
        public var processCPU: ProcessCPU?

        public init(
            name: String, unit: String? = nil, frames: Int, repetitions: Int, bareMicrosecondsPerFrame: Timing?,
            wrapperMicrosecondsPerFrame: Timing, ratio: Double?, goal: Double?, absoluteGoalMicroseconds: Double? = nil,
            withinGoal: Bool, bareOutput: Int?, wrapperOutput: Int, processCPU: ProcessCPU? = nil
        ) {
            self.name = name
            self.unit = unit
            self.frames = frames
            self.repetitions = repetitions
            self.bareMicrosecondsPerFrame = bareMicrosecondsPerFrame
            self.wrapperMicrosecondsPerFrame = wrapperMicrosecondsPerFrame
            self.ratio = ratio
            self.goal = goal
            self.absoluteGoalMicroseconds = absoluteGoalMicroseconds
            self.withinGoal = withinGoal
            self.bareOutput = bareOutput
            self.wrapperOutput = wrapperOutput
            self.processCPU = processCPU
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        /// The case with the highest ratio (among the cases that have one).
        public var worstCase: String
        public var worstRatio: Double
        /// The worst case's ratio goal.
        public var goal: Double
        /// Every case within its goal, ratio or absolute.
        public var allWithinGoal: Bool

        public init(worstCase: String, worstRatio: Double, goal: Double, allWithinGoal: Bool) {
            self.worstCase = worstCase
            self.worstRatio = worstRatio
            self.goal = goal
            self.allWithinGoal = allWithinGoal
        }
    }

    public var machine: Machine
    /// ISO 8601, UTC.
    public var date: String
    /// "debug" or "release": only release numbers mean anything.
    public var buildConfiguration: String
    public var libraries: Libraries
    /// The clock around each per-frame call.
    public var clock: String
    public var parameters: CodecBenchmark.Parameters
    public var cases: [Case]
    public var summary: Summary

    public init(
        machine: Machine, date: String, buildConfiguration: String, libraries: Libraries, clock: String,
        parameters: CodecBenchmark.Parameters, cases: [Case], summary: Summary
    ) {
        self.machine = machine
        self.date = date
        self.buildConfiguration = buildConfiguration
        self.libraries = libraries
        self.clock = clock
        self.parameters = parameters
        self.cases = cases
        self.summary = summary
    }

    /// The report as JSON: sorted keys, pretty printed.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    /// The configuration this code was compiled in.
    public static var currentBuildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }
}

extension BenchmarkReport.Machine {
    /// The machine this process runs on.
    public static func current() -> Self {
        #if arch(x86_64)
        let architecture = "x86_64"
        #elseif arch(arm64)
        let architecture = "aarch64"
        #elseif arch(arm)
        let architecture = "arm"
        #else
        let architecture = "unknown"
        #endif
        var cpuModel = "unknown"
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in cpuinfo.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    cpuModel = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                break
            }
        }
        var operatingSystem = ProcessInfo.processInfo.operatingSystemVersionString
        if let release = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) {
            for line in release.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                operatingSystem = line.dropFirst("PRETTY_NAME=".count)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                break
            }
        }
        return Self(
            architecture: architecture, cpuModel: cpuModel,
            coreCount: ProcessInfo.processInfo.activeProcessorCount, operatingSystem: operatingSystem)
    }
}
