import Atomics

/// Plays to an ALSA PCM from its own (real-time when allowed) thread, taking interleaved
/// float frames at the engine rate (48 kHz) that the media thread writes into a lock-free
/// ring. When the ring runs dry the device gets silence (an underflow), so the device never
/// starves. Buffers are allocated when the stream is opened; the device loop and `write`
/// allocate nothing.
///
/// If the device fails for good the stream is marked lost (`isLost`, `lostReason`), its
/// thread ends, and `write` discards what it is given: the call continues without it.
public final class ALSAPlayback: @unchecked Sendable {
    public let device: ALSADeviceName
    public let configuration: ALSAConfiguration
    /// The rate the device actually runs at (resampled from `configuration.engineRate` when it differs).
    public var deviceRate: Int { worker.pcm.rate }
    public var sampleFormat: ALSAConfiguration.SampleFormat { worker.pcm.format }
    /// Period and buffer the device granted, in device frames.
    public var periodFrames: Int { worker.pcm.periodFrames }
    public var bufferFrames: Int { worker.pcm.bufferFrames }
    public var channels: Int { configuration.channels }

    private let worker: Worker
    private let runner: ALSAStreamRunner

    /// Opens and configures the device; nothing is played before `start()`.
    /// - Throws: `MediaError` (device missing or busy, unsupported format/rate/channels, …).
    public init(device: ALSADeviceName, configuration: ALSAConfiguration = ALSAConfiguration()) throws {
        self.device = device
        self.configuration = configuration
        worker = try Worker(pcm: ALSAPCM(device: device, capture: false, configuration: configuration), configuration: configuration)
        runner = ALSAStreamRunner(worker: worker, threadName: "parley-alsa-out", realTimePriority: configuration.realTimePriority)
    }

    deinit {
        stop()
    }

    /// Starts the device thread (it plays silence until frames are written).
    public func start() throws {
        try runner.start()
    }

    /// Stops the device thread. With `drain`, the ring and the device buffer play out first
    /// (bounded by the ring's length). Idempotent.
    public func stop(drain: Bool = false) {
        worker.drainOnStop.store(drain, ordering: .relaxed)
        runner.stop()
    }

    /// Media thread: queues `frames` (interleaved, `channels` per frame, engine rate).
    /// Frames that do not fit are dropped and counted (`overflowFrames`); once the device
    /// is lost everything is discarded.
    /// - Returns: frames queued.
    @discardableResult
    public func write(_ frames: UnsafeBufferPointer<Float>) -> Int {
        if worker.state.isLost { return 0 }
        let offered = frames.count / channels
        let written = worker.ring.write(frames)
        if written < offered { worker.state.overflowFrames.wrappingIncrement(by: offered - written, ordering: .relaxed) }
        return written
    }

    /// Frames queued and not yet taken by the device thread.
    public var queuedFrames: Int { worker.ring.availableToRead }
    /// Frames that can be written now without overflowing.
    public var freeFrames: Int { worker.ring.availableToWrite }
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

    /// The device thread's side.
    private final class Worker: ALSAStreamWorker, @unchecked Sendable {
        let pcm: ALSAPCM
        let ring: AudioFrameRing
        let state: ALSAStreamState
        let running = ManagedAtomic<Bool>(false)
        let drainOnStop = ManagedAtomic<Bool>(false)
        private let resampler: Resampler?
        private let deviceBytes: UnsafeMutableRawPointer
        private let deviceFloats: UnsafeMutablePointer<Float>
        /// Engine-rate frames taken from the ring and not yet resampled.
        private let staging: UnsafeMutablePointer<Float>
        private let stagingCapacity: Int
        private var stagingStart = 0
        private var stagingEnd = 0

        init(pcm: ALSAPCM, configuration c: ALSAConfiguration) throws {
            self.pcm = pcm
            ring = AudioFrameRing(capacityFrames: c.engineRate * c.ringMilliseconds / 1000, channels: c.channels)
            state = ALSAStreamState(nominalRate: pcm.rate)
            resampler = pcm.rate == c.engineRate ? nil
                : try Resampler(channels: c.channels, inputRate: c.engineRate, outputRate: pcm.rate, quality: c.resamplerQuality)
            resampler?.skipZeros()
            deviceBytes = .allocate(byteCount: pcm.periodFrames * pcm.bytesPerFrame, alignment: 16)
            deviceFloats = .allocate(capacity: pcm.periodFrames * c.channels)
            stagingCapacity = max(pcm.periodFrames, pcm.periodFrames * c.engineRate / pcm.rate)
            staging = .allocate(capacity: stagingCapacity * c.channels)
        }

