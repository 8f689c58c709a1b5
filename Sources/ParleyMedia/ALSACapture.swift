import Atomics

/// Captures from an ALSA PCM on its own (real-time when allowed) thread and hands the
/// media thread interleaved float frames at the engine rate (48 kHz) through a lock-free
/// ring. Buffers are allocated when the stream is opened; the device loop and `read`
/// allocate nothing.
///
/// If the device fails for good (unplugged, -ENODEV/-EBADFD, any fatal error) the stream
/// is marked lost (`isLost`, `lostReason`), its thread ends, and `read` goes on giving
/// silence when asked to pad: the call continues without the device.
public final class ALSACapture: @unchecked Sendable {
    public let device: ALSADeviceName
    public let configuration: ALSAConfiguration
    /// The rate the device actually runs at (resampled to `configuration.engineRate` when it differs).
    public var deviceRate: Int { worker.pcm.rate }
    /// The sample format negotiated with the device.
    public var sampleFormat: ALSAConfiguration.SampleFormat { worker.pcm.format }
    /// Period and buffer the device granted, in device frames.
    public var periodFrames: Int { worker.pcm.periodFrames }
    public var bufferFrames: Int { worker.pcm.bufferFrames }
    public var channels: Int { configuration.channels }

    private let worker: Worker
    private let runner: ALSAStreamRunner

    /// Opens and configures the device; nothing is captured before `start()`.
    /// - Throws: `MediaError` (device missing or busy, unsupported format/rate/channels, …).
    public init(device: ALSADeviceName, configuration: ALSAConfiguration = ALSAConfiguration()) throws {
        self.device = device
        self.configuration = configuration
        worker = try Worker(pcm: ALSAPCM(device: device, capture: true, configuration: configuration), configuration: configuration)
        runner = ALSAStreamRunner(worker: worker, threadName: "parley-alsa-in", realTimePriority: configuration.realTimePriority)
    }

    deinit {
        stop()
    }

    /// Starts the device thread.
    public func start() throws {
        try runner.start()
    }

    /// Stops the device thread and the device. Idempotent.
    public func stop() {
        runner.stop()
    }

    /// Media thread: copies captured frames (interleaved, `channels` per frame, engine rate)
    /// into `buffer`. With `padWithSilence`, the rest of `buffer` is zeroed when fewer were
    /// waiting (always the case once the device is lost).
    /// - Returns: frames of real captured audio copied.
    @discardableResult
    public func read(into buffer: UnsafeMutableBufferPointer<Float>, padWithSilence: Bool = false) -> Int {
        let got = worker.ring.read(into: buffer)
        if padWithSilence, let base = buffer.baseAddress {
            let used = got * channels
            if used < buffer.count { (base + used).update(repeating: 0, count: buffer.count - used) }
        }
        return got
    }

    /// Frames waiting for the media thread.
    public var availableFrames: Int { worker.ring.availableToRead }
    public var stats: ALSAStreamStats { worker.state.snapshot() }
    public var isLost: Bool { worker.state.isLost }
    public var lostReason: String? { worker.state.lostReason }
    /// Measured device clock rate / nominal rate; nil until about 1.5 s have run.
    public var clockRatio: Double? { worker.state.clockRatio }
    /// nil before the thread ran; "" when SCHED_FIFO was obtained; otherwise why not.
    public var realTimeStatus: String? { worker.state.realTimeResult }

    /// Tests: runs `periods` iterations of the device loop on the calling thread (the
    /// stream must not be started), e.g. to count its allocations.
    func runDeviceLoopHere(periods: Int) { runner.runHere(periods: periods) }

    /// Tests: puts the PCM back in its SETUP state (snd_pcm_drop) behind the loop's back,
    /// so the next read fails with -EBADFD as when a device goes away.
    func breakDeviceForTesting() {
        guard !runner.isStarted else { return }
        worker.pcm.stop(drain: false)
    }

