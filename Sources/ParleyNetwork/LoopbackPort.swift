import ParleyCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding a loopback port for a server a test or a benchmark starts (coturn listens on
/// UDP and TCP alike).
public enum LoopbackPort {
    /// A 127.0.0.1 port free for both UDP and TCP right now, or nil after 20 tries.
    public static func freeForUDPAndTCP() -> Int? {
        for _ in 0..<20 {
            guard let socket = try? UDPSocket(bind: IPv4Endpoint(address: 0x7F00_0001, port: 0)) else { continue }
            let port = socket.localEndpoint.port
            socket.close()
            if tcpPortIsFree(port) { return Int(port) }
        }
        return nil
    }

    private static func tcpPortIsFree(_ port: UInt16) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
