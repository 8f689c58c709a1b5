import Foundation
import ParleyCore
import ParleyNetwork
import ParleyTestSupport
import Testing

@Suite("UDP socket on loopback")
struct UDPSocketTests {
    let any = IPv4Endpoint(address: 0x7F00_0001, port: 0)

    @Test func datagramsArriveWhole() throws {
        let a = try UDPSocket(bind: any), b = try UDPSocket(bind: any)
        #expect(a.localEndpoint.port != 0 && a.localEndpoint.isLoopback)
        var buffer = [UInt8](repeating: 0, count: 2048)
        for size in [0, 1, 12, 1200, 1500] {
            let datagram = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ size) }
            try a.send(datagram, to: b.localEndpoint)
            let got = try #require(try b.receive(into: &buffer, timeout: 2))
            #expect(got.count == size)
            #expect(Array(buffer[0..<got.count]) == datagram)
            #expect(got.source == a.localEndpoint)
            #expect(!got.truncated)
        }
    }

    @Test func timeoutReturnsNil() throws {
        let a = try UDPSocket(bind: any)
        var buffer = [UInt8](repeating: 0, count: 64)
        let start = Date()
        #expect(try a.receive(into: &buffer, timeout: 0.05) == nil)
        #expect(Date().timeIntervalSince(start) >= 0.04)
    }

    @Test func oversizedDatagramIsReportedTruncated() throws {
        let a = try UDPSocket(bind: any), b = try UDPSocket(bind: any)
        try a.send([UInt8](repeating: 9, count: 300), to: b.localEndpoint)
        var small = [UInt8](repeating: 0, count: 100)
        let got = try #require(try b.receive(into: &small, timeout: 2))
        #expect(got.truncated)
        #expect(got.count == 100)
    }

    @Test func portInUseIsAClearError() throws {
        let a = try UDPSocket(bind: any)
        do {
            _ = try UDPSocket(bind: a.localEndpoint)
            Issue.record("a second bind to \(a.localEndpoint) succeeded")
        } catch let error as NetworkError {
            #expect(error.description.contains("\(a.localEndpoint)"))
            #expect(error.description.contains("in use"))
        }
    }

    @Test func closedSocketRefuses() throws {
        let a = try UDPSocket(bind: any)
        a.close()
        #expect(throws: NetworkError.closed) { try a.send([1], to: a.localEndpoint) }
    }

    @Test func sendAndReceiveDoNotAllocate() throws {
        try #require(AllocationCounter.isActive)
        let a = try UDPSocket(bind: any), b = try UDPSocket(bind: any)
        let packet = [UInt8](repeating: 0x42, count: 200)
        var buffer = [UInt8](repeating: 0, count: 2048)
        try a.send(packet, to: b.localEndpoint)
        _ = try b.receive(into: &buffer, timeout: 1)
        var received = 0
        var failure: Error?
        let count = AllocationCounter.count {
            do {
                for _ in 0..<200 {
                    try a.send(packet, to: b.localEndpoint)
                    if try b.receive(into: &buffer, timeout: 1) != nil { received += 1 }
                }
            } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(received == 200)
        #expect(count == 0)
    }
}
