import Testing
@testable import AutoGLMCore

@Suite struct TensorTypeTests {
    @Test func rowBytesRequireWholeBlocks() {
        #expect(TensorType.q8_0.rowBytes(elements: 64) == 68)
        #expect(TensorType.q8_0.rowBytes(elements: 48) == nil)
        #expect(TensorType.f16.rowBytes(elements: 48) == 96)
        #expect(TensorType.f32.rowBytes(elements: Int.max / 2) == nil)
    }
}
