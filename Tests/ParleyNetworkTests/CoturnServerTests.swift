import Foundation
import ParleyCore
import ParleyNetwork
import ParleyTestSupport
import Testing

@Suite("coturn test server on loopback")
struct CoturnServerTests {
    @Test func answersBindingRequestsUntilStopped() throws {
        // Not a skip: TURN tests need coturn, and Tools/test installs it.
        try #require(CoturnServer.isAvailable, "coturn is not installed (\(CoturnServer.executablePath)); install it with `apt-get install -y coturn` or run Tools/test, which installs it")
        let server = try CoturnServer()
        #expect(server.isRunning)
        #expect(FileManager.default.fileExists(atPath: server.logPath))

        let client = try UDPSocket(bind: IPv4Endpoint(address: 0x7F00_0001, port: 0))
        let success = try #require(try STUNBinding.query(server.endpoint, from: client, timeout: 2),
                                   "no Binding Success Response; coturn log: \(server.logPath)")
        #expect(success.xorMappedAddress == client.localEndpoint)
        #expect(success.xorMappedAddress?.address == 0x7F00_0001)

        server.stop()
        #expect(!server.isRunning)
        #expect(try STUNBinding.query(server.endpoint, from: client, timeout: 0.3) == nil)
    }

    @Test func parsesOnlyTheMatchingSuccessResponse() {
        let id: [UInt8] = Array(1...12)
        let request = STUNBinding.request(transactionID: id)
        #expect(request.count == 20)
        #expect(Array(request[0..<8]) == [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42])
        // A success response with XOR-MAPPED-ADDRESS 127.0.0.1:40000 (port 0x9C40 ^ 0x2112, address ^ cookie).
        let response: [UInt8] = [0x01, 0x01, 0x00, 0x0C, 0x21, 0x12, 0xA4, 0x42] + id
            + [0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xBD, 0x52, 0x5E, 0x12, 0xA4, 0x43]
        #expect(STUNBinding.parseSuccess(response[...], transactionID: id)?.xorMappedAddress
                == IPv4Endpoint(address: 0x7F00_0001, port: 40000))
        #expect(STUNBinding.parseSuccess(response[...], transactionID: Array(repeating: 0, count: 12)) == nil)
        #expect(STUNBinding.parseSuccess(response.dropLast(), transactionID: id) == nil)  // truncated attribute
        #expect(STUNBinding.parseSuccess(request[...], transactionID: id) == nil)  // a request, not a response
        #expect(STUNBinding.parseSuccess([], transactionID: id) == nil)
    }

    @Test func rejectsAnInvalidPort() {
        #expect(throws: CoturnServer.StartError.self) { _ = try CoturnServer(port: 70_000) }
    }
}
