#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clocks Parley measures cost with: `parley bench` for the bare C calls and the
/// wrappers alike, and the loopback's per-call CPU accounting.
public enum BenchmarkClock {
    /// CPU time of the calling thread, in seconds (libvpx worker threads not included).
    public static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// CLOCK_MONOTONIC in seconds.
    public static func monotonicSeconds() -> Double {
        Double(monotonicNanoseconds()) * 1e-9
    }

    /// CLOCK_MONOTONIC in nanoseconds: wall time, which includes any libvpx worker thread
    /// the calling thread waits for.
    @inlinable @inline(__always)
    public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// CPU time of the whole process so far (CLOCK_PROCESS_CPUTIME_ID, nanosecond
    /// resolution), in seconds. Unlike a thread CPU clock it counts every thread, libvpx's
    /// workers too.
    public static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
