import CNice
import Foundation

/// A GLib main loop on its own thread: where libnice runs its timers, sockets and
/// callbacks (design.md: "libnice runs its GLib main loop on its own thread"). One loop
/// serves any number of agents; `shared` is the process's.
public final class GLibLoop: @unchecked Sendable {
    public static let shared = GLibLoop(name: "parley-ice")

    let context: OpaquePointer
    private let loop: OpaquePointer
    private let lock = NSLock()
    private var threadID: pthread_t?

    public init(name: String) {
        context = g_main_context_new()
        loop = g_main_loop_new(context, 0)
        let started = DispatchSemaphore(value: 0)
        // The thread holds the C pointers, not the loop object: dropping the last
        // reference quits the loop (deinit), and the thread then releases the context.
        let pointers = LoopPointers(context: context, loop: loop)
        let thread = Thread { [weak self] in
            if let self {
                lock.lock()
                threadID = pthread_self()
                lock.unlock()
            }
            g_main_context_push_thread_default(pointers.context)
            started.signal()
            g_main_loop_run(pointers.loop)  // holds its own reference to the loop while it runs
            g_main_context_pop_thread_default(pointers.context)
            g_main_context_unref(pointers.context)
        }
        thread.name = name
        thread.start()
        started.wait()
    }

    deinit {
        g_main_loop_quit(loop)
        g_main_loop_unref(loop)
    }

    /// Whether the caller is the loop's thread.
    public var isCurrent: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }

    /// Runs `body` on the loop's thread and waits for it (runs it at once when called there).
    public func sync<T>(_ body: @escaping () -> T) -> T {
        if isCurrent { return body() }
        let done = DispatchSemaphore(value: 0)
        var result: T?
        async {
            result = body()
            done.signal()
        }
        done.wait()
        return result!
    }

    /// Runs `body` on the loop's thread later.
    public func async(_ body: @escaping () -> Void) {
        let task = Unmanaged.passRetained(LoopTask(body)).toOpaque()
        parley_g_invoke(context, { data in
            Unmanaged<LoopTask>.fromOpaque(data!).takeRetainedValue().body()
            return 0  // G_SOURCE_REMOVE
        }, task)
    }
}

private struct LoopPointers: @unchecked Sendable {
    let context: OpaquePointer
    let loop: OpaquePointer
}

private final class LoopTask {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
