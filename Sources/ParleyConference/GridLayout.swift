/// A rectangle of pixels on a video canvas: `x`, `y` is the top-left corner.
public struct GridRect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public func intersects(_ other: GridRect) -> Bool {
        x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
    }

    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// How the tiles share the canvas.
public enum GridArrangement: Sendable, Equatable {
    /// Equal cells: 1 full, 2 side by side, 3–4 in 2x2, 5–6 in 3x2, 7–8 in 3x3; a row that
    /// is not full is centred.
    case grid
    /// The tile with this index takes the top of the canvas; the others share a strip
    /// along the bottom (a quarter of the height).
    case speaker(Int)
}

/// The cells of a video grid: one rectangle per tile on a `canvasWidth`×`canvasHeight`
/// I420 canvas. Every coordinate and size is even (I420 chroma is subsampled 2x2), cells
/// never overlap and lie inside the canvas. A picture keeps its aspect ratio inside its
/// cell: `pictureRect(sourceWidth:sourceHeight:in:)`.
///
/// `update(tileCount:arrangement:)` recomputes the cells in place without allocating, so
/// a layout may change (a speaker switch, someone joining) on the media thread.
public struct GridLayout: Sendable, Equatable {
    /// Tiles one layout can hold (a mesh call of up to nine people shows eight others).
    public static let maximumTiles = 8
    /// The smallest cell, in pixels, each side.
    public static let minimumCellSide = 16
    /// The largest canvas side, in pixels.
    public static let maximumCanvasSide = 8192

    public let canvasWidth: Int
    public let canvasHeight: Int
    public private(set) var tileCount: Int
    public private(set) var arrangement: GridArrangement
    /// The cell of each tile, indexed by tile.
    public private(set) var cells: [GridRect]

    public init(tileCount: Int, canvasWidth: Int, canvasHeight: Int, arrangement: GridArrangement = .grid) throws(ConferenceError) {
        try Self.validateCanvas(width: canvasWidth, height: canvasHeight)
        self.canvasWidth = canvasWidth
        self.canvasHeight = canvasHeight
        self.tileCount = 0
        self.arrangement = .grid
        cells = []
        cells.reserveCapacity(Self.maximumTiles)
        try update(tileCount: tileCount, arrangement: arrangement)
    }

    /// Recomputes the cells for a new tile count or arrangement. On error the layout is
    /// unchanged. Allocates nothing.
    public mutating func update(tileCount: Int, arrangement: GridArrangement) throws(ConferenceError) {
        guard tileCount >= 1 && tileCount <= Self.maximumTiles else {
            throw .gridTileCount(count: tileCount, maximum: Self.maximumTiles)
        }
        if case .speaker(let index) = arrangement, index < 0 || index >= tileCount {
            throw .gridTileIndex(index: index, tileCount: tileCount)
        }
        // Check the smallest cell before touching the stored cells.
        let smallest = Self.smallestCell(tileCount: tileCount, arrangement: arrangement,
                                         canvasWidth: canvasWidth, canvasHeight: canvasHeight)
        guard smallest.width >= Self.minimumCellSide && smallest.height >= Self.minimumCellSide else {
            throw .gridCanvas(width: canvasWidth, height: canvasHeight,
                              reason: "\(tileCount) tiles would be \(smallest.width)x\(smallest.height) px each; "
                                  + "at least \(Self.minimumCellSide)x\(Self.minimumCellSide) px is needed, so give a larger canvas")
        }
        self.tileCount = tileCount
        self.arrangement = arrangement
        cells.removeAll(keepingCapacity: true)
        switch arrangement {
        case .grid:
            appendGridCells()
        case .speaker(let speaker):
            appendSpeakerCells(speaker: speaker)
        }
    }

    /// The cell of `tile`.
    public func cell(_ tile: Int) throws(ConferenceError) -> GridRect {
        guard tile >= 0 && tile < tileCount else { throw .gridTileIndex(index: tile, tileCount: tileCount) }
        return cells[tile]
    }

    /// Columns and rows of the equal-cell grid for `tileCount` tiles.
    public static func gridShape(tileCount: Int) -> (columns: Int, rows: Int) {
        switch tileCount {
        case ...1: return (1, 1)
        case 2: return (2, 1)
        case 3...4: return (2, 2)
        case 5...6: return (3, 2)
        default: return (3, 3)
        }
    }

