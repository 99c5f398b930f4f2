import AutoGLMArmNN
import Testing

@Suite struct Int8QuantizationTests {
    @Test func asymmetricRangeMapsEndsToInt8Ends() {
        let q = Int8Quantization(min: -1, max: 3)
        #expect(abs(q.scale - 4.0 / 255) < 1e-7)
        // real 0 must be exact: q = zeroPoint; −1 → −128, 3 → 127 (within rounding).
        #expect(abs((Float(-128 - q.zeroPoint) * q.scale) - -1) <= q.scale / 2)
        #expect(abs((Float(127 - q.zeroPoint) * q.scale) - 3) <= q.scale)
    }

    @Test func rangeIsWidenedToContainZero() {
        let q = Int8Quantization(min: 2, max: 4)
        #expect(q.zeroPoint == -128)
        #expect(abs(q.scale - 4.0 / 255) < 1e-7)
    }
}
