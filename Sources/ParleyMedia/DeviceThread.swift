import CALSA
import Glibc

/// A POSIX thread for a device loop: started with a `@convention(c)` trampoline and an
/// `Unmanaged` context (design.md), tries SCHED_FIFO, and can be joined.
final class DeviceThread {
    private final class Context {
        let name: String
        let priority: Int32?
        let body: (_ realTimeError: String?) -> Void
        init(name: String, priority: Int32?, body: @escaping (String?) -> Void) {
            self.name = name
            self.priority = priority
            self.body = body
        }
    }

    private var thread: pthread_t?

    /// Starts `body` on a new thread. `body` receives nil when real-time scheduling was
    /// obtained (or not asked), else why it was not.
    init(name: String, realTimePriority: Int32?, body: @escaping (_ realTimeError: String?) -> Void) throws {
        let context = Unmanaged.passRetained(Context(name: name, priority: realTimePriority, body: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            guard let raw else { return nil }
            let context = Unmanaged<Context>.fromOpaque(raw).takeRetainedValue()
            parley_set_thread_name(String(context.name.prefix(15)))
            var rtError: String? = nil
            if let priority = context.priority {
                var param = sched_param()
                param.sched_priority = priority
                let err = pthread_setschedparam(pthread_self(), Int32(SCHED_FIFO), &param)
                if err != 0 {
                    rtError = "SCHED_FIFO priority \(priority) refused: \(String(cString: strerror(err))) (grant CAP_SYS_NICE or an rtprio limit in /etc/security/limits.conf)"
                }
            } else {
                rtError = "not asked"
            }
            context.body(rtError)
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            throw MediaError.invalidParameter("cannot start the \(name) thread: \(String(cString: strerror(rc)))")
        }
        thread = tid
    }

    /// Waits for the thread to end. Idempotent.
    func join() {
        if let t = thread {
            thread = nil
            pthread_join(t, nil)
        }
    }
}
