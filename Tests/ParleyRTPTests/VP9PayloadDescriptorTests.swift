import Testing
@testable import ParleyRTP

@Suite("VP9 payload descriptor (RFC 9628 §4.2)")
struct VP9PayloadDescriptorTests {
    static let keyframeSS = VP9ScalabilityStructure(
        spatialLayerCount: 1, resolutions: [VP9Resolution(width: 640, height: 480)],
        pictureGroup: [VP9PictureGroupEntry(temporalLayerID: 0, switchingUpPoint: false, referenceDiffs: [1])])

    @Test("non-flexible keyframe start with SS, hand-encoded from the §4.2 layout")
    func keyframeStartBytes() throws {
        let descriptor = VP9PayloadDescriptor(
            pictureID: 0x0102, pictureIDIs15Bit: true, interPicturePredicted: false, beginningOfFrame: true,
            scalabilityStructure: Self.keyframeSS)
        // I P L F B E V Z = 1 0 0 0 1 0 1 0; M + 0x01, 0x02;
        // SS: N_S=000 Y=1 G=1; 640 = 0x0280; 480 = 0x01E0; N_G = 1; TID=000 U=0 R=01; P_DIFF 1.
        let bytes: [UInt8] = [0x8A, 0x81, 0x02, 0x18, 0x02, 0x80, 0x01, 0xE0, 0x01, 0x04, 0x01]
        #expect(try descriptor.serialized() == bytes)
        #expect(try VP9PayloadDescriptor(parsing: bytes) == descriptor)
        #expect(descriptor.encodedSize == VP9Payloader.keyframeDescriptorSize)
    }

    @Test("layer indices with TL0PICIDX; flexible mode with P_DIFFs")
    func layerAndFlexibleBytes() throws {
        let layered = VP9PayloadDescriptor(
            pictureID: 5, pictureIDIs15Bit: false, beginningOfFrame: true, endOfFrame: true,
            layerIndices: VP9LayerIndices(temporalLayerID: 2, switchingUpPoint: true, spatialLayerID: 1, interLayerDependency: true),
            tl0PicIdx: 7)
        // I L B E = 0xAC; 7-bit pid 5; TID=010 U=1 SID=001 D=1 = 0x53; TL0PICIDX 7.
        #expect(try layered.serialized() == [0xAC, 0x05, 0x53, 0x07])
        #expect(try VP9PayloadDescriptor(parsing: [0xAC, 0x05, 0x53, 0x07]) == layered)

        let flexible = VP9PayloadDescriptor(
            pictureID: 0x7FFF, interPicturePredicted: true, flexibleMode: true, referenceDiffs: VP9ReferenceDiffs([1, 3])!)
        // I P F = 0xD0; M + 0x7F, 0xFF; P_DIFF 1 with N, P_DIFF 3 without.
        #expect(try flexible.serialized() == [0xD0, 0xFF, 0xFF, 0x03, 0x06])
        #expect(try VP9PayloadDescriptor(parsing: [0xD0, 0xFF, 0xFF, 0x03, 0x06]) == flexible)
    }

