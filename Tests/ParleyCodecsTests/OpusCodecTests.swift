import Foundation
import ParleyCodecs
import ParleyMetrics
import ParleyTestSupport
import Testing

/// A deterministic voiced-speech-like signal: a harmonic series on a gliding pitch,
/// shaped by a slow syllable envelope.
func voicedSignal(sampleRate: Int, seconds: Double, channels: Int = 1) -> [Float] {
    let n = Int(Double(sampleRate) * seconds)
    var out = [Float](repeating: 0, count: n * channels)
    var phase = 0.0
    for i in 0..<n {
        let t = Double(i) / Double(sampleRate)
        let f0 = 140 + 40 * sin(2 * .pi * 1.3 * t)
        phase += 2 * .pi * f0 / Double(sampleRate)
        var v = 0.0
        for h in 1...12 where Double(h) * f0 < Double(sampleRate) / 2 {
            let formant = exp(-pow((Double(h) * f0 - 700) / 500, 2)) + 0.5 * exp(-pow((Double(h) * f0 - 1800) / 600, 2))
            v += (0.15 + formant) / Double(h) * sin(Double(h) * phase)
        }
        let envelope = 0.55 + 0.45 * sin(2 * .pi * 3 * t)
        for c in 0..<channels { out[i * channels + c] = Float(0.25 * v * envelope) }
    }
    return out
}

func tone(_ frequency: Double, sampleRate: Int, seconds: Double, channels: Int = 1, amplitude: Double = 0.5) -> [Float] {
    let n = Int(Double(sampleRate) * seconds)
    var out = [Float](repeating: 0, count: n * channels)
    for i in 0..<n {
        let v = Float(amplitude * sin(2 * .pi * frequency * Double(i) / Double(sampleRate)))
        for c in 0..<channels { out[i * channels + c] = v }
    }
    return out
}

/// Encodes `pcm` frame by frame; returns the packets.
func encodeAll(_ pcm: [Float], _ encoder: OpusEncoder) throws -> [[UInt8]] {
    let step = encoder.frameSize * encoder.configuration.channels
    var packets: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
    var start = 0
    while start + step <= pcm.count {
        let n = try pcm.withUnsafeBufferPointer { all in
            try buffer.withUnsafeMutableBytes { try encoder.encode(UnsafeBufferPointer(rebasing: all[start..<start + step]), into: $0) }
        }
        packets.append(Array(buffer[0..<n]))
        start += step
    }
    return packets
}

@Suite("Opus codec")
struct OpusCodecTests {
    @Test("a tone keeps its frequency through every rate, channel count and frame duration")
    func toneRoundTrip() throws {
        for rate in OpusConfiguration.supportedSampleRates {
            for channels in [1, 2] {
                for duration in OpusConfiguration.supportedFrameDurations {
                    let config = OpusConfiguration(sampleRate: rate, channels: channels, frameDurationMilliseconds: duration,
                                                   bitrate: 32_000 * channels, application: .audio)
                    let encoder = try OpusEncoder(configuration: config)
                    let decoder = try OpusDecoder(sampleRate: rate, channels: channels)
                    let input = tone(440, sampleRate: rate, seconds: 0.6, channels: channels)
                    var decoded: [Float] = []
                    var pcm = [Float](repeating: 0, count: decoder.maximumFrameSize * channels)
                    for packet in try encodeAll(input, encoder) {
                        let n = try decoder.decode(packet, into: &pcm)
                        #expect(n == config.frameSize, "rate \(rate) channels \(channels) \(duration) ms")
                        decoded.append(contentsOf: pcm[0..<n * channels])
                    }
                    // Left channel, after the codec's start-up.
                    let left = stride(from: 0, to: decoded.count, by: channels).map { decoded[$0] }
                    let settled = Array(left[(rate / 5)...])
                    let frequency = AudioAlignment.dominantFrequency(settled, sampleRate: rate)
                    #expect(abs(frequency - 440) < 3, "rate \(rate) channels \(channels) \(duration) ms: got \(frequency) Hz")
                }
            }
        }
    }

