import ParleyCore

/// A colour as 8-bit Y, U and V (BT.601 studio range, like the decoders' output).
public struct YUVColor: Sendable, Equatable {
    public var y: UInt8
    public var u: UInt8
    public var v: UInt8

    public init(y: UInt8, u: UInt8, v: UInt8) {
        self.y = y
        self.u = u
        self.v = v
    }

    public static let black = YUVColor(y: 16, u: 128, v: 128)
    public static let grey = YUVColor(y: 128, u: 128, v: 128)
    public static let yellow = YUVColor(y: 210, u: 16, v: 146)
}

/// Colours and border of a composed grid.
public struct GridAppearance: Sendable, Equatable {
    /// The widest highlight border, in pixels.
    public static let maximumBorderWidth = 16

    /// Around and between the pictures (letterbox and pillarbox bars).
    public var background: YUVColor
    /// A tile whose participant has not sent a frame yet (or was cleared).
    public var missingTile: YUVColor
    /// The border around the highlighted (active speaker's) cell.
    public var highlight: YUVColor
    /// Even, from 0 (no border) to `maximumBorderWidth`; drawn inside the cell, over the picture.
    public var borderWidth: Int

    public init(background: YUVColor = .black, missingTile: YUVColor = .grey, highlight: YUVColor = .yellow, borderWidth: Int = 4) {
        self.background = background
        self.missingTile = missingTile
        self.highlight = highlight
        self.borderWidth = borderWidth
    }
}

/// Composes the current pictures of the other participants into one I420 canvas for one
/// viewer (one compositor per viewer).
///
/// Per frame, on the media thread: `submit(_:tile:)` each newly decoded participant frame
/// (any size; it is copied into a buffer the compositor keeps), then
/// `compose(into:highlight:)` into the viewer's output frame. A tile that got no new frame
/// shows its last one (a frozen stream stays on its last picture); a tile that never got
/// one, or was `clearTile(_:)`ed, is grey. Pictures are scaled into their cell keeping
/// their aspect ratio: a straight copy when the size already matches, a box filter when
/// shrinking 2x or more both ways, bilinear otherwise.
///
/// After the first frames of each size, nothing here allocates: the kept frames and the
/// output are reused, and `configure` recomputes the layout in place.
public struct GridCompositor: Sendable {
    public private(set) var layout: GridLayout
    public let appearance: GridAppearance
    /// The last frame submitted for each tile (index < `GridLayout.maximumTiles`).
    private var frames: [VideoFrame]
    private var hasFrame: [Bool]

    public init(canvasWidth: Int, canvasHeight: Int, tileCount: Int, arrangement: GridArrangement = .grid,
                appearance: GridAppearance = GridAppearance()) throws(ConferenceError) {
        guard appearance.borderWidth >= 0 && appearance.borderWidth <= GridAppearance.maximumBorderWidth
            && appearance.borderWidth % 2 == 0
        else {
            throw .gridBorder(width: appearance.borderWidth, maximum: GridAppearance.maximumBorderWidth)
        }
        layout = try GridLayout(tileCount: tileCount, canvasWidth: canvasWidth, canvasHeight: canvasHeight, arrangement: arrangement)
        self.appearance = appearance
        frames = [VideoFrame](repeating: VideoFrame(width: 0, height: 0), count: GridLayout.maximumTiles)
        hasFrame = [Bool](repeating: false, count: GridLayout.maximumTiles)
    }

    public var canvasWidth: Int { layout.canvasWidth }
    public var canvasHeight: Int { layout.canvasHeight }

    /// Changes the number of tiles or the arrangement (someone joined or left, the speaker
    /// changed). Kept frames stay with their tile index. On error nothing changes.
    public mutating func configure(tileCount: Int, arrangement: GridArrangement) throws(ConferenceError) {
        try layout.update(tileCount: tileCount, arrangement: arrangement)
    }

