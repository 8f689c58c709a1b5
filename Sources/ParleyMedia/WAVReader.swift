import ParleyCore

/// Streams a RIFF/WAVE file as interleaved float samples, converting channels and
/// sample rate on the way.
///
/// Accepts PCM 16-bit, PCM 24-bit and IEEE float 32-bit, plain or in
/// WAVE_FORMAT_EXTENSIBLE; skips unknown chunks (LIST, fact, …). The file is read in
/// fixed 1024-frame chunks through buffers allocated once in `init`: `read` does no heap
/// allocation once the caller's buffer is large enough.
///
/// Channel conversion, when the output channel count differs from the file's:
/// - N → 1: the average of all input channels;
/// - 1 → N: the mono channel duplicated into every output channel;
/// - otherwise: output channel `c` takes input channel `c` while `c` < input channels;
///   extra input channels are dropped, and extra output channels repeat the input
///   channels cyclically (input `c % inputChannels`), e.g. stereo → 4 gives L R L R.
public final class WAVReader {
    public let path: String
    public let info: WAVInfo
    /// The format `read` produces: the `output` given to `init`, or the file's own format.
    public let outputFormat: AudioFormat

    private let file: MediaFile
    private let inputChannels: Int
    private let outputChannels: Int
    private let blockAlign: Int
    private let sampleFormat: WAVSampleFormat
    /// Bytes of the data chunk not yet read, or nil to read to the end of the file.
    private var remainingBytes: Int?

    private let chunkFrames = 1024
    private let raw: UnsafeMutablePointer<UInt8>
    private let converted: UnsafeMutablePointer<Float>

    private let resampler: Resampler?
    private var pendingStart = 0
    private var pendingCount = 0
    private var inputEnded = false
    private var flushing = false
    private var inputFramesTotal = 0
    private var outputFramesTotal = 0
    private var flushFramesFed = 0

