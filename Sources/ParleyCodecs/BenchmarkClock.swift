#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clocks `parley bench` reads, for the bare C calls and the wrappers alike.
public enum BenchmarkClock {
    /// CLOCK_MONOTONIC in nanoseconds: wall time, which includes any libvpx worker thread
    /// the calling thread waits for.
    @inlinable @inline(__always)
    public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// User plus system CPU time of the whole process so far (`getrusage(RUSAGE_SELF)`),
    /// in seconds. Unlike a thread CPU clock it counts every thread, libvpx's workers too.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        let who = RUSAGE_SELF.rawValue
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
