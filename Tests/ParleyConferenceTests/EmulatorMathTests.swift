import Foundation
import ParleyConference
import Testing

/// The emulator's own log and exp agree with the C library to about 1e-15.
@Suite struct EmulatorMathTests {
    @Test func logAndExpMatchTheCLibrary() {
        var random = EmulatorRandom(seed: 1)
        for _ in 0..<10_000 {
            let x = random.unitOpenZero() * 1000
            #expect(abs(EmulatorMath.log(x) - Foundation.log(x)) <= 1e-14 * max(1, abs(Foundation.log(x))))
            let y = (random.unit() - 0.5) * 100
            #expect(abs(EmulatorMath.exp(y) - Foundation.exp(y)) <= 1e-14 * Foundation.exp(y))
        }
        #expect(EmulatorMath.log(1) == 0)
        #expect(abs(EmulatorMath.log(1e-300) - Foundation.log(1e-300)) < 1e-12)
        #expect(EmulatorMath.log(0) == -.infinity && EmulatorMath.log(-1).isNaN)
        #expect(EmulatorMath.exp(-1000) == 0 && EmulatorMath.exp(1000) == .infinity)
    }
}