        deinit {
            deviceBytes.deallocate()
            deviceFloats.deallocate()
            staging.deallocate()
        }

        func run() {
            let err = pcm.prepare() // a no-op on a fresh stream; needed after a stop
            if err < 0 {
                state.markLost("the device cannot be prepared: \(ALSAPCM.message(err))")
                running.store(false, ordering: .releasing)
                return
            }
            pcm.startPacing()
            var draining = false
            while true {
                if !running.load(ordering: .acquiring) {
                    guard drainOnStop.load(ordering: .relaxed), hasQueuedAudio else { break }
                    draining = true
                }
                if !step() {
                    running.store(false, ordering: .releasing)
                    ring.discardAll()
                    return
                }
                if draining && !hasQueuedAudio { break }
            }
            pcm.stop(drain: draining)
        }

        private var hasQueuedAudio: Bool { ring.availableToRead > 0 || stagingEnd > stagingStart }

        /// One period: take from the ring (or silence), resample, convert, write, pace.
        /// False once the device is lost.
        func step() -> Bool {
            let period = pcm.periodFrames
            fillPeriod(period)
            fromFloat(samples: period * pcm.channels)
            var done = 0
            while done < period {
                let n = pcm.write(deviceBytes + done * pcm.bytesPerFrame, frames: period - done)
                if n >= 0 {
                    done += n
                    continue
                }
                switch pcm.recover(n) {
                case .retry: continue
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
            }
            let total = state.deviceFrames.wrappingIncrementThenLoad(by: period, ordering: .relaxed)
            state.noteProgress(total: total, now: ALSAStreamState.monotonicSeconds())
            pcm.pace(frames: period)
            return true
        }

        /// Fills `deviceFloats` with one period at the device rate from the ring, padding
        /// with silence (an underflow) when the ring is dry.
        private func fillPeriod(_ period: Int) {
            let channels = pcm.channels
            var short = false
            guard let resampler else {
                let got = ring.read(into: UnsafeMutableBufferPointer(start: deviceFloats, count: period * channels))
                state.engineFrames.wrappingIncrement(by: got, ordering: .relaxed)
                if got < period {
                    (deviceFloats + got * channels).update(repeating: 0, count: (period - got) * channels)
                    state.underflows.wrappingIncrement(ordering: .relaxed)
                }
                return
            }
            var produced = 0
            while produced < period {
                if stagingEnd <= stagingStart {
                    let chunk = max(1, (period - produced) * resampler.inputRate / resampler.outputRate + 1)
                    let want = min(stagingCapacity, chunk)
                    let got = ring.read(into: UnsafeMutableBufferPointer(start: staging, count: want * channels))
                    state.engineFrames.wrappingIncrement(by: got, ordering: .relaxed)
                    if got < want {
                        (staging + got * channels).update(repeating: 0, count: (want - got) * channels)
                        short = true
                    }
                    stagingStart = 0
                    stagingEnd = want
                }
                let (c, p) = resampler.process(
                    input: UnsafeBufferPointer(start: staging + stagingStart * channels, count: (stagingEnd - stagingStart) * channels),
                    output: UnsafeMutableBufferPointer(start: deviceFloats + produced * channels, count: (period - produced) * channels))
                stagingStart += c
                produced += p
                if c == 0 && p == 0 {
                    (deviceFloats + produced * channels).update(repeating: 0, count: (period - produced) * channels)
                    break
                }
            }
            if short { state.underflows.wrappingIncrement(ordering: .relaxed) }
        }

        private func fromFloat(samples: Int) {
            switch pcm.format {
            case .s16LE:
                let dst = deviceBytes.assumingMemoryBound(to: Int16.self)
                for i in 0..<samples {
                    let v = (deviceFloats[i] * 32767).rounded()
                    dst[i] = Int16(littleEndian: Int16(max(-32768, min(32767, v))))
                }
            case .floatLE:
                deviceBytes.assumingMemoryBound(to: Float.self).update(from: deviceFloats, count: samples)
            }
        }
    }
}
