import Foundation
import Testing
@testable import AutoGLMCore

@Suite struct DeterministicMathTests {
    @Test func expMatchesLibmWithinAnUlpOrTwo() {
        var x: Float = -100
        while x < 88 {
            let ours = DeterministicMath.exp(x)
            let libm = Foundation.exp(x)
            let ulp = max(libm.ulp, Float.leastNormalMagnitude)
            #expect(abs(ours - libm) <= 2 * ulp, "exp(\(x)) = \(ours), libm \(libm)")
            x += 0.173
        }
        #expect(DeterministicMath.exp(0) == 1)
        #expect(DeterministicMath.exp(100) == .infinity)
        #expect(DeterministicMath.exp(-200) == 0)
    }

    @Test func logAndPowMatchLibm() {
        for x in [1e-10, 0.5, 0.7, 1.0, 1.5, 2.0, 10.0, 500000.0, 1e30] {
            #expect(abs(DeterministicMath.logDouble(x) - Foundation.log(x)) <= 4 * Foundation.log(x).magnitude.ulp + 1e-15)
        }
        #expect(abs(DeterministicMath.powDouble(10000, -0.25) - Foundation.pow(10000.0, -0.25)) < 1e-14)
    }

    @Test func cosSinMatchLibmOverLongAngles() {
        var a = -50.0
        while a < 100_000 {
            let (c, s) = DeterministicMath.cosSin(a)
            #expect(abs(c - Foundation.cos(a)) < 1e-11, "cos(\(a))")
            #expect(abs(s - Foundation.sin(a)) < 1e-11, "sin(\(a))")
            a = a < 100 ? a + 0.37 : a * 1.7
        }
    }
}
