import Foundation
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleySecurity
import ParleyTestSupport
import Testing

/// The bare mesh baseline of `parley bench --mesh`, from small runs: it does the work it
/// says (counts), measures something, and refuses input that is not a mesh run. No timing
/// thresholds: benchmarks are a command, not a timed test.
@Suite("Mesh bare calls")
struct MeshBareCallsTests {
    /// `ticks` 20 ms frames of a sine at `frequency` Hz, 48 kHz mono.
    static func sine(frequency: Double, ticks: Int, frameSize: Int = 960) -> [[Float]] {
        (0..<ticks).map { t in
            (0..<frameSize).map { n in
                Float(0.3 * sin(2 * Double.pi * frequency * Double(t * frameSize + n) / 48000))
            }
        }
    }

    /// A `width`×`height` I420 picture: a gradient that moves with `index`, and `seed` to tell parties apart.
    static func picture(width: Int, height: Int, index: Int, seed: Int) -> VideoFrame {
        var frame = VideoFrame(width: width, height: height, timestamp: Int64(index))
        for y in 0..<height {
            for x in 0..<width {
                frame.data[y * width + x] = UInt8(truncatingIfNeeded: x * 2 + y + index * 3 + seed * 40)
            }
        }
        for i in frame.uOffset..<frame.byteCount {
            frame.data[i] = UInt8(truncatingIfNeeded: 100 + (i + seed * 7 + index) % 56)
        }
        return frame
    }

    @Test("3-party audio, 10 ticks: 3 encodes and 6 protects, unprotects and decodes per tick")
    func audioCounts() throws {
        let frames = [440.0, 660.0, 880.0].map { Self.sine(frequency: $0, ticks: 10) }
        for suite in [SRTPSuite.aeadAES128GCM, .aesCM128HmacSHA1_80] {
            let m = try MeshBareCalls.audioMesh(configuration: OpusConfiguration(), suite: suite, frames: frames)
            #expect(m.parties == 3)
            #expect(m.ticks == 10)
            #expect(abs(m.mediaSeconds - 0.2) < 1e-9)
            #expect(m.encodes == 30)
            #expect(m.protects == 60)
            #expect(m.unprotects == 60)
            #expect(m.decodes == 60)
            #expect(m.cpuSeconds > 0)
            #expect(m.wallSeconds > 0)
            #expect(m.realtimeFactor > 0 && m.realtimeFactor.isFinite)
            // The measurement is JSON for the bench report.
            let decoded = try JSONDecoder().decode(MeshBareMeasurement.self, from: JSONEncoder().encode(m))
            #expect(decoded == m)
        }
    }

    /// The bench alternates short runs of one baseline: each run goes on from the last
    /// one's sequence numbers and timestamps, so the inbound sessions' replay windows accept
    /// every packet of every run (a restart at the first sequence number would be refused).
    @Test("a kept baseline runs again and again where it left off")
    func keptBaselineRunsOn() throws {
        let frames = [440.0, 660.0, 880.0].map { Self.sine(frequency: $0, ticks: 12) }
        let baseline = try MeshBareAudio(configuration: OpusConfiguration(), suite: .default, parties: 3)
        for round in 0..<3 {
            let slice = frames.map { Array($0[(round * 4)..<(round * 4 + 4)]) }
            let m = try baseline.run(frames: slice)
            #expect(m.ticks == 4 && m.encodes == 12 && m.unprotects == 24 && m.decodes == 24, "round \(round)")
        }
        #expect(throws: MeshBareCalls.Failure.self) { try baseline.run(frames: Array(frames.prefix(2))) }
    }

    @Test("stereo at 20 ms and 2 parties: 1 link each way")
    func audioStereoTwoParties() throws {
        let configuration = OpusConfiguration(channels: 2, bitrate: 64_000, complexity: 5)
        let mono = Self.sine(frequency: 300, ticks: 4)
        let stereo = mono.map { frame in frame.flatMap { [$0, $0 * 0.5] } }
        let m = try MeshBareCalls.audioMesh(configuration: configuration, suite: .default, frames: [stereo, stereo])
        #expect(m.encodes == 8)
        #expect(m.protects == 8 && m.unprotects == 8 && m.decodes == 8)
    }

    @Test("3-party VP8 video, 3 frames: 9 encodes and 18 decodes, no SRTP")
    func videoCounts() throws {
        let frames = (0..<3).map { party in
            (0..<3).map { Self.picture(width: 160, height: 96, index: $0, seed: party) }
        }
        let m = try MeshBareCalls.videoMesh(
            codec: .vp8, frames: frames, frameRate: 30, bitrateKbps: 300, cpuUsed: 8, threads: 1)
        #expect(m.parties == 3)
        #expect(m.ticks == 3)
        #expect(abs(m.mediaSeconds - 0.1) < 1e-9)
        #expect(m.encodes == 3 * 3)
        #expect(m.decodes == 3 * 3 * 2)
        #expect(m.protects == 0 && m.unprotects == 0)
        #expect(m.cpuSeconds > 0)
        #expect(m.wallSeconds > 0)
        #expect(m.realtimeFactor > 0 && m.realtimeFactor.isFinite)
    }

