import Testing
@testable import AutoGLMCore

@Suite struct SamplerRNGTests {
    // Expected values computed independently with this Python (3.11) transcription of
    // the reference C code of splitmix64 and xoshiro256** 1.0 (prng.di.unimi.it):
    //
    //   M = (1 << 64) - 1
    //   def splitmix64(x):
    //       x = (x + 0x9E3779B97F4A7C15) & M; z = x
    //       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    //       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    //       return x, z ^ (z >> 31)
    //   def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
    //   def seed_state(seed):            # four splitmix64 outputs
    //       s = []; x = seed
    //       for _ in range(4): x, z = splitmix64(x); s.append(z)
    //       return s
    //   def next_u64(s):
    //       result = (rotl((s[1] * 5) & M, 7) * 9) & M
    //       t = (s[1] << 17) & M
    //       s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
    //       s[2] ^= t; s[3] = rotl(s[3], 45)
    //       return result
    //   # nextFloat numerators: next_u64(s) >> 40, i.e. the float is that / 2**24
    @Test func seedZeroMatchesReference() {
        var rng = SamplerRNG(seed: 0)
        #expect(rng.state == (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f, 0xf88bb8a8724c81ec))
        let expected: [UInt64] = [0x99ec5f36cb75f2b4, 0xbf6e1f784956452a, 0x1a5f849d4933e6e0,
                                  0x6aa594f1262d2d2c, 0xbba5ad4a1f842e59]
        for value in expected { #expect(rng.next() == value) }
    }

    @Test func seed42MatchesReference() {
        var rng = SamplerRNG(seed: 42)
        #expect(rng.state == (0xbdd732262feb6e95, 0x28efe333b266f103, 0x47526757130f9f52, 0x581ce1ff0e4ae394))
        let expected: [UInt64] = [0x15780b2e0c2ec716, 0x6104d9866d113a7e, 0xae17533239e499a1,
                                  0xecb8ad4703b360a1, 0xfde6dc7fe2ec5e64]
        for value in expected { #expect(rng.next() == value) }
    }

    @Test func nextFloatIsTheTop24BitsOverTwoToThe24() {
        var rng = SamplerRNG(seed: 0)
        let numerators: [Float] = [10087519, 12545567, 1728388, 6989204, 12297645]
        for n in numerators { #expect(rng.nextFloat() == n / 16_777_216) }
        var seed42 = SamplerRNG(seed: 42)
        for n: Float in [1406987, 6358233, 11409235, 15513773, 16639708] { #expect(seed42.nextFloat() == n / 16_777_216) }
    }

    @Test func nextFloatStaysBelowOne() {
        var rng = SamplerRNG(seed: 7)
        for _ in 0..<100_000 {
            let x = rng.nextFloat()
            #expect(x >= 0 && x < 1)
        }
    }

    @Test func restoringStateResumesTheStream() throws {
        var rng = SamplerRNG(seed: 99)
        for _ in 0..<10 { _ = rng.next() }
        let saved = rng.state
        let continued = (0..<10).map { _ in rng.next() }
        var restored = try SamplerRNG(state: saved)
        #expect((0..<10).map { _ in restored.next() } == continued)
    }

    @Test func allZeroStateIsRejected() {
        #expect(throws: CoreError.self) { try SamplerRNG(state: (0, 0, 0, 0)) }
    }
}
