import Foundation
import ParleyCodecs
@testable import ParleyEngine
import ParleyRTP
import ParleySecurity
import ParleyTestSupport
import Testing

/// Structure of `parley bench`'s report, from the smallest run it allows. No timing
/// thresholds: benchmarks are a command, not a timed test.
@Suite("Codec benchmark")
struct CodecBenchmarkTests {
    static let tiny = CodecBenchmark.Parameters(
        audioFrames: 6, videoFrames: 3, repetitions: 2, videoWidth: 64, videoHeight: 48, packets: 20, calls: 3)

    static let ratioGoals: [String: Double] = [
        "srtp-gcm": 1.10, "srtp-aes-cm": 1.10, "audio-path": 1.10,
        "opus-encode-c10": 1.05, "opus-encode-c5": 1.05, "opus-decode": 1.05, "opus-plc": 1.05,
        "vp8-encode": 1.05, "vp8-decode": 1.05, "vp9-encode": 1.05, "vp9-decode": 1.05,
    ]
    /// Cases with no bare counterpart, and their absolute goals in µs per unit.
    static let absoluteGoals: [String: Double] = ["rtp-serialize": 0.3, "rtp-parse": 0.3, "call-setup": 1000]

    @Test("a tiny run reports every case with positive, finite times and ratios")
    func structure() throws {
        var steps: [String] = []
        let report = try CodecBenchmark(parameters: Self.tiny).run { step, repetition, repetitions in
            #expect(repetitions == 2)
            #expect((1...2).contains(repetition))
            steps.append(step)
        }
        #expect(report.cases.map(\.name) == CodecBenchmark.caseNames)
        #expect(Set(steps) == [
            "opus-encode-c10", "opus-encode-c5", "opus-decode", "opus-plc",
            "srtp-gcm", "srtp-aes-cm", "rtp-serialize", "rtp-parse", "call-setup", "audio-path",
            "vp8-encode+decode", "vp9-encode+decode",
        ])
        #expect(steps.count == 12 * 2)
        for c in report.cases {
            let video = c.name.hasPrefix("vp")
            let transport = c.name.hasPrefix("srtp") || c.name.hasPrefix("rtp")
            let call = c.name == "call-setup"
            #expect(c.frames == (video ? 3 : transport ? 20 : call ? 3 : 6), "\(c.name)")
            #expect(c.repetitions == 2)
            #expect(c.unit == (c.name.hasPrefix("srtp") ? "round trip" : c.name.hasPrefix("rtp") ? "packet"
                : call ? "call" : "frame"), "\(c.name)")
            for value in [c.wrapperMicrosecondsPerFrame.min, c.wrapperMicrosecondsPerFrame.median] {
                #expect(value.isFinite && value > 0, "\(c.name): \(value)")
            }
            #expect(c.wrapperMicrosecondsPerFrame.min <= c.wrapperMicrosecondsPerFrame.median)
            #expect(c.wrapperOutput > 0, "\(c.name)")
            if let absolute = Self.absoluteGoals[c.name] {
                // No bare counterpart: absolute goal, no ratio.
                #expect(c.bareMicrosecondsPerFrame == nil && c.ratio == nil && c.goal == nil && c.bareOutput == nil)
                #expect(c.absoluteGoalMicroseconds == absolute, "\(c.name)")
                #expect(c.processCPU == nil)
                // Call setup's goal is "< 1 ms": strictly under.
                let min = c.wrapperMicrosecondsPerFrame.min
                #expect(c.withinGoal == (call ? min < absolute : min <= absolute), "\(c.name)")
                continue
            }
            let bare = try #require(c.bareMicrosecondsPerFrame, "\(c.name) has no bare time")
            for value in [bare.min, bare.median] {
                #expect(value.isFinite && value > 0, "\(c.name): \(value)")
            }
            #expect(bare.min <= bare.median)
            let ratio = try #require(c.ratio, "\(c.name) has no ratio")
            #expect(ratio.isFinite && ratio > 0, "\(c.name): ratio \(ratio)")
            let expected = c.wrapperMicrosecondsPerFrame.min / bare.min
            #expect(abs(ratio - expected) <= 1e-9 * expected, "\(c.name): ratio \(ratio), minima give \(expected)")
            let goal = try #require(c.goal)
            #expect(goal == Self.ratioGoals[c.name], "\(c.name): goal \(goal)")
            #expect(c.absoluteGoalMicroseconds == nil)
            #expect(c.withinGoal == (ratio <= goal))
            // Both paths did the same work.
            let bareOutput = try #require(c.bareOutput)
            #expect(bareOutput > 0, "\(c.name)")
            #expect(bareOutput == c.wrapperOutput, "\(c.name): bare \(bareOutput), wrapper \(c.wrapperOutput)")
            if video {
                let cpu = try #require(c.processCPU, "\(c.name) has no process CPU time")
                #expect(cpu.bareMicrosecondsPerFrame.min >= 0 && cpu.bareMicrosecondsPerFrame.min.isFinite)
                #expect(cpu.wrapperMicrosecondsPerFrame.min >= 0 && cpu.wrapperMicrosecondsPerFrame.min.isFinite)
                #expect(cpu.ratio.isFinite && cpu.ratio > 0)
            } else {
                #expect(c.processCPU == nil)
            }
        }
        // Opus outputs: samples per channel for decode and PLC, one 20 ms frame each.
        let decode = try #require(report.cases.first { $0.name == "opus-decode" })
        #expect(decode.bareOutput == 6 * 960)
        let plc = try #require(report.cases.first { $0.name == "opus-plc" })
        #expect(plc.bareOutput == 6 * 960)
        // The audio path decoded every frame it encoded: 6 frames of 960 samples.
        let path = try #require(report.cases.first { $0.name == "audio-path" })
        #expect(path.bareOutput == 6 * 960 && path.wrapperOutput == 6 * 960)
        // SRTP: bytes round-tripped; RTP: bytes written and payload bytes found, 128-byte
        // packets with 100-byte payloads.
        for name in ["srtp-gcm", "srtp-aes-cm"] {
            #expect(report.cases.first { $0.name == name }?.wrapperOutput == 20 * 128, "\(name)")
        }
        #expect(report.cases.first { $0.name == "rtp-serialize" }?.wrapperOutput == 20 * 128)
        #expect(report.cases.first { $0.name == "rtp-parse" }?.wrapperOutput == 20 * 100)
        // Call setup: twelve SRTP streams per call (on each side an outbound and an inbound
        // session, each with an RTCP, an audio and a video stream).
        #expect(report.cases.first { $0.name == "call-setup" }?.wrapperOutput == 3 * CallSetupBenchmark.streamsPerCall)
        #expect(CallSetupBenchmark.streamsPerCall == 12)

        let worst = try #require(report.cases.filter { $0.ratio != nil }.max { $0.ratio! < $1.ratio! })
        #expect(report.summary.worstCase == worst.name)
        #expect(report.summary.worstRatio == worst.ratio)
        #expect(report.summary.goal == worst.goal)
        #expect(report.summary.allWithinGoal == report.cases.allSatisfy(\.withinGoal))
        #expect(report.parameters == Self.tiny)
        #expect(report.buildConfiguration == "debug" || report.buildConfiguration == "release")
        #expect(report.libraries.opus.contains("opus"))
        #expect(!report.libraries.vpx.isEmpty)
        #expect(report.libraries.srtp?.contains("srtp") == true)
        #expect(report.machine.coreCount > 0)
        #expect(!report.machine.architecture.isEmpty)
        #expect(ISO8601DateFormatter().date(from: report.date) != nil, "date \(report.date) is not ISO 8601")
    }

    @Test("the JSON report decodes back to the same report, with sorted keys")
    func jsonRoundTrip() throws {
        let report = try CodecBenchmark(parameters: Self.tiny).run()
        let data = try report.jsonData()
        let decoded = try JSONDecoder().decode(BenchmarkReport.self, from: data)
        #expect(decoded == report)
        let text = String(decoding: data, as: UTF8.self)
        let keys = ["\"buildConfiguration\"", "\"cases\"", "\"clock\"", "\"date\"", "\"libraries\"", "\"machine\"",
                    "\"parameters\"", "\"summary\""]
        let positions = keys.compactMap { text.range(of: "\n  \($0)")?.lowerBound }
        #expect(positions.count == keys.count, "top-level keys missing in \(text.prefix(400))")
        #expect(positions == positions.sorted())
    }

    @Test("a report written before the SRTP and RTP cases still decodes")
    func decodesOlderReports() throws {
        let report = try CodecBenchmark(parameters: Self.tiny).run()
        var object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        // Strip what older reports lack: the new cases, the new fields.
        var parameters = try #require(object["parameters"] as? [String: Any])
        parameters["packets"] = nil
        parameters["calls"] = nil
        object["parameters"] = parameters
        var libraries = try #require(object["libraries"] as? [String: Any])
        libraries["srtp"] = nil
        object["libraries"] = libraries
        let cases = try #require(object["cases"] as? [[String: Any]])
        object["cases"] = cases.filter { ($0["name"] as? String)?.hasPrefix("opus") == true }.map { c in
            var c = c
            c["unit"] = nil
            return c
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        let decoded = try JSONDecoder().decode(BenchmarkReport.self, from: data)
        #expect(decoded.parameters.packets == CodecBenchmark.Parameters.standard.packets)
        #expect(decoded.parameters.calls == CodecBenchmark.Parameters.standard.calls)
        #expect(decoded.libraries.srtp == nil)
        #expect(decoded.cases.count == 4 && decoded.cases.allSatisfy { $0.unit == nil && $0.ratio != nil })
    }

    @Test("the audio path carries every frame through RTP and SRTP and decodes what a bare decoder decodes")
    func audioPathRoundTrips() throws {
        let frames = BenchmarkSignals.speechFrames(frames: 12)
        let configuration = OpusConfiguration(bitrate: 32_000, complexity: 10)
        let opusPackets = try CodecBenchmark.packets(configuration, frames)
        let reference = try OpusDecoder(sampleRate: 48000, channels: 1)
        var expected = [Float](repeating: 0, count: reference.maximumFrameSize)

        var path = try AudioPathBenchmark(configuration: configuration)
        for (frame, opus) in zip(frames, opusPackets) {
            let samples = try frame.withUnsafeBufferPointer { try path.process($0) }
            #expect(samples == 960)
            let n = try reference.decode(opus, into: &expected)
            #expect(Array(path.lastDecodedFrame) == Array(expected[0..<n]), "decoded audio differs")
        }
        #expect(path.framesEncoded == 12 && path.framesDecoded == 12 && path.samplesDecoded == 12 * 960)
        #expect(path.bytesEncoded == opusPackets.reduce(0) { $0 + $1.count })
        #expect(path.bytesReceived == path.bytesEncoded)
        #expect(path.sender.statistics.protectedRTPPackets == 12)
        #expect(path.receiver.statistics.unprotectedRTPPackets == 12)
        // The bare SRTP calls of the comparison get the very packets the path sends.
        let rtp = try AudioPathBenchmark.rtpPackets(for: opusPackets)
        #expect(rtp.count == 12)
        #expect(path.packetBytes == rtp.reduce(0) { $0 + $1.count })
        #expect(zip(rtp, opusPackets).allSatisfy { $0.count == $1.count + 28 })
        let view = try RTPPacketView.parse(rtp[3])
        #expect(view.header.payloadType == 111 && view.payloadRange.count == opusPackets[3].count)
        #expect(try SRTPBareCalls.protectUnprotect(
            suite: .aeadAES128GCM, masterKey: TransportBenchmark.masterKey(for: .aeadAES128GCM), packets: rtp) > 0)
    }

    @Test("the audio path allocates per frame no more than the bare libsrtp2 calls do")
    func audioPathAllocations() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let frames = BenchmarkSignals.speechFrames(frames: 110)
        let configuration = OpusConfiguration(bitrate: 32_000, complexity: 10)
        // libsrtp2 over NSS allocates inside each call; count that for 100 packets.
        let rtp = try AudioPathBenchmark.rtpPackets(for: CodecBenchmark.packets(configuration, frames))
        let key = TransportBenchmark.masterKey(for: .aeadAES128GCM)
        _ = try SRTPBareCalls.protectUnprotect(suite: .aeadAES128GCM, masterKey: key, packets: Array(rtp[0..<10]))
        let bareSetup = try AllocationCounter.count {
            _ = try SRTPBareCalls.protectUnprotect(suite: .aeadAES128GCM, masterKey: key, packets: Array(rtp[0..<10]))
        }
        let bareTotal = try AllocationCounter.count {
            _ = try SRTPBareCalls.protectUnprotect(suite: .aeadAES128GCM, masterKey: key, packets: rtp)
        }
        let bare = bareTotal - bareSetup

        var path = try AudioPathBenchmark(configuration: configuration)
        // Warm-up: libsrtp creates the stream for the SSRC on the first packets.
        for frame in frames[0..<10] { _ = try frame.withUnsafeBufferPointer { try path.process($0) } }
        var failure: (any Error)?
        let allocations = AllocationCounter.count {
            for frame in frames[10...] {
                do { _ = try frame.withUnsafeBufferPointer { try path.process($0) } } catch { failure = error }
            }
        }
        #expect(failure == nil)
        // NSS makes a few one-off allocations now and then.
        #expect(allocations <= bare + 8, "audio path: \(allocations) allocations over 100 frames, bare libsrtp2: \(bare)")
    }

    @Test("an empty configuration is refused with a message")
    func refusesEmptyRuns() {
        for parameters in [
            CodecBenchmark.Parameters(audioFrames: 0, videoFrames: 3, repetitions: 1, videoWidth: 64, videoHeight: 48),
            CodecBenchmark.Parameters(audioFrames: 3, videoFrames: 0, repetitions: 1, videoWidth: 64, videoHeight: 48),
            CodecBenchmark.Parameters(audioFrames: 3, videoFrames: 3, repetitions: 0, videoWidth: 64, videoHeight: 48),
            CodecBenchmark.Parameters(
                audioFrames: 3, videoFrames: 3, repetitions: 1, videoWidth: 64, videoHeight: 48, packets: 0),
            CodecBenchmark.Parameters(
                audioFrames: 3, videoFrames: 3, repetitions: 1, videoWidth: 64, videoHeight: 48, calls: 0),
        ] {
            #expect(throws: CodecError.self) { try CodecBenchmark(parameters: parameters).run() }
        }
    }

    @Test("the bare Opus calls produce what the wrappers produce")
    func bareOpusMatchesWrapper() throws {
        let frames = BenchmarkSignals.speechFrames(frames: 10)
        let configuration = OpusConfiguration(bitrate: 32_000, complexity: 10)
        let encoder = try OpusEncoder(configuration: configuration)
        var buffer = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        var packets: [[UInt8]] = []
        for frame in frames {
            let n = try encoder.encode(frame, into: &buffer)
            packets.append(Array(buffer[0..<n]))
        }
        let bare = try OpusBareCalls.encode(configuration: configuration, frames: frames)
        #expect(bare.bytes == packets.reduce(0) { $0 + $1.count })
        #expect(bare.seconds > 0)
        let decoded = try OpusBareCalls.decode(sampleRate: 48000, channels: 1, packets: packets)
        #expect(decoded.samples == 10 * 960)
        let concealed = try OpusBareCalls.conceal(sampleRate: 48000, channels: 1, frameSize: 960, packets: packets)
        #expect(concealed.samples == 10 * 960)
        #expect(throws: CodecError.self) {
            try OpusBareCalls.conceal(sampleRate: 48000, channels: 1, frameSize: 0, packets: packets)
        }
        #expect(throws: CodecError.self) {
            try OpusBareCalls.encode(configuration: configuration, frames: [[0, 0, 0]])
        }
    }

    @Test("the synthetic inputs are deterministic, audible and moving")
    func syntheticInputs() {
        let a = BenchmarkSignals.speechFrames(frames: 50)
        #expect(a == BenchmarkSignals.speechFrames(frames: 50))
        #expect(a.count == 50 && a.allSatisfy { $0.count == 960 })
        let samples = a.flatMap { $0 }
        let peak = samples.map { abs($0) }.max() ?? 0
        #expect(peak > 0.05 && peak <= 1)
        // Syllables: some frames are much louder than others.
        let energies = a.map { frame in frame.reduce(0) { $0 + $1 * $1 } }
        #expect((energies.max() ?? 0) > 10 * (energies.min() ?? 0))

        let clip = BenchmarkSignals.movingClip(width: 64, height: 48, frames: 3)
        #expect(clip == BenchmarkSignals.movingClip(width: 64, height: 48, frames: 3))
        #expect(clip.count == 3 && clip.allSatisfy { $0.width == 64 && $0.height == 48 })
        #expect(clip[0].data != clip[1].data)
    }
}
