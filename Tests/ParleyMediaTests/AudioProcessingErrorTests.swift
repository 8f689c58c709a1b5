@testable import ParleyMedia
import Testing

private typealias H = MediaTestHelpers

/// Bad configurations and bad frames give a `MediaError` that says what to do, never a crash,
/// and leave the processors usable.
@Suite struct AudioProcessingErrorTests {
    @Test("presets: .device turns every stage on, .file every stage off; both validate")
    func presets() throws {
        let device = AudioProcessing.device
        #expect(device.echoCancellation && device.noiseSuppression && device.automaticGainControl && device.voiceActivityDetection)
        #expect(device.sampleRate == 48000 && device.frameSize == 480)
        #expect(!AudioProcessing.file.isEnabled)
        try device.validate()
        try AudioProcessing.file.validate()
        var twenty = device
        twenty.frameMilliseconds = 20
        twenty.sampleRate = 16000
        #expect(twenty.frameSize == 320)
        #expect(twenty.echoFilterLength % 320 == 0 && twenty.echoFilterLength >= 2400)
    }

    /// A preset with one setting changed to a bad value.
    static func bad(_ setting: String, _ change: (inout AudioProcessing) -> Void) -> (String, AudioProcessing) {
        var configuration = AudioProcessing.device
        change(&configuration)
        return (setting, configuration)
    }

    static let badSettings: [(String, AudioProcessing)] = [
        bad("sampleRate") { $0.sampleRate = 4000 },
        bad("sampleRate") { $0.sampleRate = 11025 },   // 110.25 samples per 10 ms frame
        bad("frameMilliseconds") { $0.frameMilliseconds = 15 },
        bad("echoTailMilliseconds") { $0.echoTailMilliseconds = 0 },
        bad("echoTailMilliseconds") { $0.echoTailMilliseconds = 5000 },
        bad("noiseSuppressionDecibels") { $0.noiseSuppressionDecibels = -15 },
        bad("echoSuppressionDecibels") { $0.echoSuppressionDecibels = 200 },
        bad("echoSuppressionActiveDecibels") { $0.echoSuppressionActiveDecibels = -1 },
        bad("agcLevel") { $0.agcLevel = .nan },
        bad("agcLevel") { $0.agcLevel = 0 },
        bad("agcMaxGainDecibels") { $0.agcMaxGainDecibels = 100 },
        bad("vadProbabilityStart") { $0.vadProbabilityStart = 101 },
        bad("vadProbabilityContinue") { $0.vadProbabilityContinue = 90 },
    ]

    @Test("each out-of-range setting is rejected with its name and accepted range", arguments: badSettings)
    func badConfiguration(setting: String, configuration: AudioProcessing) {
        for make in [{ _ = try EchoCanceller(configuration: configuration) },
                     { _ = try AudioPreprocessor(configuration: configuration) },
                     { _ = try CaptureProcessor(configuration: configuration) }] {
            let error = H.mediaError(make)
            guard case .invalidAudioProcessing(let named, _, _)? = error else {
                Issue.record("\(setting): expected invalidAudioProcessing, got \(String(describing: error))")
                continue
            }
            #expect(named == setting)
            #expect(error!.description.contains(setting) && error!.description.contains("AudioProcessing.device"))
        }
    }

    @Test("an echo canceller with another frame size cannot feed a preprocessor")
    func mismatchedCanceller() throws {
        var twenty = AudioProcessing.device
        twenty.frameMilliseconds = 20
        let canceller = try EchoCanceller(configuration: twenty)
        let error = H.mediaError { _ = try AudioPreprocessor(configuration: .device, echoCanceller: canceller) }
        #expect(error?.description.contains("same AudioProcessing") == true, "\(String(describing: error))")
    }

    @Test("wrong frame sizes are refused with the expected size, and the processors stay usable")
    func wrongFrameSizes() throws {
        let canceller = try EchoCanceller(configuration: .device)
        let preprocessor = try AudioPreprocessor(configuration: .device, echoCanceller: canceller)
        let chain = try CaptureProcessor(configuration: .device)
        let good = [Float](repeating: 0.01, count: 480)
        let short = [Float](repeating: 0.01, count: 479)
        var out = [Float](repeating: 0, count: 480)
        var shortOut = [Float](repeating: 0, count: 960)

        let cases: [(String, Int, () throws -> Void)] = [
            ("capture", 479, { try canceller.process(capture: short, farEnd: good, into: &out) }),
            ("far-end", 479, { try canceller.process(capture: good, farEnd: short, into: &out) }),
            ("output", 960, { try canceller.process(capture: good, farEnd: good, into: &shortOut) }),
            ("capture", 479, { var s = short; try preprocessor.process(&s) }),
            ("capture", 0, { var s = [Int16](); try preprocessor.process(&s) }),
            ("far-end", 0, { try chain.process(capture: good, farEnd: [], into: &out) }),
            ("output", 960, { try chain.process(capture: good, farEnd: good, into: &shortOut) }),
        ]
        for (buffer, got, body) in cases {
            let error = H.mediaError(body)
            #expect(error == .audioFrameSizeMismatch(buffer: buffer, expected: 480, got: got, sampleRate: 48000), "\(String(describing: error))")
            #expect(error?.description.contains("has \(got) samples") == true)
            #expect(error?.description.contains("480-sample frames (10 ms at 48000 Hz)") == true)
        }
        try canceller.process(capture: good, farEnd: good, into: &out)
        var frame = good
        _ = try preprocessor.process(&frame)
        _ = try chain.process(capture: good, farEnd: good, into: &out)
    }

    @Test("NaN and infinite samples are refused by index, leaving the frame untouched")
    func nonFiniteSamples() throws {
        let canceller = try EchoCanceller(configuration: .device)
        let preprocessor = try AudioPreprocessor(configuration: .device)
        let file = try CaptureProcessor(configuration: .file)
        let good = [Float](repeating: 0.01, count: 480)
        var bad = good
        bad[17] = .nan
        var infinite = good
        infinite[400] = -.infinity
        var out = [Float](repeating: 0, count: 480)

        #expect(H.mediaError { try canceller.process(capture: bad, farEnd: good, into: &out) } == .nonFiniteSample(buffer: "capture", index: 17))
        #expect(H.mediaError { try canceller.process(capture: good, farEnd: infinite, into: &out) } == .nonFiniteSample(buffer: "far-end", index: 400))
        var frame = bad
        let error = H.mediaError { try preprocessor.process(&frame) }
        #expect(error == .nonFiniteSample(buffer: "capture", index: 17))
        #expect(error?.description.contains("NaN or infinite") == true)
        #expect(frame[0] == 0.01 && frame[17].isNaN)   // untouched
        // Even the pass-through (.file) chain refuses them rather than forwarding NaN to the encoder.
        #expect(H.mediaError { try file.process(capture: infinite, farEnd: good, into: &out) } == .nonFiniteSample(buffer: "capture", index: 400))
        // Out-of-range finite samples saturate instead of wrapping.
        var pcm = [Int16](repeating: 0, count: 4)
        try [Float(4), -4, 0.5, -0.5].withUnsafeBufferPointer { input in
            try pcm.withUnsafeMutableBufferPointer { try PCM16.convert(input, into: $0, buffer: "test") }
        }
        #expect(pcm == [32767, -32768, 16384, -16384])
        // .file passes everything else through unchanged.
        #expect(try file.process(capture: good, farEnd: good, into: &out))
        #expect(out == good)
    }
}