    /// The largest rectangle with the source's aspect ratio that fits in `cell`, centred,
    /// with even coordinates and sizes (letterbox or pillarbox). The aspect error is under
    /// one pixel of the picture's size (`|w·sh − h·sw| ≤ max(sw, sh)`).
    public static func pictureRect(sourceWidth sw: Int, sourceHeight sh: Int, in cell: GridRect) -> GridRect {
        guard sw > 0 && sh > 0 else { return cell }
        var width: Int
        var height: Int
        if sw * cell.height >= cell.width * sh {
            // Wider than the cell: full width, bars above and below.
            width = cell.width
            height = (cell.width * sh + sw) / (2 * sw) * 2
        } else {
            height = cell.height
            width = (cell.height * sw + sh) / (2 * sh) * 2
        }
        width = min(max(width, 2), cell.width)
        height = min(max(height, 2), cell.height)
        return GridRect(x: cell.x + even((cell.width - width) / 2), y: cell.y + even((cell.height - height) / 2),
                        width: width, height: height)
    }

    // MARK: - Internals

    static func validateCanvas(width: Int, height: Int) throws(ConferenceError) {
        guard width > 0 && height > 0 && width <= maximumCanvasSide && height <= maximumCanvasSide else {
            throw .gridCanvas(width: width, height: height,
                              reason: "each side must be from \(minimumCellSide) to \(maximumCanvasSide) px")
        }
        guard width % 2 == 0 && height % 2 == 0 else {
            throw .gridCanvas(width: width, height: height, reason: "I420 needs an even width and height, such as 1280x720")
        }
        guard width >= minimumCellSide && height >= minimumCellSide else {
            throw .gridCanvas(width: width, height: height, reason: "each side must be at least \(minimumCellSide) px")
        }
    }

    @inline(__always) static func even(_ value: Int) -> Int { value & ~1 }

    private static func smallestCell(tileCount: Int, arrangement: GridArrangement, canvasWidth: Int, canvasHeight: Int) -> (width: Int, height: Int) {
        switch arrangement {
        case .speaker where tileCount >= 2:
            let strip = speakerStrip(tileCount: tileCount, canvasWidth: canvasWidth, canvasHeight: canvasHeight)
            return (strip.cellWidth, strip.height)
        default:
            let shape = gridShape(tileCount: tileCount)
            return (even(canvasWidth / shape.columns), even(canvasHeight / shape.rows))
        }
    }

    private static func speakerStrip(tileCount: Int, canvasWidth: Int, canvasHeight: Int) -> (height: Int, cellWidth: Int) {
        let others = tileCount - 1
        return (even(canvasHeight / 4), even(canvasWidth / max(others, 4)))
    }

    private mutating func appendGridCells() {
        let shape = Self.gridShape(tileCount: tileCount)
        let cellWidth = Self.even(canvasWidth / shape.columns)
        let cellHeight = Self.even(canvasHeight / shape.rows)
        let rows = (tileCount + shape.columns - 1) / shape.columns
        let top = Self.even((canvasHeight - rows * cellHeight) / 2)
        var tile = 0
        var row = 0
        while row < rows {
            let inRow = min(shape.columns, tileCount - row * shape.columns)
            let left = Self.even((canvasWidth - inRow * cellWidth) / 2)
            var column = 0
            while column < inRow {
                cells.append(GridRect(x: left + column * cellWidth, y: top + row * cellHeight, width: cellWidth, height: cellHeight))
                tile += 1
                column += 1
            }
            row += 1
        }
    }

    private mutating func appendSpeakerCells(speaker: Int) {
        guard tileCount >= 2 else {
            cells.append(GridRect(x: 0, y: 0, width: canvasWidth, height: canvasHeight))
            return
        }
        let strip = Self.speakerStrip(tileCount: tileCount, canvasWidth: canvasWidth, canvasHeight: canvasHeight)
        let mainHeight = canvasHeight - strip.height
        let others = tileCount - 1
        let left = Self.even((canvasWidth - others * strip.cellWidth) / 2)
        var slot = 0
        var tile = 0
        while tile < tileCount {
            if tile == speaker {
                cells.append(GridRect(x: 0, y: 0, width: canvasWidth, height: mainHeight))
            } else {
                cells.append(GridRect(x: left + slot * strip.cellWidth, y: mainHeight, width: strip.cellWidth, height: strip.height))
                slot += 1
            }
            tile += 1
        }
    }
}
