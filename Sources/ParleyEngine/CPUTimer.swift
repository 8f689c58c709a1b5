#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the calling thread's CPU time, the process's CPU time (which also counts
/// libvpx's worker threads) and a monotonic wall clock, in seconds.
public enum CPUTimer {
    public static func thread() -> Double { read(CLOCK_THREAD_CPUTIME_ID) }
    public static func process() -> Double { read(CLOCK_PROCESS_CPUTIME_ID) }
    public static func wall() -> Double { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Accumulates the CPU and wall time spent in one kind of call.
public struct CallTimer: Sendable {
    public private(set) var threadSeconds = 0.0
    public private(set) var processSeconds = 0.0
    public private(set) var wallSeconds = 0.0
    public private(set) var calls = 0

    public init() {}

    @inline(__always)
    public mutating func measure<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = CPUTimer.thread(), p0 = CPUTimer.process(), w0 = CPUTimer.wall()
        defer {
            threadSeconds += CPUTimer.thread() - t0
            processSeconds += CPUTimer.process() - p0
            wallSeconds += CPUTimer.wall() - w0
            calls += 1
        }
        return try body()
    }

    /// Mean microseconds of thread CPU per call.
    public var microsecondsPerCall: Double { calls == 0 ? 0 : threadSeconds / Double(calls) * 1e6 }
}
