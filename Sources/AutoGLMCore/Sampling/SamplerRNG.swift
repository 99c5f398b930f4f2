/// The sampler's random source: xoshiro256** 1.0 (Blackman & Vigna, 2018), with its
/// 256-bit state filled from the seed by four splitmix64 steps, as the authors
/// recommend. Everything is 64-bit integer arithmetic, so every platform produces the
/// same stream, and the whole state is four words a checkpoint can store and restore.
public struct SamplerRNG: Equatable {
    /// The generator state. Saving it and assigning it back later resumes the exact
    /// stream. All zeros is a fixed point (the stream would be all zeros);
    /// `init(seed:)` never produces it and `init(state:)` rejects it.
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitmix = seed
        state = (
            Self.splitmix64(&splitmix), Self.splitmix64(&splitmix),
            Self.splitmix64(&splitmix), Self.splitmix64(&splitmix)
        )
    }

    /// Restores a state saved from `state`, e.g. read back from a checkpoint.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) throws(CoreError) {
        guard state.0 | state.1 | state.2 | state.3 != 0 else {
            throw .invalidArgument(name: "sampler.rngState", value: "0, 0, 0, 0",
                                   reason: "all-zero is not a valid xoshiro256** state")
        }
        self.state = state
    }

    /// The next 64 uniformly distributed bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotateLeft(state.3, 45)
        return result
    }

    /// A Float in [0, 1): the top 24 bits of `next()` over 2^24. 24 bits is exactly a
    /// Float's significand, so the conversion is exact and never rounds up to 1.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    public static func == (a: SamplerRNG, b: SamplerRNG) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    static func splitmix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    static func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
