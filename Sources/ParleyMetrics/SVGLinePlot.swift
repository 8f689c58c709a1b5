import Foundation

/// A line plot as a standalone `<svg>` element (SVG 1.1, no scripts, no external
/// references), for the self-contained HTML call report: axes with "nice" 1-2-5 ticks and
/// labels, a title, a legend, and one polyline (or marker set) per series.
///
/// It lives in ParleyMetrics with the rest of the report logic so that it is pure Swift
/// and testable without the CLI; `parley report` only reads files and writes the page.
///
/// Coordinates: the plot area is `layout.plotArea` (SVG user units, y down); `position`
/// maps a data point into it linearly from the x and y domains. A NaN or infinite y
/// breaks a line (a gap); points outside the domain are drawn where they map (clipped by
/// the plot area's clip path).
public struct SVGLinePlot: Sendable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) {
            self.x = x
            self.y = y
        }
    }

    public enum Style: Sendable, Equatable {
        /// A solid line through the points.
        case line
        /// A dashed line (targets, thresholds).
        case dashed
        /// A small circle at each point, no line (events, sparse values).
        case markers
    }

    public struct Series: Sendable {
        public var name: String
        /// Any CSS colour, e.g. "#1f77b4".
        public var color: String
        public var points: [Point]
        public var style: Style

        public init(name: String, color: String, points: [Point], style: Style = .line) {
            self.name = name
            self.color = color
            self.points = points
            self.style = style
        }
    }

    /// A rectangle in SVG user units.
    public struct Rect: Sendable, Equatable {
        public var x: Double, y: Double, width: Double, height: Double
        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    /// The resolved geometry of a plot.
    public struct Layout: Sendable, Equatable {
        public var xDomain: ClosedRange<Double>
        public var yDomain: ClosedRange<Double>
        public var plotArea: Rect
        public var xTicks: [Double]
        public var yTicks: [Double]
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width: Double = 760
    public var height: Double = 260
    /// Fixed x domain; nil: the range of the data.
    public var xDomain: ClosedRange<Double>?
    /// Fixed y domain; nil: the range of the data widened to whole ticks.
    public var yDomain: ClosedRange<Double>?
    /// With an automatic y domain, whether it reaches down (or up) to 0.
    public var yIncludesZero = true
    /// Whether the title is drawn inside the SVG (off when a page heading shows it; the
    /// SVG's `<title>` element keeps it for screen readers either way).
    public var showsTitle = true

    /// Margins around the plot area: room for the title and legend above, tick labels
    /// and axis titles left and below.
    public static let marginLeft = 62.0, marginRight = 18.0, marginTop = 46.0, marginBottom = 44.0
    /// The part of `marginTop` the title takes.
    public static let titleHeight = 18.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The domains, plot area and ticks this plot draws with.
    public var layout: Layout {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = finite.map(\.x), ys = finite.map(\.y)
        var xd = xDomain ?? ((xs.min() ?? 0)...(xs.max() ?? 1))
        if xd.lowerBound == xd.upperBound { xd = (xd.lowerBound - 0.5)...(xd.upperBound + 0.5) }
        let xTicks = Self.ticks(xd, target: 8)

        var yd: ClosedRange<Double>
        var yTicks: [Double]
        if let fixed = yDomain {
            yd = fixed.lowerBound == fixed.upperBound ? (fixed.lowerBound - 0.5)...(fixed.upperBound + 0.5) : fixed
            yTicks = Self.ticks(yd, target: 5)
        } else {
            var lo = ys.min() ?? 0, hi = ys.max() ?? 1
            if yIncludesZero { lo = Swift.min(lo, 0); hi = Swift.max(hi, 0) }
            if lo == hi { lo -= 1; hi += 1 }
            let step = Self.niceStep((hi - lo) / 5)
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
            yd = lo...hi
            yTicks = Self.ticks(yd, target: 5)
        }
        // Without a title the legend moves up into its place.
        let top = showsTitle ? Self.marginTop : Self.marginTop - Self.titleHeight
        let area = Rect(
            x: Self.marginLeft, y: top,
            width: Swift.max(1, width - Self.marginLeft - Self.marginRight),
            height: Swift.max(1, height - top - Self.marginBottom))
        return Layout(xDomain: xd, yDomain: yd, plotArea: area, xTicks: xTicks, yTicks: yTicks)
    }

    /// Where the data point (`x`, `y`) is drawn, in SVG user units.
    public func position(x: Double, y: Double) -> (x: Double, y: Double) {
        Self.position(x: x, y: y, in: layout)
    }

    static func position(x: Double, y: Double, in l: Layout) -> (x: Double, y: Double) {
        let a = l.plotArea
        let fx = (x - l.xDomain.lowerBound) / (l.xDomain.upperBound - l.xDomain.lowerBound)
        let fy = (y - l.yDomain.lowerBound) / (l.yDomain.upperBound - l.yDomain.lowerBound)
        return (a.x + fx * a.width, a.y + a.height - fy * a.height)
    }

    /// The `<svg>` element. `id` makes the clip-path id unique within a page.
    public func svg(id: String = "plot") -> String {
        let l = layout
        let a = l.plotArea
        let clip = "clip-" + Self.identifier(id)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"\(n(width))\" height=\"\(n(height))\" "
        s += "viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\">\n"
        s += "<title>\(Self.escape(title))</title>\n"
        // The clip reaches 4 units beyond the plot area so markers on its edges stay whole.
        s += "<defs><clipPath id=\"\(clip)\"><rect x=\"\(n(a.x - 4))\" y=\"\(n(a.y - 4))\" width=\"\(n(a.width + 8))\" height=\"\(n(a.height + 8))\"/></clipPath></defs>\n"
        s += "<rect x=\"\(n(a.x))\" y=\"\(n(a.y))\" width=\"\(n(a.width))\" height=\"\(n(a.height))\" fill=\"#fbfbfd\" stroke=\"none\"/>\n"
        if showsTitle {
            s += "<text class=\"plot-title\" x=\"\(n(a.x))\" y=\"18\" font-size=\"14\" font-weight=\"600\">\(Self.escape(title))</text>\n"
        }

        // Grid and ticks.
        let xDecimals = Self.decimals(for: l.xTicks), yDecimals = Self.decimals(for: l.yTicks)
        s += "<g class=\"grid\" stroke=\"#e3e3ea\" stroke-width=\"1\">\n"
        for t in l.yTicks {
            let p = Self.position(x: l.xDomain.lowerBound, y: t, in: l)
            s += "<line x1=\"\(n(a.x))\" y1=\"\(n(p.y))\" x2=\"\(n(a.x + a.width))\" y2=\"\(n(p.y))\"/>\n"
        }
        for t in l.xTicks {
            let p = Self.position(x: t, y: l.yDomain.lowerBound, in: l)
            s += "<line x1=\"\(n(p.x))\" y1=\"\(n(a.y))\" x2=\"\(n(p.x))\" y2=\"\(n(a.y + a.height))\"/>\n"
        }
        s += "</g>\n"
        s += "<g class=\"axes\" stroke=\"#444\" stroke-width=\"1\">\n"
        s += "<line x1=\"\(n(a.x))\" y1=\"\(n(a.y + a.height))\" x2=\"\(n(a.x + a.width))\" y2=\"\(n(a.y + a.height))\"/>\n"
        s += "<line x1=\"\(n(a.x))\" y1=\"\(n(a.y))\" x2=\"\(n(a.x))\" y2=\"\(n(a.y + a.height))\"/>\n"
        for t in l.xTicks {
            let p = Self.position(x: t, y: l.yDomain.lowerBound, in: l)
            s += "<line x1=\"\(n(p.x))\" y1=\"\(n(a.y + a.height))\" x2=\"\(n(p.x))\" y2=\"\(n(a.y + a.height + 5))\"/>\n"
        }
        for t in l.yTicks {
            let p = Self.position(x: l.xDomain.lowerBound, y: t, in: l)
            s += "<line x1=\"\(n(a.x - 5))\" y1=\"\(n(p.y))\" x2=\"\(n(a.x))\" y2=\"\(n(p.y))\"/>\n"
        }
        s += "</g>\n"
        s += "<g class=\"tick-labels\" font-size=\"11\" fill=\"#333\">\n"
        for t in l.xTicks {
            let p = Self.position(x: t, y: l.yDomain.lowerBound, in: l)
            s += "<text x=\"\(n(p.x))\" y=\"\(n(a.y + a.height + 18))\" text-anchor=\"middle\">\(Self.label(t, xDecimals))</text>\n"
        }
        for t in l.yTicks {
            let p = Self.position(x: l.xDomain.lowerBound, y: t, in: l)
            s += "<text x=\"\(n(a.x - 8))\" y=\"\(n(p.y + 4))\" text-anchor=\"end\">\(Self.label(t, yDecimals))</text>\n"
        }
        s += "</g>\n"
        s += "<text class=\"axis-label\" x=\"\(n(a.x + a.width / 2))\" y=\"\(n(height - 6))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333\">\(Self.escape(xLabel))</text>\n"
        let ly = a.y + a.height / 2
        s += "<text class=\"axis-label\" x=\"14\" y=\"\(n(ly))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333\" transform=\"rotate(-90 14 \(n(ly)))\">\(Self.escape(yLabel))</text>\n"

        // Data.
        s += "<g class=\"series\" clip-path=\"url(#\(clip))\" fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\">\n"
        var hasData = false
        for item in series {
            switch item.style {
            case .line, .dashed:
                let d = Self.pathData(item.points, in: l)
                guard !d.isEmpty else { continue }
                hasData = true
                let dash = item.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                s += "<path d=\"\(d)\" stroke=\"\(Self.escape(item.color))\"\(dash)><title>\(Self.escape(item.name))</title></path>\n"
            case .markers:
                var circles = ""
                for point in item.points where point.x.isFinite && point.y.isFinite {
                    let p = Self.position(x: point.x, y: point.y, in: l)
                    circles += "<circle cx=\"\(n(p.x))\" cy=\"\(n(p.y))\" r=\"2.6\"/>"
                }
                guard !circles.isEmpty else { continue }
                hasData = true
                s += "<g fill=\"\(Self.escape(item.color))\" stroke=\"none\"><title>\(Self.escape(item.name))</title>\(circles)</g>\n"
            }
        }
        s += "</g>\n"
        if !hasData {
            s += "<text x=\"\(n(a.x + a.width / 2))\" y=\"\(n(a.y + a.height / 2))\" text-anchor=\"middle\" font-size=\"13\" fill=\"#888\">no data</text>\n"
        }

        // Legend, right-aligned under the title.
        var legend = ""
        var x = a.x + a.width
        for item in series.reversed() {
            let textWidth = Double(item.name.count) * 6.4
            x -= textWidth + 26
            let sy = showsTitle ? 34.0 : 34.0 - Self.titleHeight
            switch item.style {
            case .markers:
                legend += "<circle cx=\"\(n(x + 8))\" cy=\"\(n(sy - 4))\" r=\"3\" fill=\"\(Self.escape(item.color))\"/>"
            case .line, .dashed:
                let dash = item.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                legend += "<line x1=\"\(n(x))\" y1=\"\(n(sy - 4))\" x2=\"\(n(x + 18))\" y2=\"\(n(sy - 4))\" stroke=\"\(Self.escape(item.color))\" stroke-width=\"2.2\"\(dash)/>"
            }
            legend += "<text x=\"\(n(x + 22))\" y=\"\(n(sy))\">\(Self.escape(item.name))</text>\n"
            x -= 8
        }
        s += "<g class=\"legend\" font-size=\"11\" fill=\"#333\">\n\(legend)</g>\n"
        s += "</svg>"
        return s
    }

    /// "M x y L x y …" for the finite points, a new "M" after each gap.
    static func pathData(_ points: [Point], in l: Layout) -> String {
        var d = ""
        var penDown = false
        for point in points {
            guard point.x.isFinite, point.y.isFinite else {
                penDown = false
                continue
            }
            let p = position(x: point.x, y: point.y, in: l)
            d += (d.isEmpty ? "" : " ") + (penDown ? "L" : "M") + "\(n(p.x)) \(n(p.y))"
            penDown = true
        }
        return d
    }

    /// The ticks at multiples of a 1-2-5 step inside `range`, about `target` of them.
    public static func ticks(_ range: ClosedRange<Double>, target: Int) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let step = niceStep(span / Double(Swift.max(1, target)))
        var t = (range.lowerBound / step).rounded(.up) * step
        var result: [Double] = []
        while t <= range.upperBound + step * 1e-9, result.count < 100 {
            result.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return result
    }

    /// The 1, 2 or 5 × 10ᵏ closest above `raw` (1 for a non-positive or non-finite value).
    public static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let f = raw / magnitude
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        return nice * magnitude
    }

    static func decimals(for ticks: [Double]) -> Int {
        guard ticks.count > 1 else { return 1 }
        let step = abs(ticks[1] - ticks[0])
        guard step > 0 else { return 0 }
        return Swift.max(0, Swift.min(6, Int((-log10(step)).rounded(.up))))
    }

    static func label(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// A number for an SVG attribute: at most two decimals, no trailing zeros.
    public static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// `text` escaped for XML character data and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func identifier(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
    }
}

private func n(_ value: Double) -> String { SVGLinePlot.coordinate(value) }
