import Atomics

/// The device-thread side of an ALSA stream (`ALSACapture`'s or `ALSAPlayback`'s worker).
protocol ALSAStreamWorker: AnyObject, Sendable {
    var pcm: ALSAPCM { get }
    var state: ALSAStreamState { get }
    var running: ManagedAtomic<Bool> { get }
    /// The device loop, on the device thread, until `running` goes false or the device is lost.
    func run()
    /// One period of the loop. False once the device is lost.
    func step() -> Bool
}

/// What capture and playback share: their worker's device thread — started once (SCHED_FIFO
/// tried, its outcome recorded), stopped and joined idempotently — and the tests' way of
/// running the device loop on the calling thread.
final class ALSAStreamRunner: @unchecked Sendable {
    let worker: any ALSAStreamWorker
    private let threadName: String
    private let realTimePriority: Int32?
    private var thread: DeviceThread?

    init(worker: any ALSAStreamWorker, threadName: String, realTimePriority: Int32?) {
        self.worker = worker
        self.threadName = threadName
        self.realTimePriority = realTimePriority
    }

    var isStarted: Bool { thread != nil }

    func start() throws {
        guard thread == nil else { return }
        let worker = self.worker
        worker.running.store(true, ordering: .releasing)
        thread = try DeviceThread(name: threadName, realTimePriority: realTimePriority) { rtError in
            worker.state.setRealTimeResult(rtError)
            worker.run()
        }
    }

    func stop() {
        worker.running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    /// Tests: `periods` iterations of the device loop on the calling thread (the stream must
    /// not be started), e.g. to count its allocations.
    func runHere(periods: Int) {
        guard thread == nil else { return }
        worker.pcm.startPacing()
        for _ in 0..<periods { if !worker.step() { break } }
    }
}
