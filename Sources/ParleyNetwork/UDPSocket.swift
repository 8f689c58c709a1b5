import ParleyCore

#if canImport(Glibc)
import Glibc
#endif

/// A blocking IPv4 UDP socket with a receive timeout: the plain transport for
/// `parley send` / `parley receive` and the network emulator's proxy. Sends and receives
/// use caller buffers and allocate nothing.
public final class UDPSocket {
    public let localEndpoint: IPv4Endpoint
    private(set) var fd: Int32

    /// Binds to `endpoint` (port 0 picks a free port; see `localEndpoint`).
    public init(bind endpoint: IPv4Endpoint, receiveBufferBytes: Int = 1 << 20) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetworkError.cannotBind(endpoint: endpoint.description, reason: Self.errorText(errno)) }
        var size = Int32(clamping: receiveBufferBytes)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.socketAddress(endpoint)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = Self.errorText(errno)
            Glibc.close(fd)
            throw NetworkError.cannotBind(endpoint: endpoint.description, reason: reason)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        localEndpoint = Self.endpoint(actual)
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Sends one datagram. A full socket buffer or an ICMP "port unreachable" from an
    /// earlier datagram is reported as an error the caller may count and ignore.
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: IPv4Endpoint) throws {
        guard fd >= 0 else { throw NetworkError.closed }
        var address = Self.socketAddress(destination)
        while true {
            let n = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if n >= 0 { return }
            if errno == EINTR { continue }
            throw NetworkError.sendFailed(destination: destination.description, reason: Self.errorText(errno))
        }
    }

    public func send(_ bytes: [UInt8], count: Int? = nil, to destination: IPv4Endpoint) throws {
        let n = min(count ?? bytes.count, bytes.count)
        try bytes.withUnsafeBytes { try send(UnsafeRawBufferPointer(rebasing: $0[0..<n]), to: destination) }
    }

    /// Waits up to `timeout` seconds (nil: forever) for a datagram and reads it into
    /// `buffer`. Returns nil on timeout. A datagram larger than the buffer is truncated
    /// and reported with `truncated: true`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?) throws -> (count: Int, source: IPv4Endpoint, truncated: Bool)? {
        guard fd >= 0 else { throw NetworkError.closed }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = timeout.map { Int32(max(0, min(Double(Int32.max), ($0 * 1000).rounded(.up)))) } ?? -1
        while true {
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw NetworkError.receiveFailed(reason: Self.errorText(errno))
            }
            if ready == 0 { return nil }
            break
        }
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        while true {
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC), $0, &length)
                }
            }
            if n >= 0 {
                return (min(n, buffer.count), Self.endpoint(from), n > buffer.count)
            }
            if errno == EINTR { continue }
            // A previous send drew an ICMP port unreachable: not this receive's fault.
            if errno == ECONNREFUSED { return nil }
            throw NetworkError.receiveFailed(reason: Self.errorText(errno))
        }
    }

    public func receive(into buffer: inout [UInt8], timeout: Double?) throws -> (count: Int, source: IPv4Endpoint, truncated: Bool)? {
        try buffer.withUnsafeMutableBytes { try receive(into: $0, timeout: timeout) }
    }

    static func socketAddress(_ endpoint: IPv4Endpoint) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = endpoint.port.bigEndian
        address.sin_addr = in_addr(s_addr: endpoint.address.bigEndian)
        return address
    }

    static func endpoint(_ address: sockaddr_in) -> IPv4Endpoint {
        IPv4Endpoint(address: UInt32(bigEndian: address.sin_addr.s_addr), port: UInt16(bigEndian: address.sin_port))
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// Waits for any of several UDP sockets to have a datagram (poll(2)), so that one thread
/// can serve the sockets of a call's media sections and sleep between media ticks. The
/// poll set is allocated once; waiting allocates nothing.
public final class UDPSocketPoller {
    private var fds: [pollfd]

    public init(_ sockets: [UDPSocket]) {
        fds = sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
    }

    /// Waits up to `timeout` seconds; true when at least one socket is readable.
    public func wait(timeout: Double) throws -> Bool {
        let milliseconds = Int32(max(0, min(Double(Int32.max), (timeout * 1000).rounded(.up))))
        while true {
            let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
            if ready < 0 {
                if errno == EINTR { return false }
                throw NetworkError.receiveFailed(reason: UDPSocket.errorText(errno))
            }
            return ready > 0
        }
    }
}
