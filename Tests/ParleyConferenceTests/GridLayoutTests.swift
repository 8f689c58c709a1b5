import ParleyConference
import Testing

/// Tile rectangles for 1…8 tiles, both arrangements: inside the canvas, disjoint, even,
/// in the documented shapes; pictures keep their aspect ratio; bad input is refused.
@Suite struct GridLayoutTests {
    static let canvases: [(Int, Int)] = [(1280, 720), (640, 480), (320, 180), (1920, 1080), (176, 144)]

    static func arrangements(tileCount: Int) -> [GridArrangement] {
        [.grid] + (0..<tileCount).map { GridArrangement.speaker($0) }
    }

    @Test func everyLayoutIsInsideTheCanvasDisjointAndEven() throws {
        for (width, height) in Self.canvases {
            for count in 1...8 {
                for arrangement in Self.arrangements(tileCount: count) {
                    let layout = try GridLayout(tileCount: count, canvasWidth: width, canvasHeight: height, arrangement: arrangement)
                    let what = "\(count) tiles \(arrangement) on \(width)x\(height)"
                    #expect(layout.cells.count == count, "\(what)")
                    #expect(layout.tileCount == count)
                    for (index, cell) in layout.cells.enumerated() {
                        #expect(cell.x >= 0 && cell.y >= 0 && cell.maxX <= width && cell.maxY <= height, "\(what): cell \(index) \(cell)")
                        #expect(cell.x % 2 == 0 && cell.y % 2 == 0 && cell.width % 2 == 0 && cell.height % 2 == 0, "\(what): \(cell)")
                        #expect(cell.width >= GridLayout.minimumCellSide && cell.height >= GridLayout.minimumCellSide, "\(what): \(cell)")
                        for other in layout.cells[(index + 1)...] {
                            #expect(!cell.intersects(other), "\(what): \(cell) overlaps \(other)")
                        }
                    }
                }
            }
        }
    }

