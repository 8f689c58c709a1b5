import Testing
@testable import ParleyRTP

@Suite("Bandwidth allocation between audio and video")
struct BandwidthAllocationTests {
    @Test("Video steps by target: 320x180@15, 640x360@20, 640x360@30")
    func steps() throws {
        let low = BandwidthAllocation.split(target: 200_000, lossFraction: 0)
        #expect(low.audioBitrate == 20_000 && low.videoBitrate == 180_000)
        #expect(try #require(low.video).width == 320 && low.video?.frameRate == 15)
        let middle = BandwidthAllocation.split(target: 500_000, lossFraction: 0)
        #expect(middle.audioBitrate == 50_000 && middle.video?.height == 360 && middle.video?.frameRate == 20)
        let high = BandwidthAllocation.split(target: 1_000_000, lossFraction: 0)
        #expect(high.audioBitrate == 64_000 && high.videoBitrate == 936_000 && high.video?.frameRate == 30)
        #expect(BandwidthAllocation.split(target: 600_000, lossFraction: 0).video?.frameRate == 30)
    }

    @Test("Audio first: 16 kbit/s minimum, video suspended when too little is left")
    func lowTargets() {
        let tiny = BandwidthAllocation.split(target: 40_000, lossFraction: 0)
        #expect(tiny.audioBitrate == 16_000 && tiny.videoBitrate == 0 && tiny.video == nil)
        #expect(BandwidthAllocation.split(target: 10_000, lossFraction: 0).audioBitrate == 10_000)
        #expect(BandwidthAllocation.split(target: -.infinity, lossFraction: .nan).audioBitrate == 0)
    }

    @Test("Opus FEC follows loss above 1 %")
    func fec() {
        let clean = BandwidthAllocation.split(target: 500_000, lossFraction: 0.005)
        #expect(!clean.opusFEC && clean.opusPacketLossPercent == 0)
        let lossy = BandwidthAllocation.split(target: 500_000, lossFraction: 0.05)
        #expect(lossy.opusFEC && lossy.opusPacketLossPercent == 5)
        #expect(BandwidthAllocation.split(target: 500_000, lossFraction: 0.6).opusPacketLossPercent == 25)
    }
}
