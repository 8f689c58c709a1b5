import Foundation
import ParleyMetrics
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses XML with Foundation's XMLParser and keeps every element with its attributes.
final class XMLCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
    }
    var elements: [Element] = []
    var text = ""
    var error: Error?

    /// Nil when `xml` is not well-formed.
    static func parse(_ xml: String) -> XMLCollector? {
        let collector = XMLCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        return parser.parse() && collector.error == nil ? collector : nil
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributeDict))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

    func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }
}

@Suite struct ReportSVGPlotTests {
    func plot(_ series: [SVGLinePlot.Series]) -> SVGLinePlot {
        var p = SVGLinePlot(title: "Delay <ms> & \"target\"", xLabel: "time (s)", yLabel: "ms", series: series)
        p.xDomain = 0...10
        p.yDomain = 0...100
        return p
    }

    @Test func svgIsWellFormedXMLWithEscapedText() throws {
        let p = plot([
            .init(name: "delay", color: "#1f77b4", points: (0...10).map { .init(Double($0), Double($0 * 9)) }),
            .init(name: "target <ideal>", color: "#ff7f0e", points: [.init(0, 50), .init(10, 50)], style: .dashed),
            .init(name: "lost", color: "#d62728", points: [.init(3, 20), .init(7, 40)], style: .markers),
        ])
        let svg = p.svg(id: "jb")
        let xml = try #require(XMLCollector.parse(svg), "not well-formed:\n\(svg)")
        #expect(xml.elements.first?.name == "svg")
        #expect(xml.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(xml.text.contains("Delay <ms> & \"target\""))
        #expect(xml.text.contains("target <ideal>"))
        #expect(xml.all("path").count == 2)
        #expect(xml.all("circle").count == 2 + 1)   // two markers and the legend's dot
        #expect(!svg.contains("<script"))
        // Axis tick labels: x 0…10 by 1 or 2, y 0…100 by 20.
        for label in ["0", "20", "40", "60", "80", "100"] {
            #expect(svg.contains(">\(label)</text>"), "missing y tick \(label)")
        }
        #expect(xml.text.contains("time (s)"))
    }

    @Test func pointsMapToPlotAreaCoordinates() throws {
        let p = plot([.init(name: "line", color: "#000", points: [.init(0, 0), .init(5, 50), .init(10, 100)])])
        let area = p.layout.plotArea
        // Default 760×260 with margins 62/18/46/44: the plot area is x 62…742, y 46…216.
        #expect(area == SVGLinePlot.Rect(x: 62, y: 46, width: 680, height: 170))
        #expect(p.position(x: 0, y: 0) == (x: 62, y: 216))
        #expect(p.position(x: 10, y: 100) == (x: 742, y: 46))
        #expect(p.position(x: 5, y: 50) == (x: 402, y: 131))
        #expect(p.position(x: 2.5, y: 20) == (x: 232, y: 182))
        let xml = try #require(XMLCollector.parse(p.svg()))
        #expect(xml.all("path").first?.attributes["d"] == "M62 216 L402 131 L742 46")
    }

    @Test func markersAndGapsLandWhereTheDataSays() throws {
        let p = plot([
            .init(name: "gappy", color: "#000", points: [.init(0, 10), .init(1, 20), .init(2, .nan), .init(3, 30), .init(4, 40)]),
            .init(name: "events", color: "#f00", points: [.init(5, 50), .init(.infinity, 1)], style: .markers),
        ])
        let xml = try #require(XMLCollector.parse(p.svg()))
        // NaN breaks the line: two subpaths.
        let d = try #require(xml.all("path").first?.attributes["d"])
        #expect(d == "M62 199 L130 182 M266 165 L334 148")
        let dots = xml.all("circle").filter { $0.attributes["r"] == "2.6" }
        #expect(dots.count == 1)
        #expect(dots.first?.attributes["cx"] == "402")
        #expect(dots.first?.attributes["cy"] == "131")
    }