    /// Keeps a copy of `frame` as the current picture of `tile`. Allocates only when the
    /// tile's picture size changes.
    public mutating func submit(_ frame: VideoFrame, tile: Int) throws(ConferenceError) {
        guard tile >= 0 && tile < layout.tileCount else {
            throw .gridTileIndex(index: tile, tileCount: layout.tileCount)
        }
        guard frame.width > 0 && frame.height > 0
            && frame.width <= GridLayout.maximumCanvasSide && frame.height <= GridLayout.maximumCanvasSide
        else {
            throw .gridFrame(tile: tile, width: frame.width, height: frame.height,
                             reason: "each side must be from 1 to \(GridLayout.maximumCanvasSide) px")
        }
        guard frame.data.count == frame.byteCount else {
            throw .gridFrame(tile: tile, width: frame.width, height: frame.height,
                             reason: "it holds \(frame.data.count) bytes, an I420 picture of this size needs \(frame.byteCount)")
        }
        frames[tile].resize(width: frame.width, height: frame.height)
        frames[tile].timestamp = frame.timestamp
        let count = frame.byteCount
        frame.data.withUnsafeBufferPointer { source in
            frames[tile].data.withUnsafeMutableBufferPointer { kept in
                kept.baseAddress!.update(from: source.baseAddress!, count: count)
            }
        }
        hasFrame[tile] = true
    }

    /// Forgets the picture of `tile` (video turned off, participant left): it shows grey.
    public mutating func clearTile(_ tile: Int) throws(ConferenceError) {
        guard tile >= 0 && tile < GridLayout.maximumTiles else {
            throw .gridTileIndex(index: tile, tileCount: layout.tileCount)
        }
        hasFrame[tile] = false
    }

    /// Exchanges the kept pictures of two tiles (when participants change places, or
    /// one leaves and the others move up). Allocates nothing.
    public mutating func swapTiles(_ first: Int, _ second: Int) throws(ConferenceError) {
        guard first >= 0 && first < GridLayout.maximumTiles else {
            throw .gridTileIndex(index: first, tileCount: layout.tileCount)
        }
        guard second >= 0 && second < GridLayout.maximumTiles else {
            throw .gridTileIndex(index: second, tileCount: layout.tileCount)
        }
        guard first != second else { return }
        // By hand: Array.swapAt allocates in debug builds.
        let kept = frames[first]
        frames[first] = frames[second]
        frames[second] = kept
        let had = hasFrame[first]
        hasFrame[first] = hasFrame[second]
        hasFrame[second] = had
    }

    /// Whether `tile` has a picture to show.
    public func hasPicture(_ tile: Int) -> Bool {
        tile >= 0 && tile < GridLayout.maximumTiles && hasFrame[tile]
    }

    /// Where the picture of `tile` is drawn now (its cell when it has no picture).
    public func pictureRect(_ tile: Int) throws(ConferenceError) -> GridRect {
        let cell = try layout.cell(tile)
        guard hasFrame[tile] else { return cell }
        return GridLayout.pictureRect(sourceWidth: frames[tile].width, sourceHeight: frames[tile].height, in: cell)
    }