    /// The loops' own code allocates nothing: 50 more audio ticks of a 3-party mesh (150
    /// encodes, 300 SRTP round trips, 300 decodes) allocate what 300 bare libsrtp2 round
    /// trips allocate (Debian's libsrtp2 on NSS allocates inside each protect/unprotect;
    /// libopus does not), and 10 more video frames allocate nothing more.
    @Test("the timed loops allocate nothing of their own per tick", arguments: [SRTPSuite.aeadAES128GCM, .aesCM128HmacSHA1_80])
    func noAllocationPerTick(_ suite: SRTPSuite) throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        func audio(_ ticks: Int) throws -> Int {
            let frames = [440.0, 660.0, 880.0].map { Self.sine(frequency: $0, ticks: ticks) }
            return try AllocationCounter.count {
                _ = try MeshBareCalls.audioMesh(configuration: OpusConfiguration(), suite: suite, frames: frames)
            }
        }
        let key = try SecureRandom.bytes(count: suite.keyingMaterialLength)
        _ = try audio(2)  // warm-up (libsrtp's and NSS's one-time setup)
        let meshExtra = try audio(52) - audio(2)
        let srtpExtra = try bareSRTPAllocations(suite: suite, key: key, roundTrips: 300)
        // NSS allocates inside libsrtp2's calls, and how often depends on its context
        // caches: six keys in turn here against one in the bare round trips (measured: up to
        // 144 more in one of many runs under CI load). One allocation per call of the loop
        // itself would add at least 300 to every run.
        #expect(abs(meshExtra - srtpExtra) < 300,
                "50 more ticks: \(meshExtra) more heap allocations; 300 bare SRTP round trips: \(srtpExtra)")

        func video(_ count: Int) throws -> Int {
            let frames = (0..<3).map { party in
                (0..<count).map { Self.picture(width: 64, height: 48, index: $0, seed: party) }
            }
            return try AllocationCounter.count {
                _ = try MeshBareCalls.videoMesh(
                    codec: .vp8, frames: frames, frameRate: 30, bitrateKbps: 200, cpuUsed: 8, threads: 1)
            }
        }
        _ = try video(2)
        let videoExtra = try video(12) - video(2)
        #expect(videoExtra <= 10, "10 more video frames made \(videoExtra) more heap allocations")
    }

    @Test("input that is not a mesh run is refused")
    func badInput() throws {
        let configuration = OpusConfiguration()
        // Different tick counts.
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.audioMesh(
                configuration: configuration, suite: .default,
                frames: [Self.sine(frequency: 440, ticks: 3), Self.sine(frequency: 550, ticks: 2)])
        }
        // A frame of the wrong length (10 ms of samples for a 20 ms configuration).
        var short = Self.sine(frequency: 550, ticks: 3)
        short[1] = Array(short[1].prefix(480))
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.audioMesh(
                configuration: configuration, suite: .default, frames: [Self.sine(frequency: 440, ticks: 3), short])
        }
        // One party is no mesh; no ticks is no run.
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.audioMesh(
                configuration: configuration, suite: .default, frames: [Self.sine(frequency: 440, ticks: 3)])
        }
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.audioMesh(configuration: configuration, suite: .default, frames: [[], []])
        }
        // An invalid configuration is the codec's own error.
        #expect(throws: CodecError.self) {
            try MeshBareCalls.audioMesh(
                configuration: OpusConfiguration(complexity: 11), suite: .default,
                frames: [Self.sine(frequency: 440, ticks: 1), Self.sine(frequency: 550, ticks: 1)])
        }

        // Video: pictures of different sizes, different frame counts, no frame rate.
        let a = [Self.picture(width: 160, height: 96, index: 0, seed: 0)]
        let b = [Self.picture(width: 64, height: 48, index: 0, seed: 1)]
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.videoMesh(codec: .vp8, frames: [a, b], frameRate: 30, bitrateKbps: 300, cpuUsed: 8, threads: 1)
        }
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.videoMesh(
                codec: .vp8, frames: [a, a + a], frameRate: 30, bitrateKbps: 300, cpuUsed: 8, threads: 1)
        }
        #expect(throws: MeshBareCalls.Failure.self) {
            try MeshBareCalls.videoMesh(codec: .vp8, frames: [a, a], frameRate: 0, bitrateKbps: 300, cpuUsed: 8, threads: 1)
        }
    }
}
