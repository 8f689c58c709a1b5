import Testing
@testable import ParleyRTP

// MARK: - Helpers shared by the payload tests

/// SplitMix64: a small seeded generator so every randomized test replays exactly.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
    mutating func bool() -> Bool { Bool.random(using: &self) }
}

/// One packet as it would travel: payload copy, marker, sequence number, timestamp.
struct TestPacket {
    var payload: [UInt8]
    var marker: Bool
    var sequenceNumber: UInt16
    var timestamp: UInt32
}

/// A frame of `size` random bytes whose first byte has the VP8 P bit set as asked
/// (P = 0 marks a keyframe).
func vp8Frame(size: Int, keyframe: Bool, random: inout SeededRandom) -> [UInt8] {
    var frame = random.bytes(size)
    if size > 0 { frame[0] = keyframe ? frame[0] & 0xFE : frame[0] | 0x01 }
    return frame
}

func packetize(
    _ payloader: VP8Payloader, frame: [UInt8], keyframe: Bool, sequenceNumber: inout UInt16, timestamp: UInt32
) -> [TestPacket] {
    var packets: [TestPacket] = []
    _ = frame.withUnsafeBytes { raw in
        payloader.packetize(frame: raw, keyframe: keyframe) { payload, marker in
            packets.append(TestPacket(payload: Array(payload), marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp))
            sequenceNumber &+= 1
        }
    }
    return packets
}

func packetize(
    _ payloader: VP9Payloader, frame: [UInt8], keyframe: Bool, sequenceNumber: inout UInt16, timestamp: UInt32
) -> [TestPacket] {
    var packets: [TestPacket] = []
    _ = frame.withUnsafeBytes { raw in
        payloader.packetize(frame: raw, keyframe: keyframe) { payload, marker in
            packets.append(TestPacket(payload: Array(payload), marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp))
            sequenceNumber &+= 1
        }
    }
    return packets
}

/// A completed frame copied out of the assembler's buffer.
struct ReceivedFrame: Equatable {
    var bytes: [UInt8]
    var timestamp: UInt32
    var isKeyframe: Bool
    var pictureID: UInt16?
}

/// Feeds packets to a depayloader; returns the frames completed and the frames given up.
func feed(_ depayloader: VP8Depayloader, _ packets: [TestPacket]) throws -> (frames: [ReceivedFrame], incomplete: Int) {
    var frames: [ReceivedFrame] = []
    var incomplete = 0
    for packet in packets {
        let result = try packet.payload.withUnsafeBytes { raw in
            try depayloader.depacketize(
                payload: raw, marker: packet.marker, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp)
        }
        incomplete += result.incompleteFrames
        if let frame = result.frame {
            frames.append(ReceivedFrame(bytes: Array(frame.bytes), timestamp: frame.timestamp, isKeyframe: frame.isKeyframe, pictureID: frame.pictureID))
        }
    }
    return (frames, incomplete)
}

func feed(_ depayloader: VP9Depayloader, _ packets: [TestPacket]) throws -> (frames: [ReceivedFrame], incomplete: Int) {
    var frames: [ReceivedFrame] = []
    var incomplete = 0
    for packet in packets {
        let result = try packet.payload.withUnsafeBytes { raw in
            try depayloader.depacketize(
                payload: raw, marker: packet.marker, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp)
        }
        incomplete += result.incompleteFrames
        if let frame = result.frame {
            frames.append(ReceivedFrame(bytes: Array(frame.bytes), timestamp: frame.timestamp, isKeyframe: frame.isKeyframe, pictureID: frame.pictureID))
        }
    }
    return (frames, incomplete)
}

// MARK: - PayloadFragmentPlan

@Suite("Payload fragment plan")
struct PayloadFragmentPlanTests {
    func ranges(_ size: Int, first: Int, rest: Int) throws -> [Range<Int>] {
        var plan = try PayloadFragmentPlan(frameSize: size, firstCapacity: first, capacity: rest)
        var out: [Range<Int>] = []
        while let range = plan.next() { out.append(range) }
        #expect(out.count == plan.fragmentCount)
        return out
    }

    @Test("5000 bytes with 1096 of room become five even 1000-byte fragments")
    func evenSplit() throws {
        let out = try ranges(5000, first: 1096, rest: 1096)
        #expect(out == [0..<1000, 1000..<2000, 2000..<3000, 3000..<4000, 4000..<5000])
    }

    @Test("fragments cover the frame contiguously, within capacity, with the fewest packets")
    func coverage() throws {
        var random = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            let rest = Int.random(in: 1...1500, using: &random)
            let first = Int.random(in: 1...rest, using: &random)
            let size = Int.random(in: 0...20_000, using: &random)
            let out = try ranges(size, first: first, rest: rest)
            var offset = 0
            for (i, range) in out.enumerated() {
                #expect(range.lowerBound == offset)
                #expect(!range.isEmpty)
                #expect(range.count <= (i == 0 ? first : rest))
                offset = range.upperBound
            }
            #expect(offset == size)
            let fewest = size == 0 ? 0 : size <= first ? 1 : 1 + (size - first + rest - 1) / rest
            #expect(out.count == fewest)
        }
    }

    @Test("a capacity below one byte is refused")
    func zeroCapacity() {
        #expect(throws: RTPError.self) { try PayloadFragmentPlan(frameSize: 10, firstCapacity: 0, capacity: 10) }
        #expect(throws: RTPError.self) { try VP8Payloader(maxPayloadSize: 4) }
        #expect(throws: RTPError.self) { try VP9Payloader(width: 2, height: 2, maxPayloadSize: 11) }
    }
}