    /// Draws the grid into `output`, resizing it to the canvas if needed (the only
    /// allocation, on the first call). `highlight` is the tile that gets the border (the
    /// active speaker), or nil. The output's timestamp is left to the caller.
    public func compose(into output: inout VideoFrame, highlight: Int? = nil) throws(ConferenceError) {
        if let highlight, highlight < 0 || highlight >= layout.tileCount {
            throw .gridTileIndex(index: highlight, tileCount: layout.tileCount)
        }
        let width = layout.canvasWidth
        let height = layout.canvasHeight
        output.resize(width: width, height: height)
        if output.data.count != output.byteCount {
            // A caller-damaged buffer: replace it rather than write past its end.
            output.data = [UInt8](repeating: 0, count: output.byteCount)
        }
        let chromaWidth = width / 2
        let chromaHeight = height / 2
        let lumaCount = width * height
        let chromaCount = chromaWidth * chromaHeight
        output.data.withUnsafeMutableBufferPointer { buffer in
            let yPlane = buffer.baseAddress!
            let uPlane = yPlane + lumaCount
            let vPlane = uPlane + chromaCount
            let background = appearance.background
            yPlane.update(repeating: background.y, count: lumaCount)
            uPlane.update(repeating: background.u, count: chromaCount)
            vPlane.update(repeating: background.v, count: chromaCount)

            var tile = 0
            while tile < layout.tileCount {
                let cell = layout.cells[tile]
                if hasFrame[tile] {
                    let sw = frames[tile].width
                    let sh = frames[tile].height
                    let picture = GridLayout.pictureRect(sourceWidth: sw, sourceHeight: sh, in: cell)
                    let scw = frames[tile].chromaWidth
                    let sch = frames[tile].chromaHeight
                    frames[tile].data.withUnsafeBufferPointer { source in
                        let sy = source.baseAddress!
                        let su = sy + sw * sh
                        let sv = su + scw * sch
                        Self.scalePlane(sy, width: sw, height: sh,
                                        into: yPlane + picture.y * width + picture.x, stride: width,
                                        width: picture.width, height: picture.height)
                        let chromaOffset = (picture.y / 2) * chromaWidth + picture.x / 2
                        Self.scalePlane(su, width: scw, height: sch, into: uPlane + chromaOffset, stride: chromaWidth,
                                        width: picture.width / 2, height: picture.height / 2)
                        Self.scalePlane(sv, width: scw, height: sch, into: vPlane + chromaOffset, stride: chromaWidth,
                                        width: picture.width / 2, height: picture.height / 2)
                    }
                } else {
                    Self.fill(cell, with: appearance.missingTile, y: yPlane, u: uPlane, v: vPlane, width: width)
                }
                tile += 1
            }

            let border = appearance.borderWidth
            if let highlight, border > 0 {
                let cell = layout.cells[highlight]
                let colour = appearance.highlight
                let side = min(border, cell.width / 2, cell.height / 2) & ~1
                let bands = (
                    GridRect(x: cell.x, y: cell.y, width: cell.width, height: side),
                    GridRect(x: cell.x, y: cell.maxY - side, width: cell.width, height: side),
                    GridRect(x: cell.x, y: cell.y + side, width: side, height: cell.height - 2 * side),
                    GridRect(x: cell.maxX - side, y: cell.y + side, width: side, height: cell.height - 2 * side)
                )
                Self.fill(bands.0, with: colour, y: yPlane, u: uPlane, v: vPlane, width: width)
                Self.fill(bands.1, with: colour, y: yPlane, u: uPlane, v: vPlane, width: width)
                Self.fill(bands.2, with: colour, y: yPlane, u: uPlane, v: vPlane, width: width)
                Self.fill(bands.3, with: colour, y: yPlane, u: uPlane, v: vPlane, width: width)
            }
        }
    }

    // MARK: - Pixels

    /// Fills an even-aligned rectangle of the canvas in all three planes.
    static func fill(_ rect: GridRect, with colour: YUVColor,
                     y yPlane: UnsafeMutablePointer<UInt8>, u uPlane: UnsafeMutablePointer<UInt8>,
                     v vPlane: UnsafeMutablePointer<UInt8>, width: Int) {
        guard rect.width > 0 && rect.height > 0 else { return }
        var row = 0
        while row < rect.height {
            (yPlane + (rect.y + row) * width + rect.x).update(repeating: colour.y, count: rect.width)
            row += 1
        }
        let chromaWidth = width / 2
        row = 0
        while row < rect.height / 2 {
            let offset = (rect.y / 2 + row) * chromaWidth + rect.x / 2
            (uPlane + offset).update(repeating: colour.u, count: rect.width / 2)
            (vPlane + offset).update(repeating: colour.v, count: rect.width / 2)
            row += 1
        }
    }

