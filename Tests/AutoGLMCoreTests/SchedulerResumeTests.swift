import Testing
@testable import AutoGLMCore

/// A scheduler request checkpointed mid-generation and continued from the checkpoint in
/// another scheduler (another process, after a crash): seeded sampling must give exactly
/// the uninterrupted tokens, whether the KV comes back through the prefix cache or is
/// computed again.
@Suite struct SchedulerResumeTests {
    static let prompt: [Int32] = (0..<37).map { Int32(($0 * 7 + 3) % 300) }
    static let sampling = SamplerConfig(temperature: 0.9, topK: 40, topP: 0.95, seed: 20261122)
    static let maxNewTokens = 30

    static func uninterrupted() throws -> [Int32] {
        let clock = ManualClock()
        let s = try SchedulerTests.scheduler(try SchedulerTests.state(batch: 2), clock: clock)
        let r = try s.submit(prompt: prompt, options: RequestOptions(maxNewTokens: maxNewTokens, sampling: sampling))
        SchedulerTests.runToEnd(s, clock: clock)
        return Array(r.generated)
    }

    /// Runs `steps` steps, cancels, and checkpoints the request as the daemon does: the
    /// pages are still held (keepsPagesWhenFinished) until released after the copy.
    static func interrupted(after steps: Int) throws -> (DecodedCheckpoint, pages: [UInt8], generated: [Int32], identity: CheckpointIdentity) {
        let clock = ManualClock()
        let s = try SchedulerTests.scheduler(try SchedulerTests.state(batch: 2), clock: clock)
        let r = try s.submit(prompt: prompt, options: RequestOptions(maxNewTokens: maxNewTokens, sampling: sampling,
                                                                    keepsPagesWhenFinished: true))
        for _ in 0..<steps { s.step(); clock.advance(milliseconds: 1) }
        s.cancel(r)
        #expect(r.sequence >= 0, "a finished request keeps its pages until released")
        let c = SessionCheckpoint(sessionKey: "k", saveCounter: 1, savedAt: 0, priority: 1, tokens: Array(r.allTokens),
                                  sampler: r.samplerSnapshot,
                                  generation: GenerationSnapshot(promptCount: r.promptCount, generatedCount: r.generatedCount,
                                                                 maxNewTokens: maxNewTokens, kvPositions: r.kvPositions, finished: false))
        let pages = try CheckpointEncoder.capturePages(pool: s.pool, sequence: r.sequence, positions: r.kvPositions, storage: .native)
        s.releaseFinished(r)
        #expect(s.pool.referencedPageCount == 0)
        let identity = CheckpointIdentity(pool: s.pool, tokenizerHash: 1, backend: .emulation, vocabularySize: s.state.config.vocabularySize)
        let decoded = try CheckpointDecoder.decode(ByteArrayCheckpointSource(CheckpointEncoder.encodeHead(c, identity: identity, pages: pages) + pages),
                                                   expecting: identity)
        return (decoded, pages, Array(r.generated), identity)
    }

    // 2 steps: still prefilling the 37-token prompt (16 per step), nothing generated yet.
    @Test(arguments: [2, 5, 11])
    func resumedRequestGivesTheUninterruptedTokens(steps: Int) throws {
        let expected = try Self.uninterrupted()
        let (d, pages, before, _) = try Self.interrupted(after: steps)
        #expect(before == Array(expected.prefix(before.count)))
        #expect(before.count == max(0, steps - 2) && before.count < expected.count)

        for importsPages in [true, false] {
            let clock = ManualClock()
            let s = try SchedulerTests.scheduler(try SchedulerTests.state(batch: 2), clock: clock)
            var imported = 0
            if importsPages {
                imported = try CheckpointDecoder.importIntoPrefixCache(d, pages: pages, pool: s.pool, priorityClass: 1, now: 0)
                #expect(imported == d.checkpoint.generation.kvPositions / 16 * 16)
            }
            let r = try s.submit(resuming: d.checkpoint, priority: .interactive)
            #expect(Array(r.generated) == before, "the saved tokens come first")
            SchedulerTests.runToEnd(s, clock: clock)
            #expect(Array(r.generated) == expected, "steps \(steps), pages imported: \(importsPages)")
            #expect(r.reusedPrefixTokens == imported)
        }
    }

    @Test func aFinishedCheckpointCannotBeResumed() throws {
        let (d, _, _, _) = try Self.interrupted(after: 3)
        var c = d.checkpoint
        c.generation.maxNewTokens = c.generation.generatedCount
        let s = try SchedulerTests.scheduler(try SchedulerTests.state(batch: 1), clock: ManualClock())
        #expect(throws: CoreError.self) { try s.submit(resuming: c, priority: .interactive) }
    }
}
