import ParleyConference

/// Drives an emulator with a steady packet stream on a virtual clock.
struct EmulatorRun {
    var fates: [PacketFate] = []
    /// (sequence, copy, time, sentAt) in delivery order.
    var deliveries: [EmulatorDelivery<Int>] = []
    var counters = EmulatorCounters()
    let interval: Double

    /// `count` packets of `size` bytes every `interval` seconds from time 0.
    init(_ profileText: String, seed: UInt64 = 42, count: Int, interval: Double = 0.02, size: Int = 200) throws {
        self.interval = interval
        let emulator = NetworkEmulator<Int>(profile: try NetworkProfile(parsing: profileText), seed: seed)
        for index in 0..<count {
            let time = Double(index) * interval
            deliveries += emulator.deliveries(until: time)
            fates.append(emulator.submit(index, size: size, at: time))
        }
        deliveries += emulator.deliveries(until: .infinity)
        counters = emulator.counters
    }

    /// Delays of the first copies of the packets not lost, in send order.
    var delays: [Double] {
        fates.enumerated().compactMap { index, fate in fate.arrivalTime.map { $0 - Double(index) * interval } }
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }

    static func standardDeviation(_ values: [Double]) -> Double {
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, values.count))).squareRoot()
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