    /// Scales one tightly packed plane into a `dw`×`dh` region of a plane with `stride`.
    /// Same size: a row copy. Down by 2 or more both ways: a box filter (the mean of the
    /// source pixels each output pixel covers, so fine detail averages instead of
    /// aliasing). Otherwise bilinear with pixel centres aligned, 16.16 fixed point
    /// positions and 8-bit weights. Either way a solid plane stays exactly solid and a
    /// monotonic one stays monotonic.
    static func scalePlane(_ source: UnsafePointer<UInt8>, width sw: Int, height sh: Int,
                           into destination: UnsafeMutablePointer<UInt8>, stride: Int,
                           width dw: Int, height dh: Int) {
        guard sw > 0 && sh > 0 && dw > 0 && dh > 0 else { return }
        if sw == dw && sh == dh {
            var row = 0
            while row < dh {
                (destination + row * stride).update(from: source + row * sw, count: dw)
                row += 1
            }
            return
        }
        if sw >= 2 * dw && sh >= 2 * dh {
            boxPlane(source, width: sw, height: sh, into: destination, stride: stride, width: dw, height: dh)
            return
        }
        let stepX = (sw << 16) / dw
        let stepY = (sh << 16) / dh
        let maxX = (sw - 1) << 16
        let maxY = (sh - 1) << 16
        var dy = 0
        while dy < dh {
            let fy = min(max((stepY >> 1) - 32768 + dy * stepY, 0), maxY)
            let y0 = fy >> 16
            let y1 = min(y0 + 1, sh - 1)
            let wy = (fy >> 8) & 0xFF
            let top = source + y0 * sw
            let bottom = source + y1 * sw
            let out = destination + dy * stride
            var dx = 0
            while dx < dw {
                let fx = min(max((stepX >> 1) - 32768 + dx * stepX, 0), maxX)
                let x0 = fx >> 16
                let x1 = min(x0 + 1, sw - 1)
                let wx = (fx >> 8) & 0xFF
                let upper = Int(top[x0]) * (256 - wx) + Int(top[x1]) * wx
                let lower = Int(bottom[x0]) * (256 - wx) + Int(bottom[x1]) * wx
                out[dx] = UInt8(truncatingIfNeeded: (upper * (256 - wy) + lower * wy + 32768) >> 16)
                dx += 1
            }
            dy += 1
        }
    }

    /// Box filter: output pixel (dx, dy) is the rounded mean of source columns
    /// `dx·sw/dw ..< (dx+1)·sw/dw` and the matching rows (each window at least 2x2).
    static func boxPlane(_ source: UnsafePointer<UInt8>, width sw: Int, height sh: Int,
                         into destination: UnsafeMutablePointer<UInt8>, stride: Int,
                         width dw: Int, height dh: Int) {
        if sw == 2 * dw && sh == 2 * dh {
            // Exactly half each way (a 640x360 picture in a 2x2 grid of a 640x360 canvas):
            // the same rounded 2x2 mean, without the general path's divisions.
            var dy = 0
            while dy < dh {
                let top = source + 2 * dy * sw
                let bottom = top + sw
                let out = destination + dy * stride
                var dx = 0
                while dx < dw {
                    let x = 2 * dx
                    let sum = Int(top[x]) + Int(top[x + 1]) + Int(bottom[x]) + Int(bottom[x + 1])
                    out[dx] = UInt8(truncatingIfNeeded: (sum + 2) >> 2)
                    dx += 1
                }
                dy += 1
            }
            return
        }
        var dy = 0
        while dy < dh {
            let y0 = dy * sh / dh
            let y1 = (dy + 1) * sh / dh
            let out = destination + dy * stride
            var dx = 0
            while dx < dw {
                let x0 = dx * sw / dw
                let x1 = (dx + 1) * sw / dw
                var sum = 0
                var y = y0
                while y < y1 {
                    let row = source + y * sw
                    var x = x0
                    while x < x1 {
                        sum += Int(row[x])
                        x += 1
                    }
                    y += 1
                }
                let count = (x1 - x0) * (y1 - y0)
                out[dx] = UInt8(truncatingIfNeeded: (sum + count / 2) / count)
                dx += 1
            }
            dy += 1
        }
    }
}
