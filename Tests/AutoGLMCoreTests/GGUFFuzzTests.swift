import Testing
@testable import AutoGLMCore

/// Mutates a small valid file in fixed-seed ways and parses each result. A trap (overflow,
/// out-of-bounds, bad Int conversion) would kill the test process, so reaching the end
/// is the assertion; files that do parse must also satisfy the reader's promises.
@Suite struct GGUFFuzzTests {
    static let randomMutations = 1_800
    static let seed: UInt64 = 0x5EED_6667

    /// SplitMix64: tiny, deterministic, and the same on every platform.
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Values that sit on the edges the parser must guard (as 8 little-endian bytes).
    static let edgeValues: [UInt64] = [
        0, 1, 2, 3, 4, 5, 31, 32, 33, 64, 0xFF, 0xFFFF, 0xFFFF_FFFF, 1 << 32, 1 << 40, 1 << 41,
        UInt64(Int64.max), UInt64(Int64.max) - 31, UInt64(Int64.max) + 1, .max, .max - 31,
    ]

    static func seedFile() -> [UInt8] {
        var b = GGUFBuilder()
        b.metadata = [
            ("general.architecture", .string("llama")),
            ("general.alignment", .u32(32)),
            ("llama.block_count", .u32(1)),
            ("flag", .bool(true)),
            ("scale", .f32(0.5)),
            ("big", .u64(.max)),
            ("tokens", .array(.string, [.string("a"), .string("bc")])),
            ("pairs", .array(.array, [.array(.int16, [.i16(1)]), .array(.uint8, [])])),
        ]
        b.addTensor("a", shape: [32, 2], type: .q8_0, fill: 1)
        b.addTensor("b", shape: [4, 1, 2], type: .f32, fill: 2)
        b.addTensor("c", shape: [64], type: .q4_0, fill: 3)
        return b.bytes()
    }

    /// Parses, and on success checks every tensor lies inside the file.
    static func parseAndCheck(_ bytes: [UInt8]) -> Bool {
        do {
            let gguf = try parseGGUF(bytes)
            #expect(gguf.dataOffset + gguf.dataSectionBytes == bytes.count)
            for t in gguf.tensors {
                #expect(t.offset >= 0 && t.byteCount > 0 && t.offset + t.byteCount <= gguf.dataSectionBytes)
                #expect(t.offset % gguf.alignment == 0)
                _ = gguf.bytes(for: t).last  // touch the last byte: must be mapped
            }
            return true
        } catch {
            _ = error.message  // building the message must not trap either
            return false
        }
    }

    @Test func everyTruncationIsAnErrorNotATrap() {
        let seed = GGUFFuzzTests.seedFile()
        #expect(GGUFFuzzTests.parseAndCheck(seed))
        // Every proper prefix loses part of a tensor at least, so none may parse.
        for length in 0..<seed.count {
            #expect(!GGUFFuzzTests.parseAndCheck(Array(seed[0..<length])), "prefix of \(length) bytes parsed")
        }
    }

    @Test func randomMutationsNeverTrap() {
        let seed = GGUFFuzzTests.seedFile()
        var rng = SplitMix64(state: GGUFFuzzTests.seed)
        var parsed = 0
        for _ in 0..<GGUFFuzzTests.randomMutations {
            var bytes = seed
            switch rng.below(4) {
            case 0:  // flip a few random bits
                for _ in 0..<(1 + rng.below(4)) {
                    bytes[rng.below(bytes.count)] ^= UInt8(1) << UInt8(rng.below(8))
                }
            case 1:  // overwrite a random byte
                bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
            case 2:  // plant an edge value at a random offset (often a count or length)
                let value = GGUFFuzzTests.edgeValues[rng.below(GGUFFuzzTests.edgeValues.count)]
                let at = rng.below(bytes.count - 8)
                withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at..<at + 8, with: $0) }
            default:  // a mutation plus a truncation
                bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                bytes.removeLast(rng.below(bytes.count))
            }
            if GGUFFuzzTests.parseAndCheck(bytes) { parsed += 1 }
        }
        // Both outcomes occur, so the mutations reach past the first checks.
        #expect(parsed > 0 && parsed < GGUFFuzzTests.randomMutations)
    }
}
