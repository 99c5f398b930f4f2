import Testing
@testable import AutoGLMCore

/// The checkpoint codec end to end on a real model: a generation saved after any token
/// and resumed in another InferenceState gives exactly the uninterrupted tokens, and no
/// damaged, truncated or foreign file is ever accepted.
@Suite struct CheckpointCodecTests {
    static let prompt: [Int32] = [51, 257, 220, 80, 84, 72, 363, 290, 81, 296, 77, 283, 78, 87]
    static let seeded = SamplerConfig(temperature: 0.9, topK: 40, topP: 0.95, repetitionPenalty: 1.1, seed: 1234)
    static let newTokens = 40

    static func state(_ path: String = "models/glm4-f32.gguf", kvType: KVCacheType = .f32) throws -> InferenceState {
        let model = try Model(path: Fixtures.path(path))
        return try InferenceState(model: model, limits: RuntimeLimits(maxContext: 96, maxBatch: 2, prefillChunk: 8, kvType: kvType),
                                  backend: .emulation)
    }

    static func identity(_ s: InferenceState) -> CheckpointIdentity {
        CheckpointIdentity(pool: s.kvPool, tokenizerHash: 0x5eed, backend: .emulation, vocabularySize: s.config.vocabularySize)
    }

    static func run(_ g: ResumableGeneration, upTo count: Int) {
        while g.generatedCount < count, g.next() != nil {}
    }

    /// Saves after `k` tokens (in `writer`, sequence 1), restores into `reader` (sequence 0)
    /// and finishes there.
    static func resumed(after k: Int, writer: InferenceState, reader: InferenceState, rebuildFromTokens: Bool = false,
                        sampling: SamplerConfig = seeded) throws -> [Int32] {
        let g = try ResumableGeneration(state: writer, sequence: 1, prompt: prompt, sampling: sampling, maxNewTokens: newTokens)
        run(g, upTo: k)
        let c = g.checkpoint(sessionKey: "s-1", saveCounter: UInt64(k), savedAt: 0, priority: 1)
        let (head, pages) = try g.encode(c, identity: identity(writer))
        let source = ByteArrayCheckpointSource(head + pages)
        let decoded = try CheckpointDecoder.decode(source, expecting: identity(reader))
        #expect(decoded.checkpoint == c)
        let r = try ResumableGeneration(state: reader, sequence: 0, restoring: decoded,
                                        pages: rebuildFromTokens ? nil : try CheckpointDecoder.readPages(decoded, from: source))
        run(r, upTo: newTokens)
        return Array(r.generated)
    }