    @Test("packet-loss concealment continues the signal instead of going silent")
    func concealmentIsNotSilence() throws {
        let config = OpusConfiguration(sampleRate: 48000, channels: 1)
        let encoder = try OpusEncoder(configuration: config)
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 1)
        let packets = try encodeAll(voicedSignal(sampleRate: 48000, seconds: 1), encoder)
        var pcm = [Float](repeating: 0, count: decoder.maximumFrameSize)
        var lastEnergy = 0.0
        for packet in packets[0..<30] {
            let n = try decoder.decode(packet, into: &pcm)
            lastEnergy = AudioAlignment.energy(pcm[0..<n])
        }
        let n = try decoder.conceal(frameSize: config.frameSize, into: &pcm)
        #expect(n == config.frameSize)
        let concealed = AudioAlignment.energy(pcm[0..<n])
        #expect(lastEnergy > 1e-4)
        #expect(concealed > 0.1 * lastEnergy, "concealed energy \(concealed) vs last decoded \(lastEnergy)")
        #expect(decoder.framesConcealed == 1)
    }

    @Test("in-band FEC recovers a lost frame closer to the reference than concealment", arguments: [16000, 48000])
    func fecBeatsConcealment(rate: Int) throws {
        let config = OpusConfiguration(sampleRate: rate, channels: 1, bitrate: 24_000, inbandFEC: true, expectedPacketLossPercent: 20)
        let packets = try encodeAll(voicedSignal(sampleRate: rate, seconds: 2), try OpusEncoder(configuration: config))
        let frame = config.frameSize
        var fecError = 0.0, plcError = 0.0
        for lost in stride(from: 20, to: packets.count - 2, by: 9) {
            let reference = try OpusDecoder(sampleRate: rate), withFEC = try OpusDecoder(sampleRate: rate), withPLC = try OpusDecoder(sampleRate: rate)
            var a = [Float](repeating: 0, count: frame * 6), b = a, c = a
            for packet in packets[0..<lost] {
                _ = try reference.decode(packet, into: &a)
                _ = try withFEC.decode(packet, into: &b)
                _ = try withPLC.decode(packet, into: &c)
            }
            _ = try reference.decode(packets[lost], into: &a)
            _ = try withFEC.decodeFEC(from: packets[lost + 1], frameSize: frame, into: &b)
            _ = try withPLC.conceal(frameSize: frame, into: &c)
            for i in 0..<frame {
                fecError += Double((a[i] - b[i]) * (a[i] - b[i]))
                plcError += Double((a[i] - c[i]) * (a[i] - c[i]))
            }
        }
        #expect(fecError < 0.5 * plcError, "FEC error energy \(fecError), PLC error energy \(plcError) at \(rate) Hz")
    }

    @Test("DTX sends near-empty packets during silence")
    func dtxDuringSilence() throws {
        let config = OpusConfiguration(sampleRate: 48000, channels: 1, dtx: true)
        let encoder = try OpusEncoder(configuration: config)
        let silence = [Float](repeating: 0, count: 48000)
        let packets = try encodeAll(silence, encoder)
        let discontinuous = packets.suffix(25).filter { OpusPacket.isDiscontinuous(size: $0.count) }.count
        #expect(discontinuous >= 20, "only \(discontinuous) of the last 25 silent frames were DTX")
        let speech = try encodeAll(voicedSignal(sampleRate: 48000, seconds: 0.5), try OpusEncoder(configuration: config))
        #expect(speech.suffix(10).allSatisfy { !OpusPacket.isDiscontinuous(size: $0.count) })
    }

    @Test("CBR gives packets of one size, VBR of varying sizes near the target rate")
    func bitrateModes() throws {
        let signal = voicedSignal(sampleRate: 48000, seconds: 2)
        let cbr = try encodeAll(signal, try OpusEncoder(configuration: OpusConfiguration(bitrate: 40_000, variableBitrate: false)))
        #expect(Set(cbr.dropFirst(2).map(\.count)) == [100], "40 kbit/s CBR at 20 ms is 100 bytes a packet")
        let vbr = try encodeAll(signal, try OpusEncoder(configuration: OpusConfiguration(bitrate: 40_000, variableBitrate: true, constrainedVBR: false)))
        #expect(Set(vbr.map(\.count)).count > 3)
        let bits = Double(vbr.map(\.count).reduce(0, +) * 8) / 2
        #expect(bits > 20_000 && bits < 60_000, "VBR rate \(bits) bit/s")
    }

    @Test("complexity and application are accepted across their range")
    func settingsRange() throws {
        for complexity in [0, 5, 10] {
            for application in OpusApplication.allCases {
                let encoder = try OpusEncoder(configuration: OpusConfiguration(complexity: complexity, application: application))
                let packets = try encodeAll(tone(1000, sampleRate: 48000, seconds: 0.2), encoder)
                #expect(packets.count == 10 && packets.allSatisfy { $0.count > 2 })
            }
        }
    }

    @Test("settings out of range are refused with a message naming them", arguments: [
        (OpusConfiguration(sampleRate: 44100), "44100"),
        (OpusConfiguration(sampleRate: 0), "sample rate 0"),
        (OpusConfiguration(channels: 3), "channel count 3"),
        (OpusConfiguration(frameDurationMilliseconds: 25), "25 ms"),
        (OpusConfiguration(bitrate: 0), "bitrate 0"),
        (OpusConfiguration(bitrate: 600_000), "600000"),
        (OpusConfiguration(complexity: 11), "complexity 11"),
        (OpusConfiguration(expectedPacketLossPercent: 101), "101"),
    ])
    func invalidSettings(config: OpusConfiguration, mention: String) throws {
        do {
            _ = try OpusEncoder(configuration: config)
            Issue.record("accepted \(config)")
        } catch let error as CodecError {
            guard case .invalidParameter = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains(mention), "\(error)")
        }
        #expect(throws: CodecError.self) { try OpusDecoder(sampleRate: 44100) }
    }

    @Test("malformed packets give an error, not a crash")
    func malformedPackets() throws {
        let decoder = try OpusDecoder(sampleRate: 48000)
        var pcm = [Float](repeating: 0, count: decoder.maximumFrameSize)
        // TOC code 3 with a frame count of zero is invalid (RFC 6716 §3.2.5).
        #expect(throws: CodecError.self) { try decoder.decode([0x03, 0x00], into: &pcm) }
        #expect(throws: CodecError.self) { try decoder.decode([], into: &pcm) }
        // A VBR code-3 packet claiming more bytes than it has.
        #expect(throws: CodecError.self) { try decoder.decode([0x03, 0x82, 0xFF, 0x01], into: &pcm) }
        // Still usable afterwards.
        let good = try encodeAll(tone(440, sampleRate: 48000, seconds: 0.04), try OpusEncoder(configuration: OpusConfiguration()))
        #expect(try decoder.decode(good[0], into: &pcm) == 960)
    }

    @Test("steady-state encode, decode, FEC and PLC allocate nothing on the heap")
    func noAllocationPerFrame() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let config = OpusConfiguration(sampleRate: 48000, channels: 2, inbandFEC: true, expectedPacketLossPercent: 10)
        let encoder = try OpusEncoder(configuration: config)
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 2)
        let input = voicedSignal(sampleRate: 48000, seconds: 1, channels: 2)
        let step = config.frameSize * 2
        var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        var previous = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        var pcm = [Float](repeating: 0, count: decoder.maximumFrameSize * 2)
        var frame = [Float](repeating: 0, count: step)
        func oneFrame(_ index: Int) throws {
            let start = (index * step) % (input.count - step)
            for i in 0..<step { frame[i] = input[start + i] }
            let size = try encoder.encode(frame, into: &packet)
            switch index % 3 {
            case 0: _ = try decoder.decode(packet, count: size, into: &pcm)
            case 1: _ = try decoder.decodeFEC(from: packet, count: size, frameSize: config.frameSize, into: &pcm)
            default: _ = try decoder.conceal(frameSize: config.frameSize, into: &pcm)
            }
            swap(&packet, &previous)
        }
        for i in 0..<10 { try oneFrame(i) }   // warm-up
        var failure: Error?
        let allocations = AllocationCounter.count {
            do { for i in 10..<200 { try oneFrame(i) } } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(allocations == 0, "\(allocations) heap allocations in 190 frames")
    }
}
