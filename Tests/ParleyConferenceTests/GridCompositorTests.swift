import ParleyConference
import ParleyCore
import ParleyTestSupport
import Testing

/// Composed canvases sampled pixel by pixel in Y, U and V: colours land exactly in their
/// tile's picture rectangle, the background and grey tiles elsewhere, the border only
/// around the highlighted tile; scaling is monotonic and accurate; composing allocates
/// nothing in steady state; bad input is refused.
@Suite struct GridCompositorTests {
    static func solid(_ width: Int, _ height: Int, _ colour: YUVColor) -> VideoFrame {
        var frame = VideoFrame(width: width, height: height)
        for i in 0..<frame.lumaCount { frame.data[frame.yOffset + i] = colour.y }
        for i in 0..<frame.chromaCount {
            frame.data[frame.uOffset + i] = colour.u
            frame.data[frame.vOffset + i] = colour.v
        }
        return frame
    }

    /// The colour of canvas pixel (x, y); chroma from the 2x2 block that holds it.
    static func pixel(_ frame: VideoFrame, _ x: Int, _ y: Int) -> YUVColor {
        let chroma = (y / 2) * frame.chromaWidth + x / 2
        return YUVColor(y: frame.data[frame.yOffset + y * frame.width + x],
                        u: frame.data[frame.uOffset + chroma], v: frame.data[frame.vOffset + chroma])
    }