    /// Opens and parses `path`.
    /// - Parameters:
    ///   - output: the sample rate and channel count to deliver; nil keeps the file's.
    ///   - resamplerQuality: speexdsp quality 0...10, used only when the rates differ.
    /// - Throws: `MediaError` — `fileNotFound`, `emptyFile`, `notWAV`, `unsupportedWAV`,
    ///   `truncated` (no data chunk, or not one whole frame of the audio the header promises),
    ///   `invalidParameter` for a bad `output` or quality.
    public init(path: String, output: AudioFormat? = nil, resamplerQuality: Int = 5) throws {
        if let output {
            guard (1...256).contains(output.channels) else {
                throw MediaError.invalidParameter("WAV output channels must be 1...256, got \(output.channels)")
            }
            guard (1...1_536_000).contains(output.sampleRate) else {
                throw MediaError.invalidParameter("WAV output sample rate must be 1...1536000 Hz, got \(output.sampleRate)")
            }
        }
        guard (0...10).contains(resamplerQuality) else {
            throw MediaError.invalidParameter("resampler quality must be 0...10, got \(resamplerQuality)")
        }
        self.path = path
        let file = try MediaFile.openForReading(path)
        self.file = file

        var header = [UInt8](repeating: 0, count: 40)
        let got = try header.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 12) }
        let (riffID, waveID) = header.withUnsafeBytes { ($0.ascii(0, 4), $0.ascii(8, 4)) }
        if got >= 4 && riffID == "RF64" {
            throw MediaError.unsupportedWAV(path: path, reason: "RF64 (WAV over 4 GiB) is not supported")
        }
        guard got == 12, riffID == "RIFF", waveID == "WAVE" else {
            throw MediaError.notWAV(path: path)
        }

        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var dataSizeField: UInt32?
        while dataSizeField == nil {
            let n = try header.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 8) }
            if n == 0 { break }
            guard n == 8 else {
                throw MediaError.truncated(path: path, reason: "a chunk header is cut short at byte \(file.position)")
            }
            let (id, size) = header.withUnsafeBytes { ($0.ascii(0, 4), Int($0.u32(4))) }
            switch id {
            case "fmt ":
                guard size >= 16 else {
                    throw MediaError.unsupportedWAV(path: path, reason: "fmt chunk is \(size) bytes, at least 16 are needed")
                }
                let want = min(size, 40)
                let m = try header.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: want) }
                guard m == want else {
                    throw MediaError.truncated(path: path, reason: "the fmt chunk is cut short")
                }
                _ = try file.skip(size - want + (size & 1))
                format = try header.withUnsafeBytes { try WAVReader.parseFormat($0, size: want, path: path) }
            case "data":
                guard format != nil else {
                    throw MediaError.unsupportedWAV(path: path, reason: "the data chunk comes before the fmt chunk")
                }
                dataSizeField = UInt32(size)
            default:
                _ = try file.skip(size + (size & 1))
            }
        }
        guard let format else {
            throw MediaError.truncated(path: path, reason: "no fmt chunk")
        }
        guard let dataSizeField else {
            throw MediaError.truncated(path: path, reason: "no data chunk; the file holds no audio")
        }

        let sampleFormat: WAVSampleFormat
        switch (format.tag, format.bits) {
        case (1, 16): sampleFormat = .pcm16
        case (1, 24): sampleFormat = .pcm24
        case (3, 32): sampleFormat = .float32
        case (1, let bits): throw MediaError.unsupportedWAV(path: path, reason: "\(bits)-bit PCM; only 16- and 24-bit PCM are read")
        case (3, let bits): throw MediaError.unsupportedWAV(path: path, reason: "\(bits)-bit float; only 32-bit float is read")
        case (let tag, _): throw MediaError.unsupportedWAV(path: path, reason: "\(WAVReader.formatName(tag)) encoding")
        }
        guard format.channels > 0 else {
            throw MediaError.unsupportedWAV(path: path, reason: "0 channels")
        }
        guard format.channels <= 256 else {
            throw MediaError.unsupportedWAV(path: path, reason: "\(format.channels) channels, at most 256 are read")
        }
        guard format.rate > 0 else {
            throw MediaError.unsupportedWAV(path: path, reason: "sample rate 0")
        }
        guard format.rate <= 1_536_000 else {
            throw MediaError.unsupportedWAV(path: path, reason: "sample rate \(format.rate) Hz is absurd")
        }

        let blockAlign = format.channels * sampleFormat.bytesPerSample
        let available = file.size().map { max(0, $0 - file.position) }
        let frameCount: Int
        var declaredFrameCount: Int?
        if dataSizeField == 0 || dataSizeField == 0xFFFF_FFFF {
            remainingBytes = nil
            frameCount = (available ?? 0) / blockAlign
        } else {
            let declared = Int(dataSizeField)
            remainingBytes = declared
            declaredFrameCount = declared / blockAlign
            let present = min(declared, available ?? declared)
            frameCount = present / blockAlign
            if present < blockAlign {
                throw MediaError.truncated(path: path, reason: "the header promises \(declared) bytes of audio but the file holds \(present)")
            }
        }

        let fileFormat = AudioFormat(sampleRate: format.rate, channels: format.channels)
        let outputFormat = output ?? fileFormat
        self.info = WAVInfo(format: fileFormat, sampleFormat: sampleFormat, frameCount: frameCount,
                            declaredFrameCount: declaredFrameCount)
        self.outputFormat = outputFormat
        self.sampleFormat = sampleFormat
        self.blockAlign = blockAlign
        self.inputChannels = format.channels
        self.outputChannels = outputFormat.channels
        if outputFormat.sampleRate != fileFormat.sampleRate {
            let resampler = try Resampler(channels: outputFormat.channels, inputRate: fileFormat.sampleRate,
                                          outputRate: outputFormat.sampleRate, quality: resamplerQuality)
            resampler.skipZeros()
            self.resampler = resampler
        } else {
            resampler = nil
        }
        raw = .allocate(capacity: chunkFrames * blockAlign)
        converted = .allocate(capacity: chunkFrames * outputFormat.channels)
        converted.initialize(repeating: 0, count: chunkFrames * outputFormat.channels)
    }

    deinit {
        raw.deallocate()
        converted.deallocate()
    }

    private static let subformatTail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]

    private static func parseFormat(_ bytes: UnsafeRawBufferPointer, size: Int, path: String) throws -> (tag: Int, channels: Int, rate: Int, bits: Int) {
        var tag = Int(bytes.u16(0))
        let channels = Int(bytes.u16(2))
        let rate = Int(bytes.u32(4))
        let bits = Int(bytes.u16(14))
        if tag == 0xFFFE {
            guard size >= 40 else {
                throw MediaError.unsupportedWAV(path: path, reason: "WAVE_FORMAT_EXTENSIBLE fmt chunk is only \(size) bytes")
            }
            guard Array(bytes[26..<40]) == subformatTail else {
                throw MediaError.unsupportedWAV(path: path, reason: "unknown WAVE_FORMAT_EXTENSIBLE subformat GUID")
            }
            tag = Int(bytes.u16(24))
        }
        return (tag, channels, rate, bits)
    }

    private static func formatName(_ tag: Int) -> String {
        switch tag {
        case 2: return "Microsoft ADPCM (format 2)"
        case 6: return "A-law (format 6)"
        case 7: return "µ-law (format 7)"
        case 0x11: return "IMA ADPCM (format 0x11)"
        case 0x55: return "MP3 (format 0x55)"
        default: return "format tag 0x\(String(tag, radix: 16))"
        }
    }

    /// Reads up to `frames` frames per channel into `buffer` as interleaved floats in [-1, 1]
    /// at `outputFormat`. `buffer` is grown only when it holds fewer than
    /// `frames * outputFormat.channels` samples.
    /// - Returns: frames per channel written to `buffer[0 ..< n * outputFormat.channels]`;
    ///   0 at the end of the audio (after the resampler's tail has been flushed).
    public func read(into buffer: inout [Float], frames: Int) throws -> Int {
        guard frames >= 0 else {
            throw MediaError.invalidParameter("frames must not be negative, got \(frames)")
        }
        guard frames > 0 else { return 0 }
        let (needed, overflow) = frames.multipliedReportingOverflow(by: outputChannels)
        guard !overflow, needed <= 1 << 32 else {
            throw MediaError.invalidParameter("frames \(frames) is too large")
        }
        if buffer.count < needed {
            buffer.append(contentsOf: repeatElement(0, count: needed - buffer.count))
        }
        return try buffer.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return 0 }
            if resampler != nil {
                return try readResampled(into: base, frames: frames)
            }
            return try readDirect(into: base, frames: frames)
        }
    }

    /// Reads up to `frames` (≤ chunkFrames) frames from the file and converts them to
    /// `outputChannels` floats at `destination`. Returns the whole frames read.
    private func readFrames(_ frames: Int, into destination: UnsafeMutablePointer<Float>) throws -> Int {
        var bytes = frames * blockAlign
        if let remainingBytes { bytes = min(bytes, remainingBytes - remainingBytes % blockAlign) }
        guard bytes > 0 else { return 0 }
        let got = try file.read(into: raw, count: bytes)
        if let remaining = remainingBytes {
            // A short read means the file ends inside the data chunk: nothing more will come.
            remainingBytes = got < bytes ? 0 : remaining - got
        }
        let whole = got / blockAlign
        convert(frames: whole, into: destination)
        return whole
    }

    @inline(__always)
    private func sample(_ frame: UnsafeMutablePointer<UInt8>, _ channel: Int) -> Float {
        switch sampleFormat {
        case .pcm16:
            let p = frame + channel * 2
            let v = Int16(bitPattern: UInt16(p[0]) | UInt16(p[1]) << 8)
            return Float(v) / 32768
        case .pcm24:
            let p = frame + channel * 3
            let v = Int32(p[0]) | Int32(p[1]) << 8 | Int32(Int8(bitPattern: p[2])) << 16
            return Float(v) / 8_388_608
        case .float32:
            let p = frame + channel * 4
            let bits = UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
            let v = Float(bitPattern: bits)
            if v.isNaN { return 0 }
            return v < -1 ? -1 : (v > 1 ? 1 : v)
        }
    }

    private func convert(frames: Int, into destination: UnsafeMutablePointer<Float>) {
        let inCh = inputChannels
        let outCh = outputChannels
        for f in 0..<frames {
            let frame = raw + f * blockAlign
            let out = destination + f * outCh
            if outCh == inCh {
                for c in 0..<outCh { out[c] = sample(frame, c) }
            } else if outCh == 1 {
                var sum: Float = 0
                for c in 0..<inCh { sum += sample(frame, c) }
                out[0] = sum / Float(inCh)
            } else {
                for c in 0..<outCh { out[c] = sample(frame, c < inCh ? c : c % inCh) }
            }
        }
    }

    private func readDirect(into base: UnsafeMutablePointer<Float>, frames: Int) throws -> Int {
        var produced = 0
        while produced < frames {
            let want = min(frames - produced, chunkFrames)
            let got = try readFrames(want, into: base + produced * outputChannels)
            produced += got
            if got < want { break }
        }
        return produced
    }

    private func readResampled(into base: UnsafeMutablePointer<Float>, frames: Int) throws -> Int {
        guard let resampler else { return 0 }
        let outCh = outputChannels
        var produced = 0
        while produced < frames {
            let space = UnsafeMutableBufferPointer(start: base + produced * outCh, count: (frames - produced) * outCh)
            if pendingCount > 0 {
                let input = UnsafeBufferPointer(start: converted + pendingStart * outCh, count: pendingCount * outCh)
                let (consumed, made) = resampler.process(input: input, output: space)
                pendingStart += consumed
                pendingCount -= consumed
                produced += made
                outputFramesTotal += made
                if consumed == 0 && made == 0 { break }
                continue
            }
            if !inputEnded {
                let got = try readFrames(chunkFrames, into: converted)
                inputFramesTotal += got
                pendingStart = 0
                pendingCount = got
                if got < chunkFrames { inputEnded = true }
                continue
            }
            // Input is over: feed silence to push the filter's tail out, stopping at the
            // output length that matches the input's duration.
            if !flushing {
                flushing = true
                converted.update(repeating: 0, count: chunkFrames * outCh)
            }
            let target = (inputFramesTotal * resampler.outputRate + resampler.inputRate / 2) / resampler.inputRate
            let wanted = target - outputFramesTotal
            let flushLimit = 2 * resampler.inputLatencyFrames + 2 * chunkFrames
            guard wanted > 0, flushFramesFed < flushLimit else { break }
            let room = min(frames - produced, wanted)
            let (consumed, made) = resampler.process(
                input: UnsafeBufferPointer(start: converted, count: chunkFrames * outCh),
                output: UnsafeMutableBufferPointer(start: base + produced * outCh, count: room * outCh))
            flushFramesFed += consumed
            produced += made
            outputFramesTotal += made
            if consumed == 0 && made == 0 { break }
        }
        return produced
    }
}
