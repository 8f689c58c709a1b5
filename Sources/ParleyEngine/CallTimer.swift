import ParleyCodecs

/// Accumulates the CPU and wall time spent in one kind of call: the calling thread's CPU,
/// the process's CPU (which also counts libvpx's worker threads) and monotonic wall time.
public struct CallTimer: Sendable {
    public private(set) var threadSeconds = 0.0
    public private(set) var processSeconds = 0.0
    public private(set) var wallSeconds = 0.0
    public private(set) var calls = 0
    /// When false, `measure` only counts calls: reading the thread and process CPU clocks
    /// is a system call each (microseconds on a VM), too dear for the dozens of 20 ms
    /// audio frames a mesh call encodes and decodes per tick.
    public var isEnabled = true

    public init() {}

    @inline(__always)
    public mutating func measure<T>(_ body: () throws -> T) rethrows -> T {
        guard isEnabled else {
            calls += 1
            return try body()
        }
        let t0 = BenchmarkClock.threadCPUSeconds(), p0 = BenchmarkClock.processCPUSeconds()
        let w0 = BenchmarkClock.monotonicSeconds()
        defer {
            threadSeconds += BenchmarkClock.threadCPUSeconds() - t0
            processSeconds += BenchmarkClock.processCPUSeconds() - p0
            wallSeconds += BenchmarkClock.monotonicSeconds() - w0
            calls += 1
        }
        return try body()
    }

    /// Mean microseconds of thread CPU per call.
    public var microsecondsPerCall: Double { calls == 0 ? 0 : threadSeconds / Double(calls) * 1e6 }
}
