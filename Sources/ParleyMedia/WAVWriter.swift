import ParleyCore

/// Writes interleaved float samples to a RIFF/WAVE file as PCM 16/24-bit or float32.
///
/// The header is kept valid while writing: after every `write` the RIFF and data chunk
/// sizes are rewritten in place, so a process killed mid-recording leaves a playable
/// file holding everything written so far. The 44-byte header uses a 16-byte fmt chunk
/// (format 1 for PCM, 3 for float).
public final class WAVWriter {
    public let path: String
    public let format: AudioFormat
    public let sampleFormat: WAVSampleFormat
    /// Frames per channel written so far.
    public private(set) var framesWritten: Int = 0

    private let file: MediaFile
    private var dataBytes = 0
    private var closed = false
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int
    private static let maxScratchBytes = 256 * 1024
    private static let maxDataBytes = Int(UInt32.max) - 44

    /// Creates (or truncates) `path` and writes the header. On failure nothing is left behind.
    /// - Throws: `MediaError.invalidParameter` for a bad format, `cannotWrite` when the
    ///   file cannot be created.
    public init(path: String, format: AudioFormat, sampleFormat: WAVSampleFormat = .pcm16) throws {
        guard (1...256).contains(format.channels) else {
            throw MediaError.invalidParameter("WAV channels must be 1...256, got \(format.channels)")
        }
        guard (1...1_536_000).contains(format.sampleRate) else {
            throw MediaError.invalidParameter("WAV sample rate must be 1...1536000 Hz, got \(format.sampleRate)")
        }
        self.path = path
        self.format = format
        self.sampleFormat = sampleFormat
        let blockAlign = format.channels * sampleFormat.bytesPerSample
        var header: [UInt8] = []
        header.reserveCapacity(44)
        header.appendASCII("RIFF")
        header.appendLE(UInt32(36))
        header.appendASCII("WAVEfmt ")
        header.appendLE(UInt32(16))
        header.appendLE(UInt16(sampleFormat == .float32 ? 3 : 1))
        header.appendLE(UInt16(format.channels))
        header.appendLE(UInt32(format.sampleRate))
        header.appendLE(UInt32(format.sampleRate * blockAlign))
        header.appendLE(UInt16(blockAlign))
        header.appendLE(UInt16(sampleFormat.bitsPerSample))
        header.appendASCII("data")
        header.appendLE(UInt32(0))
        file = try MediaFile.create(path, header: header)
        scratchCapacity = 4096 * sampleFormat.bytesPerSample
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit {
        try? close()
        scratch.deallocate()
    }

    /// Appends interleaved samples (`format.channels` per frame). PCM output clamps to
    /// [-1, 1] (NaN becomes 0); float32 stores the values as given.
    /// - Throws: `invalidParameter` if the count is not a whole number of frames,
    ///   `cannotWrite` on I/O failure, after `close`, or past the 4 GiB WAV limit.
    public func write(_ samples: UnsafeBufferPointer<Float>) throws {
        guard !closed else {
            throw MediaError.cannotWrite(path: path, reason: "the writer is already closed")
        }
        let channels = format.channels
        guard samples.count % channels == 0 else {
            throw MediaError.invalidParameter("\(samples.count) samples is not a whole number of \(channels)-channel frames")
        }
        guard let base = samples.baseAddress, !samples.isEmpty else { return }
        let bps = sampleFormat.bytesPerSample
        let (bytes, overflow) = samples.count.multipliedReportingOverflow(by: bps)
        guard !overflow, dataBytes + bytes <= WAVWriter.maxDataBytes else {
            throw MediaError.cannotWrite(path: path, reason: "a WAV file holds at most 4 GiB of audio; start a new file")
        }
        if scratchCapacity < bytes && scratchCapacity < WAVWriter.maxScratchBytes {
            let newCapacity = min(max(bytes, scratchCapacity * 2), WAVWriter.maxScratchBytes)
            scratch.deallocate()
            scratch = .allocate(capacity: newCapacity)
            scratchCapacity = newCapacity
        }
        let samplesPerChunk = (scratchCapacity / (bps * channels)) * channels
        var index = 0
        while index < samples.count {
            let count = min(samplesPerChunk, samples.count - index)
            encode(base + index, count: count)
            try file.write(scratch, count: count * bps)
            index += count
            dataBytes += count * bps
            framesWritten += count / channels
        }
        try updateHeader(padding: 0)
    }

    /// Appends interleaved samples; see `write(_: UnsafeBufferPointer<Float>)`.
    public func write(_ samples: [Float]) throws {
        try samples.withUnsafeBufferPointer { try write($0) }
    }

    /// Appends interleaved samples; see `write(_: UnsafeBufferPointer<Float>)`.
    public func write(_ samples: ArraySlice<Float>) throws {
        try samples.withUnsafeBufferPointer { try write($0) }
    }

    private func encode(_ source: UnsafePointer<Float>, count: Int) {
        switch sampleFormat {
        case .pcm16:
            for i in 0..<count {
                let v = UInt16(bitPattern: Int16(WAVWriter.quantize(source[i], scale: 32768)))
                scratch[2 * i] = UInt8(truncatingIfNeeded: v)
                scratch[2 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
            }
        case .pcm24:
            for i in 0..<count {
                let v = UInt32(bitPattern: WAVWriter.quantize(source[i], scale: 8_388_608))
                scratch[3 * i] = UInt8(truncatingIfNeeded: v)
                scratch[3 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                scratch[3 * i + 2] = UInt8(truncatingIfNeeded: v >> 16)
            }
        case .float32:
            for i in 0..<count {
                let v = source[i].bitPattern
                scratch[4 * i] = UInt8(truncatingIfNeeded: v)
                scratch[4 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                scratch[4 * i + 2] = UInt8(truncatingIfNeeded: v >> 16)
                scratch[4 * i + 3] = UInt8(truncatingIfNeeded: v >> 24)
            }
        }
    }

    /// The integer PCM code for `sample` at full scale `scale` (32768 for 16-bit, 8388608 for
    /// 24-bit): `round(sample * scale)` clamped to [-scale, scale - 1]; NaN gives 0.
    /// `WAVReader` decodes code `q` as `Float(q) / scale`.
    public static func quantize(_ sample: Float, scale: Int32) -> Int32 {
        guard !sample.isNaN else { return 0 }
        let clamped = sample < -1 ? -1 : (sample > 1 ? 1 : sample)
        let scaled = (Double(clamped) * Double(scale)).rounded()
        return Int32(min(max(scaled, -Double(scale)), Double(scale - 1)))
    }

    private func updateHeader(padding: Int) throws {
        try file.pwriteUInt32LE(UInt32(36 + dataBytes + padding), at: 4)
        try file.pwriteUInt32LE(UInt32(dataBytes), at: 40)
    }

    /// Pads an odd-sized data chunk, finalizes the header and closes the file. Idempotent.
    public func close() throws {
        guard !closed else { return }
        closed = true
        defer { try? file.close() }
        if dataBytes % 2 == 1 {
            var pad: UInt8 = 0
            try file.write(&pad, count: 1)
            try updateHeader(padding: 1)
        } else {
            try updateHeader(padding: 0)
        }
        try file.close()
    }
}
