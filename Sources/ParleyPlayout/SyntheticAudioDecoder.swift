import Foundation
import ParleyCore

/// A deterministic stand-in for the Opus decoder, for tests and the playout simulation.
///
/// A payload is the frame's index (4 bytes, big-endian) and a flags byte (bit 0: the
/// packet carries FEC data for the previous frame; bit 1: DTX). Decoding writes a
/// continuous sine (`toneFrequency`, amplitude 0.5) at the phase of that frame index, so a
/// decoded frame is the exact continuation of its predecessor; FEC writes the *previous*
/// frame's sine at amplitude 0.25, concealment continues the last phase at amplitude 0.1
/// and comfort noise is a low-level deterministic noise. `log` records every call, so a
/// test can tell which frames came out and how.
public final class SyntheticAudioDecoder: AudioDecoding {
    public enum Call: Equatable, Sendable {
        case decoded(frameIndex: UInt32)
        case recoveredByFEC(frameIndex: UInt32)
        case concealed
        case comfortNoise
        case reset
    }

    public let format: AudioFormat
    public let frameSize: Int
    public let toneFrequency: Int
    /// Every call, in order (capacity reserved up front; tests read it).
    public private(set) var log: [Call] = []
    /// Set false in long simulations to keep memory flat.
    public var keepsLog: Bool
    public private(set) var decodedCount = 0
    public private(set) var fecCount = 0
    public private(set) var concealCount = 0
    public private(set) var comfortNoiseCount = 0

    private let table: [Float]
    private var nextSample = 0
    private var noiseState: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// - Parameters: `toneFrequency` must divide the sample rate (the tone is a table
    ///   of one period), e.g. 400 Hz at 8, 16 or 48 kHz.
    public init(format: AudioFormat = AudioFormat(sampleRate: 8000, channels: 1), frameDurationMilliseconds: Int = 20,
                toneFrequency: Int = 400, keepsLog: Bool = true) {
        self.format = format
        self.frameSize = format.frames(milliseconds: frameDurationMilliseconds)
        self.toneFrequency = toneFrequency
        self.keepsLog = keepsLog
        let period = max(1, format.sampleRate / max(1, toneFrequency))
        var t = [Float](repeating: 0, count: period)
        for i in 0..<period { t[i] = Float(sin(2 * Double.pi * Double(i) / Double(period))) }
        table = t
        if keepsLog { log.reserveCapacity(4096) }
    }

    /// The payload the fake sender puts in a packet.
    public static func payload(frameIndex: UInt32, carriesFEC: Bool = false, dtx: Bool = false) -> [UInt8] {
        if dtx { return [0xFF] }
        return [UInt8(frameIndex >> 24), UInt8((frameIndex >> 16) & 0xFF), UInt8((frameIndex >> 8) & 0xFF),
                UInt8(frameIndex & 0xFF), carriesFEC ? 1 : 0]
    }

    /// The frame index a payload carries, or nil when malformed or DTX.
    public static func frameIndex(of payload: ArraySlice<UInt8>) -> UInt32? {
        guard payload.count == 5 else { return nil }
        let s = payload.startIndex
        return UInt32(payload[s]) << 24 | UInt32(payload[s + 1]) << 16 | UInt32(payload[s + 2]) << 8 | UInt32(payload[s + 3])
    }

    /// The sample `n` of the reference tone (amplitude 1) for a global sample index.
    public func toneSample(_ n: Int) -> Float { table[((n % table.count) + table.count) % table.count] }

    public func decode(_ payload: ArraySlice<UInt8>, into pcm: inout [Float]) throws -> Int {
        guard let index = Self.frameIndex(of: payload) else { throw PlayoutError.malformedPayload(bytes: payload.count) }
        write(start: Int(index) * frameSize, amplitude: 0.5, into: &pcm)
        decodedCount += 1
        if keepsLog { log.append(.decoded(frameIndex: index)) }
        return frameSize
    }

    public func decodeFEC(from nextPayload: ArraySlice<UInt8>, frameSize: Int, into pcm: inout [Float]) throws -> Int? {
        guard let index = Self.frameIndex(of: nextPayload) else { throw PlayoutError.malformedPayload(bytes: nextPayload.count) }
        guard nextPayload[nextPayload.startIndex + 4] & 1 == 1, index > 0 else { return nil }
        write(start: Int(index - 1) * self.frameSize, amplitude: 0.25, into: &pcm)
        fecCount += 1
        if keepsLog { log.append(.recoveredByFEC(frameIndex: index - 1)) }
        return self.frameSize
    }

    public func conceal(frameSize: Int, into pcm: inout [Float]) -> Int {
        write(start: nextSample, amplitude: 0.1, into: &pcm, count: frameSize)
        concealCount += 1
        if keepsLog { log.append(.concealed) }
        return frameSize
    }

    public func comfortNoise(frameSize: Int, into pcm: inout [Float]) -> Int {
        let ch = format.channels
        for i in 0..<(frameSize * ch) {
            noiseState = noiseState &* 6364136223846793005 &+ 1442695040888963407
            pcm[i] = (Float(Int64(bitPattern: noiseState) >> 40) / Float(1 << 23)) * 0.001
        }
        comfortNoiseCount += 1
        if keepsLog { log.append(.comfortNoise) }
        return frameSize
    }

    public func isDiscontinuousTransmission(_ payload: ArraySlice<UInt8>) -> Bool { payload.count <= 2 }

    public func reset() {
        nextSample = 0
        if keepsLog { log.append(.reset) }
    }

    private func write(start: Int, amplitude: Float, into pcm: inout [Float], count: Int? = nil) {
        let n = count ?? frameSize
        let ch = format.channels
        let period = table.count
        var phase = start % period
        for i in 0..<n {
            let v = table[phase] * amplitude
            for c in 0..<ch { pcm[i * ch + c] = v }
            phase += 1
            if phase == period { phase = 0 }
        }
        nextSample = start + n
    }
}