    @Test func automaticDomainsAndNiceTicks() {
        #expect(SVGLinePlot.niceStep(0.13) == 0.2)
        #expect(SVGLinePlot.niceStep(3) == 5)
        #expect(SVGLinePlot.niceStep(7) == 10)
        #expect(SVGLinePlot.ticks(0...10, target: 5) == [0, 2, 4, 6, 8, 10])
        #expect(SVGLinePlot.ticks(0.5...3.2, target: 5) == [1, 2, 3])
        #expect(SVGLinePlot.ticks(0.5...3.2, target: 10) == [0.5, 1, 1.5, 2, 2.5, 3])
        var p = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "s", color: "#000", points: [.init(1, 41), .init(4, 87)]),
        ])
        let l = p.layout
        #expect(l.xDomain == 1...4)
        #expect(l.yDomain == 0...100, "automatic y reaches 0 and rounds up to a whole tick")
        p.yIncludesZero = false
        #expect(p.layout.yDomain == 40...90)
        // No data at all still draws (axes and "no data"), and is well-formed.
        let empty = SVGLinePlot(title: "empty", xLabel: "x", yLabel: "y", series: [.init(name: "s", color: "#000", points: [])])
        #expect(XMLCollector.parse(empty.svg()) != nil)
        #expect(empty.svg().contains("no data"))
    }

    @Test func statsReportPageHasEverySectionAndNoExternalAssets() throws {
        let samples = (1...6).map { StatsFixtures.sample(second: $0, lostAudio: $0 > 3 ? 2 : 0, concealed: $0 > 3 ? 960 : 0) }
        var page = HTMLReportPage(title: "Call & <test>", subtitle: "stats.jsonl")
        page.summary = StatsReport.summary(samples)
        StatsReport.addPlots(samples, to: &page)
        let html = page.render()
        for id in ["summary", "jitter-buffer", "packets", "concealment", "delay", "mos", "bitrate", "video"] {
            #expect(html.contains("<section id=\"\(id)\">"), "missing section \(id)")
        }
        #expect(html.contains("Call &amp; &lt;test&gt;"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        let labels = page.summary.map(\.label)
        for label in ["Duration", "Audio packets", "Jitter", "Concealment", "MOS (E-model)", "Freezes"] {
            #expect(labels.contains(label), "summary lacks \(label)")
        }
        // Every plot of the page is well-formed XML on its own.
        for section in page.sections where section.body.hasPrefix("<svg") {
            #expect(XMLCollector.parse(section.body) != nil, "section \(section.id)")
        }
        // The summary's jitter percentile comes from the samples: 4, 5, 6, 4, 5, 6 ms.
        let jitter = page.summary.first { $0.label == "Jitter" }?.value
        #expect(jitter == "mean 5.0 ms, 95th percentile 6.0 ms")
    }

    @Test func hostileCountersAndValuesDoNotTrap() {
        // Values read from a damaged or hostile file: extreme counters, NaN, infinities.
        var a = InboundAudioStats(ssrc: 1)
        a.packetsReceived = Int.max
        a.packetsLost = Int.min
        a.bytesReceived = Int.min
        a.jitter = .infinity
        a.jitterBufferEmittedCount = Int.max
        a.jitterBufferDelay = .nan
        var b = a
        b.packetsReceived = Int.min
        b.bytesReceived = Int.max
        var v = InboundVideoStats(ssrc: 2)
        v.framesDecoded = Int.max
        let samples = [
            StatsSample(timestamp: 1, inboundAudio: [a], inboundVideo: [v]),
            StatsSample(timestamp: 1e308, inboundAudio: [b], inboundVideo: [v]),
            StatsSample(timestamp: -5, inboundAudio: [a]),
            StatsSample(timestamp: .nan, inboundAudio: [a]),
            StatsSample(timestamp: -.infinity, inboundVideo: [v]),
        ]
        var page = HTMLReportPage(title: "hostile", subtitle: "")
        page.summary = StatsReport.summary(samples)
        StatsReport.addPlots(samples, to: &page)
        _ = StatsSummaryLine.format(samples[1], previous: samples[0])
        for section in page.sections where section.body.hasPrefix("<svg") {
            #expect(XMLCollector.parse(section.body) != nil, "section \(section.id)")
        }
        var huge = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "s", color: "#000", points: [.init(-1e308, -1e308), .init(1e308, 1e308), .init(0, .infinity)]),
        ])
        #expect(XMLCollector.parse(huge.svg()) != nil)
        huge.yDomain = 5...5
        #expect(XMLCollector.parse(huge.svg()) != nil)
    }
}