    @Test func resumingAfterAnyTokenGivesTheUninterruptedTokens() throws {
        let writer = try Self.state(), reader = try Self.state()
        let whole = try ResumableGeneration(state: writer, sequence: 0, prompt: Self.prompt, sampling: Self.seeded,
                                            maxNewTokens: Self.newTokens)
        Self.run(whole, upTo: Self.newTokens)
        let expected = Array(whole.generated)
        #expect(expected.count == Self.newTokens)
        #expect(Set(expected).count > 5, "seeded sampling, not a constant stream")
        for k in [0, 1, 2, 7, 15, 16, 17, 31, 39] {
            #expect(try Self.resumed(after: k, writer: writer, reader: reader) == expected, "saved after \(k) tokens")
        }
        for k in [3, 20] {
            #expect(try Self.resumed(after: k, writer: writer, reader: reader, rebuildFromTokens: true) == expected,
                    "rebuilt from the tokens of a save after \(k)")
        }
    }

    @Test func greedyResumeMatchesTheGenerator() throws {
        let s = try Self.state()
        let generator = try Generator(state: s, sampling: SamplerConfig())
        let plain = try generator.generate(prompt: Self.prompt, maxNewTokens: Self.newTokens).tokens
        let reader = try Self.state()
        #expect(try Self.resumed(after: 9, writer: s, reader: reader, sampling: SamplerConfig()) == plain)
    }

    /// One checkpoint's bytes and what reading them needs.
    static func sample(_ s: InferenceState, tokens k: Int = 20) throws -> [UInt8] {
        let g = try ResumableGeneration(state: s, sequence: 1, prompt: prompt, sampling: seeded, maxNewTokens: newTokens)
        run(g, upTo: k)
        let c = g.checkpoint(sessionKey: "s-1", saveCounter: 3, savedAt: 99, priority: 2)
        let (head, pages) = try g.encode(c, identity: identity(s))
        return head + pages
    }

    static func accept(_ bytes: [UInt8], _ s: InferenceState) throws(CoreError) {
        let source = ByteArrayCheckpointSource(bytes)
        let d = try CheckpointDecoder.decode(source, expecting: identity(s))
        try CheckpointDecoder.restorePages(d, from: source, into: s.kvPool, sequence: 0, now: 0)
        s.kvPool.releaseSequence(0)
    }

    static func checkpointError(_ body: () throws(CoreError) -> Void) -> CheckpointError? {
        do throws(CoreError) { try body(); return nil } catch {
            if case .checkpoint(let e) = error { return e }
            Issue.record("not a checkpoint error: \(error.message)")
            return nil
        }
    }

    @Test func everyFlippedByteIsDetected() throws {
        let s = try Self.state()
        let good = try Self.sample(s)
        try Self.accept(good, s)
        // Every byte of the small sections; a stride through the pages (same CRC path).
        var positions = Array(0..<min(good.count, 2048))
        positions += stride(from: 2048, to: good.count, by: 61)
        for i in positions {
            var bad = good
            bad[i] ^= UInt8(truncatingIfNeeded: 1 << (i % 8))
            #expect(Self.checkpointError { () throws(CoreError) in try Self.accept(bad, s) } != nil, "flip at byte \(i) accepted")
        }
    }

    @Test func everyTruncationAndExtensionIsDetected() throws {
        let s = try Self.state()
        let good = try Self.sample(s, tokens: 3)
        for n in stride(from: 0, to: good.count, by: 7) {
            #expect(Self.checkpointError { () throws(CoreError) in try Self.accept(Array(good[0..<n]), s) } != nil, "cut at \(n)")
        }
        #expect(Self.checkpointError { () throws(CoreError) in try Self.accept(good + [0], s) } == .trailingBytes(count: 1))
    }

    @Test func wrongVersionModelTokenizerOrKVTypeIsRefused() throws {
        let s = try Self.state()
        let good = try Self.sample(s, tokens: 2)
        // Version 2 with a valid header CRC: refused for its version, not as damage.
        var v2 = good
        v2[8] = 2
        let crc = CRC32C.checksum(Array(v2[0..<16]))
        for i in 0..<4 { v2[16 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        #expect(Self.checkpointError { () throws(CoreError) in try Self.accept(v2, s) }
                == .unsupportedVersion(found: 2, supported: CheckpointFormat.version))

        let other = try Self.state("models/qwen2-f32.gguf")
        guard case .mismatch(let what, _, _) = Self.checkpointError({ () throws(CoreError) in
            _ = try CheckpointDecoder.decode(ByteArrayCheckpointSource(good), expecting: Self.identity(other))
        }) else { Issue.record("another model's checkpoint accepted"); return }
        #expect(what == "model")

        var otherTokenizer = Self.identity(s)
        otherTokenizer.tokenizerHash ^= 1
        #expect(Self.checkpointError { () throws(CoreError) in
            _ = try CheckpointDecoder.decode(ByteArrayCheckpointSource(good), expecting: otherTokenizer)
        }?.kind == "mismatch")

        let f16 = try Self.state(kvType: .f16)
        #expect(Self.checkpointError { () throws(CoreError) in
            _ = try CheckpointDecoder.decode(ByteArrayCheckpointSource(good), expecting: Self.identity(f16))
        }?.kind == "mismatch")
    }

    @Test func int8StorageIsSmallerAndWithinHalfAScale() throws {
        let s = try Self.state()
        let g = try ResumableGeneration(state: s, sequence: 1, prompt: Self.prompt, sampling: Self.seeded, maxNewTokens: 8)
        Self.run(g, upTo: 8)
        let native = g.checkpoint(sessionKey: "n", saveCounter: 1, savedAt: 0, priority: 0)
        var int8 = native
        int8.kvStorage = .int8
        let (h8, p8) = try g.encode(int8, identity: Self.identity(s))
        let (_, pn) = try g.encode(native, identity: Self.identity(s))
        #expect(p8.count * 3 < pn.count, "INT8 pages are about 4× smaller than f32")
        let source = ByteArrayCheckpointSource(h8 + p8)
        let d = try CheckpointDecoder.decode(source, expecting: Self.identity(s))
        try CheckpointDecoder.restorePages(d, from: source, into: s.kvPool, sequence: 0, now: 0)
        let layout = s.kvPool.layout
        let a = s.kvPool.page(s.kvPool.pageTable(1)[0]).assumingMemoryBound(to: Float.self)
        let b = s.kvPool.page(s.kvPool.pageTable(0)[0]).assumingMemoryBound(to: Float.self)
        var differs = false
        for row in 0..<(layout.layerCount * 2 * KVPageLayout.tokensPerPage) {
            for head in 0..<layout.kvHeadCount {
                let first = row * layout.kvDim + head * layout.headDim
                var absMax: Float = 0
                for i in 0..<layout.headDim { absMax = max(absMax, abs(a[first + i])) }
                for i in 0..<layout.headDim {
                    let e = abs(a[first + i] - b[first + i])
                    #expect(e <= absMax / 254 * 1.0001 + 1e-30)
                    if e != 0 { differs = true }
                }
            }
        }
        #expect(differs, "INT8 storage is lossy; the test must see it")
    }
}
