import CAllocationCounter

/// Counts the heap allocations the calling thread makes while `body` runs.
public enum AllocationCounter {
    /// True when the counting interposer is linked into this process.
    public static var isActive: Bool { parley_allocation_counter_active() != 0 }

    public static func count(_ body: () throws -> Void) rethrows -> Int {
        parley_allocation_counting_start()
        defer { _ = parley_allocation_counting_stop() }
        try body()
        return Int(parley_allocation_counting_stop())
    }
}