    /// Checks every pixel of `frame` against `expected(x, y)`; returns the mismatches (at most a few reported).
    static func mismatches(_ frame: VideoFrame, _ expected: (Int, Int) -> YUVColor) -> [String] {
        var found: [String] = []
        var count = 0
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let want = expected(x, y)
                let got = pixel(frame, x, y)
                if want != got {
                    count += 1
                    if found.count < 5 { found.append("(\(x),\(y)): \(got) instead of \(want)") }
                }
            }
        }
        if count > 5 { found.append("… \(count) in all") }
        return found
    }

    static let colours: [YUVColor] = [
        YUVColor(y: 81, u: 90, v: 240), YUVColor(y: 145, u: 54, v: 34), YUVColor(y: 41, u: 240, v: 110),
        YUVColor(y: 235, u: 128, v: 128), YUVColor(y: 170, u: 166, v: 16), YUVColor(y: 106, u: 202, v: 222),
        YUVColor(y: 60, u: 100, v: 100), YUVColor(y: 200, u: 30, v: 200),
    ]

    @Test func solidFramesLandExactlyInTheirPictureRectangles() throws {
        // 320x180, 2x2 cells of 160x90: same size (copy), larger (down), smaller (up), 4:3 (pillarbox).
        var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 4)
        let sizes = [(160, 90), (640, 360), (64, 36), (120, 90)]
        for tile in 0..<4 {
            try compositor.submit(Self.solid(sizes[tile].0, sizes[tile].1, Self.colours[tile]), tile: tile)
        }
        let pictures = try (0..<4).map { try compositor.pictureRect($0) }
        #expect(pictures[0] == GridRect(x: 0, y: 0, width: 160, height: 90))
        #expect(pictures[3] == GridRect(x: 180, y: 90, width: 120, height: 90), "4:3 pillarboxed in a 16:9 cell")
        var output = VideoFrame(width: 2, height: 2)
        try compositor.compose(into: &output)
        #expect(output.width == 320 && output.height == 180 && output.data.count == output.byteCount)
        let wrong = Self.mismatches(output) { x, y in
            for tile in 0..<4 where pictures[tile].contains(x: x, y: y) { return Self.colours[tile] }
            return .black
        }
        #expect(wrong.isEmpty, "\(wrong)")

        // Eight tiles of mixed sizes on 640x360 (3x3, letterboxed 16:9 in 212x120 cells), speaker layout too.
        for arrangement in [GridArrangement.grid, .speaker(5)] {
            var eight = try GridCompositor(canvasWidth: 640, canvasHeight: 360, tileCount: 8, arrangement: arrangement)
            let eightSizes = [(640, 360), (320, 240), (176, 144), (1280, 720), (212, 120), (99, 77), (360, 640), (50, 50)]
            for tile in 0..<8 {
                try eight.submit(Self.solid(eightSizes[tile].0, eightSizes[tile].1, Self.colours[tile]), tile: tile)
            }
            let rects = try (0..<8).map { try eight.pictureRect($0) }
            try eight.compose(into: &output)
            let wrongEight = Self.mismatches(output) { x, y in
                for tile in 0..<8 where rects[tile].contains(x: x, y: y) { return Self.colours[tile] }
                return .black
            }
            #expect(wrongEight.isEmpty, "\(arrangement): \(wrongEight)")
        }
    }

    @Test func missingFramesShowGreyThenTheLastFrame() throws {
        var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 3)
        let cells = compositor.layout.cells
        try compositor.submit(Self.solid(160, 90, Self.colours[0]), tile: 0)
        try compositor.submit(Self.solid(160, 90, Self.colours[2]), tile: 2)
        #expect(!compositor.hasPicture(1))
        var output = VideoFrame(width: 320, height: 180)
        try compositor.compose(into: &output)
        let expectation: (Int, Int) -> YUVColor = { x, y in
            if cells[0].contains(x: x, y: y) { return Self.colours[0] }
            if cells[1].contains(x: x, y: y) { return .grey }
            if cells[2].contains(x: x, y: y) { return Self.colours[2] }
            return .black
        }
        #expect(Self.mismatches(output, expectation).isEmpty, "tile 1 has not sent a frame: grey")

        // Tile 1 arrives once, then freezes: its last frame stays while others move on.
        try compositor.submit(Self.solid(160, 90, Self.colours[1]), tile: 1)
        try compositor.compose(into: &output)
        try compositor.submit(Self.solid(160, 90, Self.colours[3]), tile: 0)
        try compositor.compose(into: &output)
        #expect(Self.pixel(output, cells[1].x + 80, cells[1].y + 45) == Self.colours[1])
        #expect(Self.pixel(output, cells[0].x + 80, cells[0].y + 45) == Self.colours[3])

        // Tiles 0 and 1 change places; then someone leaves and tile 2 moves up to 1.
        try compositor.swapTiles(0, 1)
        try compositor.compose(into: &output)
        #expect(Self.pixel(output, cells[0].x + 80, cells[0].y + 45) == Self.colours[1])
        #expect(Self.pixel(output, cells[1].x + 80, cells[1].y + 45) == Self.colours[3])
        try compositor.swapTiles(1, 2)
        try compositor.clearTile(2)
        try compositor.configure(tileCount: 2, arrangement: .grid)
        try compositor.compose(into: &output)
        let two = compositor.layout.cells
        #expect(Self.pixel(output, two[0].x + 80, two[0].y + 45) == Self.colours[1])
        #expect(Self.pixel(output, two[1].x + 80, two[1].y + 45) == Self.colours[2])
        #expect(!compositor.hasPicture(2))
        try compositor.swapTiles(0, 1)
        try compositor.swapTiles(1, 2)
        try compositor.configure(tileCount: 3, arrangement: .grid)

        // Video off: grey again.
        try compositor.clearTile(1)
        try compositor.compose(into: &output)
        #expect(Self.pixel(output, cells[1].x + 80, cells[1].y + 45) == .grey)
        #expect(Self.pixel(output, cells[1].x, cells[1].y) == .grey)
    }

    @Test func scalingAGradientIsMonotonicAndAccurate() throws {
        // Y rises left to right, V rises top to bottom, U is flat.
        func gradient(_ width: Int, _ height: Int) -> VideoFrame {
            var frame = VideoFrame(width: width, height: height)
            for y in 0..<height {
                for x in 0..<width {
                    frame.data[y * width + x] = UInt8(16 + (219 * x) / max(width - 1, 1))
                }
            }
            for y in 0..<frame.chromaHeight {
                for x in 0..<frame.chromaWidth {
                    frame.data[frame.uOffset + y * frame.chromaWidth + x] = 77
                    frame.data[frame.vOffset + y * frame.chromaWidth + x] = UInt8(16 + (224 * y) / max(frame.chromaHeight - 1, 1))
                }
            }
            return frame
        }
        /// The source's value at destination pixel `d` of `count`, by linear interpolation (centres aligned).
        func reference(_ plane: (Int) -> Double, source: Int, destination d: Int, count: Int) -> Double {
            let position = min(max((Double(d) + 0.5) * Double(source) / Double(count) - 0.5, 0), Double(source - 1))
            let low = Int(position.rounded(.down))
            let high = min(low + 1, source - 1)
            let fraction = position - Double(low)
            return plane(low) * (1 - fraction) + plane(high) * fraction
        }
        // Up 4x, down 4x, down by an awkward factor, up by an awkward factor.
        for (sw, sh) in [(80, 45), (1280, 720), (427, 241), (199, 111)] {
            var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1,
                                                appearance: GridAppearance(borderWidth: 0))
            let source = gradient(sw, sh)
            try compositor.submit(source, tile: 0)
            var output = VideoFrame(width: 320, height: 180)
            try compositor.compose(into: &output)
            let picture = try compositor.pictureRect(0)
            var worst = 0.0
            var monotonic = true
            for y in picture.y..<picture.maxY {
                var previous = -1
                for x in picture.x..<picture.maxX {
                    let value = Int(output.data[y * 320 + x])
                    if value < previous { monotonic = false }
                    previous = value
                    let want = reference({ Double(source.data[$0]) }, source: sw, destination: x - picture.x, count: picture.width)
                    worst = max(worst, abs(Double(value) - want))
                }
            }
            let cw = picture.width / 2
            let ch = picture.height / 2
            for x in (picture.x / 2)..<(picture.x / 2 + cw) {
                var previous = -1
                for y in (picture.y / 2)..<(picture.y / 2 + ch) {
                    let value = Int(output.data[output.vOffset + y * 160 + x])
                    if value < previous { monotonic = false }
                    previous = value
                    let want = reference({ Double(source.data[source.vOffset + $0 * source.chromaWidth]) },
                                         source: source.chromaHeight, destination: y - picture.y / 2, count: ch)
                    worst = max(worst, abs(Double(value) - want))
                    #expect(output.data[output.uOffset + y * 160 + x] == 77)
                }
            }
            #expect(monotonic, "\(sw)x\(sh) into \(picture)")
            #expect(worst <= 2.0, "\(sw)x\(sh) into \(picture): worst error \(worst)")
            // The ends reach the source's ends (within one step of the source gradient).
            #expect(abs(Int(output.data[picture.y * 320 + picture.x]) - 16) <= 219 / (sw - 1) + 1)
            #expect(abs(Int(output.data[picture.y * 320 + picture.maxX - 1]) - 235) <= 219 / (sw - 1) + 1)
        }
    }

    @Test func shrinkingFineDetailAveragesInsteadOfAliasing() throws {
        // A one-pixel bright line every 4 columns and rows, shrunk 4x: each output pixel
        // covers one 4x4 block, so the whole picture is the block's mean. Point sampling
        // (bilinear at 4x) would land between the lines and show none of them.
        var lines = Self.solid(1280, 720, YUVColor(y: 16, u: 128, v: 128))
        for y in 0..<720 {
            for x in 0..<1280 where x % 4 == 0 || y % 4 == 0 { lines.data[y * 1280 + x] = 235 }
        }
        var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1)
        try compositor.submit(lines, tile: 0)
        var output = VideoFrame(width: 320, height: 180)
        try compositor.compose(into: &output)
        // 7 bright and 9 dark pixels per block: (7·235 + 9·16) / 16 = 111.8.
        let luma = output.data[0..<output.lumaCount]
        #expect(luma.allSatisfy { $0 == 112 }, "values \(Set(luma).sorted())")
        #expect(output.data[output.uOffset..<output.byteCount].allSatisfy { $0 == 128 })
    }

    @Test func theBorderSurroundsOnlyTheHighlightedTile() throws {
        for (arrangement, highlight) in [(GridArrangement.grid, 2), (.grid, 0), (.speaker(1), 1), (.speaker(1), 3)] {
            var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 4, arrangement: arrangement)
            let cells = compositor.layout.cells
            for tile in 0..<4 {
                // Same aspect as the cell: the picture fills it, so every cell edge is picture.
                try compositor.submit(Self.solid(cells[tile].width * 2, cells[tile].height * 2, Self.colours[tile]), tile: tile)
                #expect(try compositor.pictureRect(tile) == cells[tile])
            }
            var output = VideoFrame(width: 320, height: 180)
            try compositor.compose(into: &output, highlight: highlight)
            let cell = cells[highlight]
            let inner = GridRect(x: cell.x + 4, y: cell.y + 4, width: cell.width - 8, height: cell.height - 8)
            let wrong = Self.mismatches(output) { x, y in
                if cell.contains(x: x, y: y) && !inner.contains(x: x, y: y) { return .yellow }
                for tile in 0..<4 where cells[tile].contains(x: x, y: y) { return Self.colours[tile] }
                return .black
            }
            #expect(wrong.isEmpty, "\(arrangement), highlight \(highlight): \(wrong)")

            // No highlight: no border anywhere.
            try compositor.compose(into: &output, highlight: nil)
            #expect(!output.data[output.uOffset..<output.vOffset].contains(YUVColor.yellow.u), "no pixel has the border's U")
        }
        // A wider border, and none.
        var wide = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1,
                                      appearance: GridAppearance(highlight: .grey, borderWidth: 16))
        try wide.submit(Self.solid(320, 180, .black), tile: 0)
        var output = VideoFrame(width: 320, height: 180)
        try wide.compose(into: &output, highlight: 0)
        #expect(Self.pixel(output, 15, 100) == .grey && Self.pixel(output, 16, 100) == .black)
        #expect(Self.pixel(output, 100, 164) == .grey && Self.pixel(output, 100, 163) == .black)
    }

    @Test func aDamagedOrWronglySizedOutputIsReplacedNotOverrun() throws {
        var compositor = try GridCompositor(canvasWidth: 64, canvasHeight: 36, tileCount: 1)
        try compositor.submit(Self.solid(64, 36, Self.colours[0]), tile: 0)
        var damaged = VideoFrame(width: 64, height: 36)
        damaged.data.removeLast(100)
        try compositor.compose(into: &damaged)
        var large = VideoFrame(width: 1280, height: 720)
        try compositor.compose(into: &large)
        for output in [damaged, large] {
            #expect(output.width == 64 && output.height == 36 && output.data.count == output.byteCount)
            #expect(Self.mismatches(output) { _, _ in Self.colours[0] }.isEmpty)
        }
    }

    @Test func composingAllocatesNothingInSteadyState() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        var compositor = try GridCompositor(canvasWidth: 640, canvasHeight: 360, tileCount: 6)
        let sizes = [(212, 180), (640, 360), (160, 90), (320, 240), (99, 77), (640, 360)]
        let sources = (0..<6).map { Self.solid(sizes[$0].0, sizes[$0].1, Self.colours[$0]) }
        var output = VideoFrame(width: 640, height: 360)
        var failures = 0
        func oneFrame(_ index: Int) {
            do throws(ConferenceError) {
                // Some participants send every frame, one every other frame, one never (grey).
                for tile in 0..<5 where tile != 2 || index % 2 == 0 {
                    try compositor.submit(sources[tile], tile: tile)
                }
                // Two participants change places for one frame (and back, so the kept
                // buffers keep their sizes).
                let swapping = index % 7 == 3
                if swapping { try compositor.swapTiles(0, 4) }
                defer { if swapping { try? compositor.swapTiles(0, 4) } }
                if index % 10 == 5 {
                    try compositor.configure(tileCount: 6, arrangement: .speaker(index % 6))
                } else if index % 10 == 0 {
                    try compositor.configure(tileCount: 6, arrangement: .grid)
                }
                try compositor.compose(into: &output, highlight: index % 6)
            } catch {
                failures += 1
            }
        }
        // Warm up: the kept frames are allocated on the first submit of each size.
        oneFrame(0)
        let allocations = AllocationCounter.count {
            for index in 1...20 { oneFrame(index) }
        }
        #expect(failures == 0)
        #expect(allocations == 0, "\(allocations) heap allocations in 20 composed frames")
        #expect(Self.pixel(output, 320, 180) != YUVColor(y: 0, u: 0, v: 0))
    }

    @Test func theAllocationCounterSeesAFreshOutputAndANewFrameSize() throws {
        try #require(AllocationCounter.isActive)
        var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1)
        let first = Self.solid(160, 90, .grey)
        let second = Self.solid(176, 144, .grey)
        try compositor.submit(first, tile: 0)
        var output = VideoFrame(width: 2, height: 2)
        let allocations = AllocationCounter.count {
            try? compositor.submit(second, tile: 0)
            try? compositor.compose(into: &output)
        }
        #expect(allocations > 0)
    }

    @Test func badInputIsRefusedWithTheRightError() throws {
        #expect(throws: ConferenceError.gridBorder(width: 3, maximum: 16)) {
            try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1, appearance: GridAppearance(borderWidth: 3))
        }
        #expect(throws: ConferenceError.gridBorder(width: 18, maximum: 16)) {
            try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1, appearance: GridAppearance(borderWidth: 18))
        }
        #expect(throws: ConferenceError.gridBorder(width: -2, maximum: 16)) {
            try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 1, appearance: GridAppearance(borderWidth: -2))
        }
        #expect(throws: ConferenceError.gridTileCount(count: 0, maximum: 8)) {
            try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 0)
        }
        #expect(throws: ConferenceError.gridCanvas(width: 321, height: 180, reason: "I420 needs an even width and height, such as 1280x720")) {
            try GridCompositor(canvasWidth: 321, canvasHeight: 180, tileCount: 1)
        }

        var compositor = try GridCompositor(canvasWidth: 320, canvasHeight: 180, tileCount: 2)
        let frame = Self.solid(64, 36, .grey)
        #expect(throws: ConferenceError.gridTileIndex(index: 2, tileCount: 2)) { try compositor.submit(frame, tile: 2) }
        #expect(throws: ConferenceError.gridTileIndex(index: -1, tileCount: 2)) { try compositor.submit(frame, tile: -1) }
        #expect(throws: ConferenceError.gridFrame(tile: 0, width: 0, height: 0, reason: "each side must be from 1 to 8192 px")) {
            try compositor.submit(VideoFrame(width: 0, height: 0), tile: 0)
        }
        var truncated = frame
        truncated.data.removeLast(10)
        #expect(throws: ConferenceError.gridFrame(tile: 1, width: 64, height: 36,
                                                  reason: "it holds 3446 bytes, an I420 picture of this size needs 3456")) {
            try compositor.submit(truncated, tile: 1)
        }
        #expect(!compositor.hasPicture(0) && !compositor.hasPicture(1), "refused frames are not kept")
        var output = VideoFrame(width: 320, height: 180)
        #expect(throws: ConferenceError.gridTileIndex(index: 2, tileCount: 2)) { try compositor.compose(into: &output, highlight: 2) }
        #expect(throws: ConferenceError.gridTileIndex(index: 8, tileCount: 2)) { try compositor.clearTile(8) }
        #expect(throws: ConferenceError.gridTileIndex(index: 8, tileCount: 2)) { try compositor.swapTiles(0, 8) }
        #expect(throws: ConferenceError.gridTileIndex(index: -1, tileCount: 2)) { try compositor.swapTiles(-1, 0) }
        #expect(throws: ConferenceError.gridTileCount(count: 9, maximum: 8)) { try compositor.configure(tileCount: 9, arrangement: .grid) }
        #expect(compositor.layout.tileCount == 2, "a refused configure changes nothing")
        #expect(ConferenceError.gridFrame(tile: 1, width: 64, height: 36, reason: "r").description
            == "video grid: the 64x36 frame for tile 1 cannot be composed: r")
    }
}