    @Test("malformed descriptors throw RTPError")
    func malformed() {
        let cases: [[UInt8]] = [
            [],  // nothing
            [0x80],  // I set, no picture ID
            [0x80, 0x80],  // M set, extended picture ID missing
            [0x20],  // L set, no layer byte
            [0x20, 0x00],  // L in non-flexible mode, no TL0PICIDX
            [0x10],  // flexible mode without picture ID
            [0xD0, 0x01],  // flexible inter picture, no P_DIFF
            [0xD0, 0x01, 0x03, 0x03, 0x03, 0x02],  // N set on the third P_DIFF
            [0x02],  // V set, no SS
            [0x02, 0x50, 0x00, 0x10, 0x00, 0x10],  // SS claims 3 layers with sizes, has bytes for 1
            [0x02, 0x08],  // G set, no N_G
            [0x02, 0x08, 0x02, 0x00],  // N_G = 2, one entry
            [0x02, 0x08, 0x01, 0x08, 0x01],  // entry with R = 2, one P_DIFF
        ]
        for bytes in cases {
            #expect(throws: RTPError.self, "\(bytes)") { try VP9PayloadDescriptor(parsing: bytes) }
        }
        #expect(throws: RTPError.self) { try VP9PayloadDescriptor(pictureID: 0x80, pictureIDIs15Bit: false).serialized() }
        #expect(throws: RTPError.self) { try VP9PayloadDescriptor(flexibleMode: true).serialized() }
        #expect(throws: RTPError.self) {
            try VP9PayloadDescriptor(pictureID: 1, interPicturePredicted: true, flexibleMode: true).serialized()
        }
        #expect(throws: RTPError.self) {
            try VP9PayloadDescriptor(scalabilityStructure: VP9ScalabilityStructure(spatialLayerCount: 2, resolutions: [VP9Resolution(width: 1, height: 1)])).serialized()
        }
        #expect(throws: RTPError.self) {
            try VP9PayloadDescriptor(scalabilityStructure: VP9ScalabilityStructure(spatialLayerCount: 9)).serialized()
        }
    }

    static func randomDescriptor(_ random: inout SeededRandom) -> VP9PayloadDescriptor {
        let flexible = random.bool()
        let fifteen = random.bool()
        let predicted = random.bool()
        var descriptor = VP9PayloadDescriptor(
            pictureID: (flexible || random.bool()) ? UInt16.random(in: 0...(fifteen ? 0x7FFF : 0x7F), using: &random) : nil,
            pictureIDIs15Bit: fifteen, interPicturePredicted: predicted, flexibleMode: flexible,
            beginningOfFrame: random.bool(), endOfFrame: random.bool(), notUpperLayerReference: random.bool(),
            tl0PicIdx: UInt8.random(in: 0...255, using: &random))
        if random.bool() {
            descriptor.layerIndices = VP9LayerIndices(
                temporalLayerID: UInt8.random(in: 0...7, using: &random), switchingUpPoint: random.bool(),
                spatialLayerID: UInt8.random(in: 0...7, using: &random), interLayerDependency: random.bool())
        }
        if flexible && predicted {
            let diffs = (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt8.random(in: 0...127, using: &random) }
            descriptor.referenceDiffs = VP9ReferenceDiffs(diffs)!
        }
        if random.bool() {
            let layers = Int.random(in: 1...8, using: &random)
            var ss = VP9ScalabilityStructure(spatialLayerCount: layers)
            if random.bool() {
                ss.resolutions = (0..<layers).map { _ in
                    VP9Resolution(width: UInt16.random(in: 0...UInt16.max, using: &random), height: UInt16.random(in: 0...UInt16.max, using: &random))
                }
            }
            if random.bool() {
                ss.pictureGroup = (0..<Int.random(in: 0...6, using: &random)).map { _ in
                    VP9PictureGroupEntry(
                        temporalLayerID: UInt8.random(in: 0...7, using: &random), switchingUpPoint: random.bool(),
                        referenceDiffs: (0..<Int.random(in: 0...3, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
                }
            }
            descriptor.scalabilityStructure = ss
        }
        return descriptor
    }

    @Test("parse(serialize(x)) == x over 5000 seeded random descriptors")
    func roundTrip() throws {
        var random = SeededRandom(seed: 0x9628)
        for _ in 0..<5000 {
            let descriptor = Self.randomDescriptor(&random)
            var bytes = try descriptor.serialized()
            #expect(bytes.count == descriptor.encodedSize)
            bytes += random.bytes(Int.random(in: 0...4, using: &random))
            let parsed = try bytes.withUnsafeBytes { try VP9PayloadDescriptor.parse($0) }
            #expect(parsed.descriptor == descriptor)
            #expect(parsed.size == descriptor.encodedSize)
            // The skipping parser used by the depayloader agrees on the size.
            let skipped = try bytes.withUnsafeBytes { try VP9PayloadDescriptor.parse($0, decodeScalabilityStructure: false) }
            #expect(skipped.size == parsed.size)
            #expect(skipped.hasScalabilityStructure == (descriptor.scalabilityStructure != nil))
            #expect(skipped.resolution == descriptor.scalabilityStructure?.resolutions?.last)
        }
    }

    @Test("random bytes never crash the parser; what parses re-serializes to the same value")
    func fuzz() throws {
        var random = SeededRandom(seed: 1234)
        for _ in 0..<20_000 {
            let bytes = random.bytes(Int.random(in: 0...16, using: &random))
            guard let descriptor = try? VP9PayloadDescriptor(parsing: bytes) else { continue }
            #expect(try VP9PayloadDescriptor(parsing: descriptor.serialized()) == descriptor)
        }
    }
}