    @Test func gridShapesOn720p() throws {
        func cells(_ count: Int, _ arrangement: GridArrangement = .grid) throws -> [GridRect] {
            try GridLayout(tileCount: count, canvasWidth: 1280, canvasHeight: 720, arrangement: arrangement).cells
        }
        #expect(try cells(1) == [GridRect(x: 0, y: 0, width: 1280, height: 720)])
        // Side by side.
        #expect(try cells(2) == [GridRect(x: 0, y: 0, width: 640, height: 720), GridRect(x: 640, y: 0, width: 640, height: 720)])
        // 2x2; three tiles centre the bottom one.
        #expect(try cells(4) == [
            GridRect(x: 0, y: 0, width: 640, height: 360), GridRect(x: 640, y: 0, width: 640, height: 360),
            GridRect(x: 0, y: 360, width: 640, height: 360), GridRect(x: 640, y: 360, width: 640, height: 360),
        ])
        #expect(try cells(3)[2] == GridRect(x: 320, y: 360, width: 640, height: 360))
        // 3x2 and 3x3: 1280/3 = 426.67 -> 426 wide cells.
        let six = try cells(6)
        #expect(six.allSatisfy { $0.width == 426 && $0.height == 360 })
        #expect(Set(six.map(\.y)) == [0, 360])
        let eight = try cells(8)
        #expect(eight.allSatisfy { $0.width == 426 && $0.height == 240 })
        #expect(Set(eight.map(\.y)) == [0, 240, 480])
        #expect(eight[6].x == 214 && eight[7].x == 640, "the last row of two is centred")
        #expect(try cells(7)[6] == GridRect(x: 426, y: 480, width: 426, height: 240))
        // Speaker enlarged: the speaker on top, the others in a 180 px strip of 320 px cells.
        let speaker = try cells(4, .speaker(2))
        #expect(speaker[2] == GridRect(x: 0, y: 0, width: 1280, height: 540))
        #expect(speaker[0] == GridRect(x: 160, y: 540, width: 320, height: 180))
        #expect(speaker[1] == GridRect(x: 480, y: 540, width: 320, height: 180))
        #expect(speaker[3] == GridRect(x: 800, y: 540, width: 320, height: 180))
        #expect(try cells(1, .speaker(0)) == [GridRect(x: 0, y: 0, width: 1280, height: 720)])
        let crowded = try cells(8, .speaker(0))
        #expect(crowded[0].width == 1280 && crowded[1...].allSatisfy { $0.width == 182 && $0.height == 180 && $0.y == 540 })
    }

    @Test func updateRecomputesInPlace() throws {
        var layout = try GridLayout(tileCount: 2, canvasWidth: 640, canvasHeight: 360)
        try layout.update(tileCount: 5, arrangement: .speaker(4))
        #expect(layout == (try GridLayout(tileCount: 5, canvasWidth: 640, canvasHeight: 360, arrangement: .speaker(4))))
        try layout.update(tileCount: 1, arrangement: .grid)
        #expect(layout.cells == [GridRect(x: 0, y: 0, width: 640, height: 360)])
    }

    @Test func picturesKeepTheirAspectRatioInsideTheirCell() throws {
        let sources: [(Int, Int)] = [(1280, 720), (640, 480), (480, 640), (176, 144), (175, 143), (1, 1), (2000, 10), (10, 2000), (640, 360)]
        for (width, height) in Self.canvases {
            for count in [1, 2, 3, 5, 8] {
                for arrangement in [GridArrangement.grid, .speaker(count - 1)] {
                    let layout = try GridLayout(tileCount: count, canvasWidth: width, canvasHeight: height, arrangement: arrangement)
                    for cell in layout.cells {
                        for (sw, sh) in sources {
                            let picture = GridLayout.pictureRect(sourceWidth: sw, sourceHeight: sh, in: cell)
                            let what = "\(sw)x\(sh) in \(cell): \(picture)"
                            #expect(picture.x >= cell.x && picture.y >= cell.y && picture.maxX <= cell.maxX && picture.maxY <= cell.maxY, "\(what)")
                            #expect(picture.x % 2 == 0 && picture.y % 2 == 0 && picture.width % 2 == 0 && picture.height % 2 == 0, "\(what)")
                            #expect(picture.width == cell.width || picture.height == cell.height, "\(what): fills one side")
                            // Centred to within the 2 px alignment.
                            #expect(abs((picture.x - cell.x) - (cell.maxX - picture.maxX)) <= 2, "\(what)")
                            #expect(abs((picture.y - cell.y) - (cell.maxY - picture.maxY)) <= 2, "\(what)")
                            // Aspect within one pixel, unless clamped to the 2 px minimum.
                            if picture.width > 2 && picture.height > 2 {
                                #expect(abs(picture.width * sh - picture.height * sw) <= max(sw, sh), "\(what)")
                            }
                        }
                    }
                }
            }
        }
        let cell = GridRect(x: 0, y: 0, width: 640, height: 360)
        #expect(GridLayout.pictureRect(sourceWidth: 640, sourceHeight: 480, in: cell) == GridRect(x: 80, y: 0, width: 480, height: 360))
        #expect(GridLayout.pictureRect(sourceWidth: 1280, sourceHeight: 720, in: cell) == cell)
        #expect(GridLayout.pictureRect(sourceWidth: 1280, sourceHeight: 1080, in: GridRect(x: 0, y: 0, width: 1280, height: 720))
            == GridRect(x: 212, y: 0, width: 854, height: 720))
    }

    @Test func badInputIsRefusedWithTheRightError() throws {
        #expect(throws: ConferenceError.gridTileCount(count: 0, maximum: 8)) {
            try GridLayout(tileCount: 0, canvasWidth: 1280, canvasHeight: 720)
        }
        #expect(throws: ConferenceError.gridTileCount(count: 9, maximum: 8)) {
            try GridLayout(tileCount: 9, canvasWidth: 1280, canvasHeight: 720)
        }
        #expect(throws: ConferenceError.gridTileCount(count: -1, maximum: 8)) {
            try GridLayout(tileCount: -1, canvasWidth: 1280, canvasHeight: 720)
        }
        #expect(throws: ConferenceError.gridCanvas(width: 1279, height: 720, reason: "I420 needs an even width and height, such as 1280x720")) {
            try GridLayout(tileCount: 1, canvasWidth: 1279, canvasHeight: 720)
        }
        for (width, height) in [(1280, 721), (0, 0), (-2, 720), (8, 8), (1280, 10), (9000, 720)] {
            #expect {
                try GridLayout(tileCount: 1, canvasWidth: width, canvasHeight: height)
            } throws: { error in
                guard case ConferenceError.gridCanvas(let w, let h, _) = error else { return false }
                return w == width && h == height
            }
        }
        // Big enough for one tile, too small for eight.
        #expect(throws: ConferenceError.gridCanvas(width: 40, height: 40,
                                                   reason: "8 tiles would be 12x12 px each; at least 16x16 px is needed, so give a larger canvas")) {
            try GridLayout(tileCount: 8, canvasWidth: 40, canvasHeight: 40)
        }
        #expect(throws: ConferenceError.gridTileIndex(index: 3, tileCount: 3)) {
            try GridLayout(tileCount: 3, canvasWidth: 1280, canvasHeight: 720, arrangement: .speaker(3))
        }
        #expect(throws: ConferenceError.gridTileIndex(index: -1, tileCount: 3)) {
            try GridLayout(tileCount: 3, canvasWidth: 1280, canvasHeight: 720, arrangement: .speaker(-1))
        }
        // A refused update leaves the layout as it was.
        var layout = try GridLayout(tileCount: 3, canvasWidth: 640, canvasHeight: 360)
        let before = layout
        #expect(throws: ConferenceError.gridTileCount(count: 9, maximum: 8)) { try layout.update(tileCount: 9, arrangement: .grid) }
        #expect(throws: ConferenceError.gridTileIndex(index: 5, tileCount: 4)) { try layout.update(tileCount: 4, arrangement: .speaker(5)) }
        #expect(layout == before)
        #expect(throws: ConferenceError.gridTileIndex(index: 3, tileCount: 3)) { try layout.cell(3) }
        // The messages say what to do.
        #expect(ConferenceError.gridTileCount(count: 9, maximum: 8).description.contains("give 1 to 8 tiles"))
        #expect(ConferenceError.gridCanvas(width: 1279, height: 720, reason: "x").description.contains("1279x720"))
    }
}
