import Atomics

/// A single-producer single-consumer ring of interleaved float audio frames, allocated
/// once: how an ALSA device thread and the media thread exchange audio without locks or
/// allocation (design.md: threads and time). One thread writes, one thread reads.
public final class AudioFrameRing: @unchecked Sendable {
    /// Frames the ring holds.
    public let capacityFrames: Int
    public let channels: Int
    private let storage: UnsafeMutablePointer<Float>
    /// Frames read (consumer) and written (producer), counting forever.
    private let head = ManagedAtomic<Int>(0)
    private let tail = ManagedAtomic<Int>(0)

    public init(capacityFrames: Int, channels: Int) {
        self.capacityFrames = max(1, capacityFrames)
        self.channels = max(1, channels)
        storage = .allocate(capacity: self.capacityFrames * self.channels)
        storage.initialize(repeating: 0, count: self.capacityFrames * self.channels)
    }

    deinit {
        storage.deallocate()
    }

    /// Frames waiting to be read.
    public var availableToRead: Int { tail.load(ordering: .acquiring) - head.load(ordering: .acquiring) }
    /// Frames that can be written now.
    public var availableToWrite: Int { capacityFrames - availableToRead }

    /// Producer: copies as many whole frames of `frames` (interleaved) as fit.
    /// - Returns: frames written; fewer than offered when the ring is full.
    @discardableResult
    public func write(_ frames: UnsafeBufferPointer<Float>) -> Int {
        guard let src = frames.baseAddress else { return 0 }
        let t = tail.load(ordering: .relaxed)
        let free = capacityFrames - (t - head.load(ordering: .acquiring))
        let n = min(free, frames.count / channels)
        guard n > 0 else { return 0 }
        let start = t % capacityFrames
        let first = min(n, capacityFrames - start)
        (storage + start * channels).update(from: src, count: first * channels)
        if n > first {
            storage.update(from: src + first * channels, count: (n - first) * channels)
        }
        tail.store(t + n, ordering: .releasing)
        return n
    }

    /// Consumer: copies up to `into.count / channels` frames out.
    /// - Returns: frames read; fewer than asked when the ring runs dry.
    @discardableResult
    public func read(into buffer: UnsafeMutableBufferPointer<Float>) -> Int {
        guard let dst = buffer.baseAddress else { return 0 }
        let h = head.load(ordering: .relaxed)
        let avail = tail.load(ordering: .acquiring) - h
        let n = min(avail, buffer.count / channels)
        guard n > 0 else { return 0 }
        let start = h % capacityFrames
        let first = min(n, capacityFrames - start)
        dst.update(from: storage + start * channels, count: first * channels)
        if n > first {
            (dst + first * channels).update(from: storage, count: (n - first) * channels)
        }
        head.store(h + n, ordering: .releasing)
        return n
    }

    /// Consumer: drops everything waiting. Returns the frames dropped.
    @discardableResult
    public func discardAll() -> Int {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        head.store(t, ordering: .releasing)
        return t - h
    }
}