    /// The device thread's side.
    private final class Worker: ALSAStreamWorker, @unchecked Sendable {
        let pcm: ALSAPCM
        let ring: AudioFrameRing
        let state: ALSAStreamState
        let running = ManagedAtomic<Bool>(false)
        private let resampler: Resampler?
        private let deviceBytes: UnsafeMutableRawPointer
        private let deviceFloats: UnsafeMutablePointer<Float>
        private let engineFloats: UnsafeMutablePointer<Float>
        private let engineCapacity: Int

        init(pcm: ALSAPCM, configuration c: ALSAConfiguration) throws {
            self.pcm = pcm
            ring = AudioFrameRing(capacityFrames: c.engineRate * c.ringMilliseconds / 1000, channels: c.channels)
            state = ALSAStreamState(nominalRate: pcm.rate)
            resampler = pcm.rate == c.engineRate ? nil
                : try Resampler(channels: c.channels, inputRate: pcm.rate, outputRate: c.engineRate, quality: c.resamplerQuality)
            resampler?.skipZeros()
            deviceBytes = .allocate(byteCount: pcm.periodFrames * pcm.bytesPerFrame, alignment: 16)
            deviceFloats = .allocate(capacity: pcm.periodFrames * c.channels)
            engineCapacity = pcm.periodFrames * c.engineRate / pcm.rate + 64
            engineFloats = .allocate(capacity: engineCapacity * c.channels)
        }

        deinit {
            deviceBytes.deallocate()
            deviceFloats.deallocate()
            engineFloats.deallocate()
        }

        func run() {
            let err = pcm.prepare() // a no-op on a fresh stream; needed after a stop
            if err < 0 {
                state.markLost("the device cannot be prepared: \(ALSAPCM.message(err))")
                running.store(false, ordering: .releasing)
                return
            }
            pcm.startPacing()
            while running.load(ordering: .acquiring) {
                if !step() {
                    running.store(false, ordering: .releasing)
                    return
                }
            }
            pcm.stop(drain: false)
        }

        /// One period: read, convert, resample, hand over, pace. False once the device is lost.
        func step() -> Bool {
            let channels = pcm.channels
            let n = pcm.read(deviceBytes, frames: pcm.periodFrames)
            if n < 0 {
                switch pcm.recover(n) {
                case .retry: break
                case .xrun:
                    state.xruns.wrappingIncrement(ordering: .relaxed)
                    state.restartClockEstimate()
                case .suspend:
                    state.suspends.wrappingIncrement(ordering: .relaxed)
                    state.restartClockEstimate()
                case .lost(let why):
                    state.markLost(why)
                    return false
                }
                return true
            }
            if n == 0 { return true }
            let total = state.deviceFrames.wrappingIncrementThenLoad(by: n, ordering: .relaxed)
            state.noteProgress(total: total, now: ALSAStreamState.monotonicSeconds())
            toFloat(frames: n * channels)
            if let resampler {
                var consumed = 0
                while consumed < n {
                    let (c, p) = resampler.process(
                        input: UnsafeBufferPointer(start: deviceFloats + consumed * channels, count: (n - consumed) * channels),
                        output: UnsafeMutableBufferPointer(start: engineFloats, count: engineCapacity * channels))
                    push(UnsafeBufferPointer(start: engineFloats, count: p * channels))
                    consumed += c
                    if c == 0 && p == 0 { break }
                }
            } else {
                push(UnsafeBufferPointer(start: deviceFloats, count: n * channels))
            }
            pcm.pace(frames: n)
            return true
        }

        private func push(_ frames: UnsafeBufferPointer<Float>) {
            let offered = frames.count / pcm.channels
            guard offered > 0 else { return }
            let written = ring.write(frames)
            state.engineFrames.wrappingIncrement(by: written, ordering: .relaxed)
            if written < offered { state.overflowFrames.wrappingIncrement(by: offered - written, ordering: .relaxed) }
        }

        private func toFloat(frames samples: Int) {
            switch pcm.format {
            case .s16LE:
                let src = deviceBytes.assumingMemoryBound(to: Int16.self)
                for i in 0..<samples { deviceFloats[i] = Float(Int16(littleEndian: src[i])) * (1.0 / 32768.0) }
            case .floatLE:
                deviceFloats.update(from: deviceBytes.assumingMemoryBound(to: Float.self), count: samples)
            }
        }
    }
}
