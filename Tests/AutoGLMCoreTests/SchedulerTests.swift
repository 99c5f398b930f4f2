import Testing
@testable import AutoGLMCore

/// The serving scheduler on the tiny Llama fixture, with a hand-driven clock so every
/// decision (admission, preemption, eviction, deadlines) is deterministic. Expected
/// tokens come from running each prompt alone through the plain single-sequence path.
@Suite struct SchedulerTests {
    static let file = "llama-q8_0"
    static let prompts: [[Int32]] = [
        (0..<37).map { Int32(($0 * 7 + 3) % 300) },
        [5, 9, 13],
        (0..<20).map { Int32(($0 * 11 + 4) % 250) },
        [42, 7, 7, 19, 88, 3, 1, 250, 31],
    ]

    static func state(batch: Int, chunk: Int = 16, sequences: Int = 0, pages: Int = 0, threads: Int = 1) throws -> InferenceState {
        let model = try Model(path: Fixtures.path("models/\(file).gguf"))
        return try InferenceState(model: model, limits: RuntimeLimits(maxContext: 128, maxBatch: batch, prefillChunk: chunk,
                                                                        threads: threads, maxSequences: sequences, kvPages: pages),
                                  backend: .emulation)
    }

    static func scheduler(_ state: InferenceState, clock: ManualClock, running: Int? = nil) throws -> Scheduler {
        let n = running ?? state.limits.maxBatch
        let s = try Scheduler(state: state, config: SchedulerConfig(maxRunning: n, stepTokenBudget: state.plan.rows,
                                                                     prefillChunk: state.limits.prefillChunk),
                              clock: clock)
        s.measuresCosts = false
        return s
    }

    static func alone(_ prompt: [Int32], _ steps: Int) throws -> [Int32] {
        GreedyRun(state: try state(batch: 1, chunk: 64), prompt: prompt, steps: steps).tokens
    }

    static func runToEnd(_ s: Scheduler, clock: ManualClock, maxSteps: Int = 500) {
        var n = 0
        while s.activeCount > 0 && n < maxSteps {
            s.step()
            clock.advance(milliseconds: 1)
            n += 1
        }
    }

    @Test func mixedBatchEqualsEachPromptAlone() throws {
        let clock = ManualClock()
        let s = try Self.scheduler(try Self.state(batch: 4, threads: 2), clock: clock)
        let requests = try Self.prompts.map { try s.submit(prompt: $0, options: RequestOptions(maxNewTokens: 8)) }
        Self.runToEnd(s, clock: clock)
        for (i, r) in requests.enumerated() {
            #expect(r.finishReason == .length)
            #expect(Array(r.generated) == (try Self.alone(Self.prompts[i], 8)), "prompt \(i)")
        }
        #expect(s.pool.referencedPageCount == 0, "finished requests hold no pages")
    }

    @Test func criticalPreemptsBackgroundThatResumesUnchanged() throws {
        let clock = ManualClock()
        let s = try Self.scheduler(try Self.state(batch: 2, sequences: 4), clock: clock)
        let a = try s.submit(prompt: Self.prompts[0], options: RequestOptions(priority: .background, maxNewTokens: 12))
        let b = try s.submit(prompt: Self.prompts[2], options: RequestOptions(priority: .background, maxNewTokens: 12))
        for _ in 0..<6 { s.step(); clock.advance(milliseconds: 1) }
        #expect(a.phase == .running && b.phase == .running)
        let c = try s.submit(prompt: Self.prompts[1], options: RequestOptions(priority: .critical, maxNewTokens: 3))
        let aTokens = a.generatedCount
        #expect(s.step() == Self.prompts[1].count, "the critical prompt ran alone")
        #expect(c.phase == .running && c.generatedCount == 1, "critical got its first token in the next step")
        #expect(a.generatedCount == aTokens)
        // The later background request made room and kept its pages.
        #expect(b.phase == .paused && b.slot >= 0)
        #expect(a.phase == .running)
        #expect(s.preemptions == 1)
        Self.runToEnd(s, clock: clock)
        #expect(Array(a.generated) == (try Self.alone(Self.prompts[0], 12)))
        #expect(Array(b.generated) == (try Self.alone(Self.prompts[2], 12)))
        #expect(Array(c.generated) == (try Self.alone(Self.prompts[1], 3)))
    }

    @Test func pagesRunOutSoTheLowerRequestIsEvictedAndRecomputed() throws {
        let clock = ManualClock()
        // 5 pages of 16 positions: the 37-token prompt + 20 new needs 4, the other 2–3.
        let state = try Self.state(batch: 2, pages: 5)
        let s = try Self.scheduler(state, clock: clock)
        let low = try s.submit(prompt: Self.prompts[2], options: RequestOptions(priority: .background, maxNewTokens: 20))
        let high = try s.submit(prompt: Self.prompts[0], options: RequestOptions(priority: .interactive, maxNewTokens: 20))
        var sawEviction = false
        while s.activeCount > 0 {
            s.step()
            clock.advance(milliseconds: 1)
            #expect(state.kvPool.referencedPageCount <= 5)
            if low.phase == .waiting && low.preemptions > 0 { sawEviction = true }
        }
        #expect(sawEviction)
        #expect(high.finishReason == .length && low.finishReason == .length)
        #expect(Array(high.generated) == (try Self.alone(Self.prompts[0], 20)))
        #expect(Array(low.generated) == (try Self.alone(Self.prompts[2], 20)))
    }

    @Test func aRequestLargerThanThePoolEndsWithAClearReason() throws {
        let clock = ManualClock()
        let s = try Self.scheduler(try Self.state(batch: 1, pages: 2), clock: clock)
        let r = try s.submit(prompt: Self.prompts[0], options: RequestOptions(maxNewTokens: 4))
        Self.runToEnd(s, clock: clock)
        #expect(r.finishReason == .kvPoolExhausted)
        #expect(s.pool.referencedPageCount == 0)
    }

    @Test func deadlinesAreRefusedByEstimateAndStoppedWhenExceeded() throws {
        let clock = ManualClock(now: 1_000_000_000)
        let s = try Self.scheduler(try Self.state(batch: 2, chunk: 32), clock: clock)
        s.costModel = StepCostModel(decodeStepNanoseconds: 10_000_000, prefillTokenNanoseconds: 1_000_000)
        // 20 prompt tokens (20 ms) + 9 more decode steps (90 ms) = 110 ms.
        let tight = try s.submit(prompt: Self.prompts[2], options: RequestOptions(maxNewTokens: 10, deadline: clock.now + 100_000_000))
        #expect(tight.finishReason == .deadlineUnmeetable)
        let ok = try s.submit(prompt: Self.prompts[2], options: RequestOptions(maxNewTokens: 10, deadline: clock.now + 120_000_000))
        #expect(ok.finishReason == nil)
        // A second one of the same class queues behind the first's prompt: 130 ms.
        let queued = try s.submit(prompt: Self.prompts[2], options: RequestOptions(maxNewTokens: 10, deadline: clock.now + 120_000_000))
        #expect(queued.finishReason == .deadlineUnmeetable)
        s.step()
        #expect(ok.generatedCount == 1 && s.pool.referencedPageCount > 0)
        clock.advance(milliseconds: 121)
        s.step()
        #expect(ok.finishReason == .deadlineExceeded)
        #expect(s.pool.referencedPageCount == 0)
    }

    /// Admission judges a request at the batch size it will decode in: a deadline that a
    /// lone request meets is refused when another request will share its steps.
    @Test func deadlineEstimateCountsTheBatchItWillDecodeIn() throws {
        let clock = ManualClock(now: 1_000_000_000)
        let s = try Self.scheduler(try Self.state(batch: 2, chunk: 32), clock: clock)
        s.costModel = StepCostModel(decodeStepNanoseconds: 10_000_000, prefillTokenNanoseconds: 1_000_000,
                                    decodeRowNanoseconds: 5_000_000)
        // Alone: 20 prompt tokens (20 ms) + 9 steps of 1 row (15 ms each) = 155 ms.
        let first = try s.submit(prompt: Self.prompts[2], options: RequestOptions(maxNewTokens: 10, deadline: clock.now + 160_000_000))
        #expect(first.finishReason == nil)
        // Second: both prompts (40 ms) + 9 steps of 2 rows (20 ms each) = 220 ms. A flat
        // one-row estimate (175 ms) would have admitted it against 200 ms.
        let second = try s.submit(prompt: Self.prompts[2], options: RequestOptions(maxNewTokens: 10, deadline: clock.now + 200_000_000))
        #expect(second.finishReason == .deadlineUnmeetable)
        let third = try s.submit(prompt: Self.prompts[2], options: RequestOptions(maxNewTokens: 10, deadline: clock.now + 225_000_000))
        #expect(third.finishReason == nil)
    }

    /// The fitted step cost: steps of 1 and 8 rows at 40 and 75 ms give back those costs
    /// (a line through both), and steps of one size only leave the per-row cost at 0.
    @Test func stepCostModelFitsTheCostPerRow() {
        var model = StepCostModel()
        for i in 0..<30 {
            let eight = i % 2 == 1
            model.record(stepNanoseconds: eight ? 75_000_000 : 40_000_000, rows: eight ? 8 : 1, promptRows: 0)
        }
        #expect(abs(model.decodeStep(rows: 1) - 40_000_000) < 1)
        #expect(abs(model.decodeStep(rows: 8) - 75_000_000) < 1)
        #expect(abs(model.decodeRowNanoseconds - 5_000_000) < 1)
        var flat = StepCostModel()
        for _ in 0..<10 { flat.record(stepNanoseconds: 40_000_000, rows: 3, promptRows: 0) }
        #expect(flat.decodeRowNanoseconds == 0)
        #expect(abs(flat.decodeStep(rows: 8) - 40_000_000) < 1)
        // Prompt steps feed only the prefill cost.
        flat.record(stepNanoseconds: 64_000_000, rows: 16, promptRows: 16)
        #expect(flat.prefillTokenNanoseconds == 4_000_000)
        #expect(abs(flat.decodeStep(rows: 3) - 40_000_000) < 1)
    }

    @Test func cancellationFreesPagesAtOnce() throws {
        let clock = ManualClock()
        let s = try Self.scheduler(try Self.state(batch: 2), clock: clock)
        let r = try s.submit(prompt: Self.prompts[0], options: RequestOptions(maxNewTokens: 50))
        for _ in 0..<4 { s.step() }
        #expect(s.pool.referencedPageCount == 3)  // 38 positions: prompt + first token fed back
        s.cancel(r)
        #expect(r.finishReason == .cancelled)
        #expect(s.pool.referencedPageCount == 0)
        #expect(s.pool.freeCount + s.pool.cachedIdlePageCount == s.pool.pageCount)
        #expect(s.step() == 0)
    }

    @Test func secondRequestReusesTheCachedPrefix() throws {
        let clock = ManualClock()
        let s = try Self.scheduler(try Self.state(batch: 2), clock: clock)
        let first = try s.submit(prompt: Self.prompts[0], options: RequestOptions(maxNewTokens: 4))
        Self.runToEnd(s, clock: clock)
        var prompt = Array(Self.prompts[0][0..<34])
        prompt += [77, 78, 79]
        let second = try s.submit(prompt: prompt, options: RequestOptions(maxNewTokens: 6))
        Self.runToEnd(s, clock: clock)
        #expect(first.reusedPrefixTokens == 0)
        #expect(second.reusedPrefixTokens == 32, "two full pages of the shared 34 tokens")
        #expect(Array(second.generated) == (try Self.alone(prompt, 6)), "reused KV gives the same tokens")
        #expect(s.promptTokensReused == 32)
    }

    @Test func newArrivalsWaitForTheBatchingWindowUnderHighLoadButCriticalDoesNot() throws {
        let clock = ManualClock()
        let state = try Self.state(batch: 4, sequences: 6)
        let s = try Scheduler(state: state, config: SchedulerConfig(maxRunning: 4, stepTokenBudget: 16, prefillChunk: 16,
                                                                     maxBatchingWindowNanoseconds: 20_000_000),
                              clock: clock)
        s.measuresCosts = false
        _ = try s.submit(prompt: [1, 2, 3], options: RequestOptions(priority: .background, maxNewTokens: 40))
        clock.advance(milliseconds: 30)
        _ = try s.submit(prompt: [4, 5, 6], options: RequestOptions(priority: .background, maxNewTokens: 40))
        s.step()
        #expect(s.runningCount == 2)
        // Two of four running: high load. Arrivals ~30 ms apart (smoothed) → 20 ms cap.
        #expect(s.batchingWindowNanoseconds == 20_000_000)
        let late = try s.submit(prompt: [7, 8, 9], options: RequestOptions(priority: .interactive, maxNewTokens: 4))
        let urgent = try s.submit(prompt: [9, 8, 7], options: RequestOptions(priority: .critical, maxNewTokens: 4))
        s.step()
        #expect(urgent.generatedCount == 1)
        #expect(late.generatedCount == 0 && late.phase == .waiting)
        clock.advance(milliseconds: 21)
        s.step()
        #expect(late.generatedCount == 1)
    }

    /// docs/ARCHITECTURE.md's static-memory invariant for the engine: after warm-up, a scheduler step
    /// — choosing, reserving pages, the batched pass, sampling, prefix registration —
    /// allocates nothing, counted on every pool thread.
    @Test func stepAllocatesNothingAfterWarmUp() throws {
        let clock = ManualClock()
        let state = try Self.state(batch: 4, threads: 2)
        let s = try Self.scheduler(state, clock: clock)
        for (i, p) in Self.prompts.enumerated() {
            _ = try s.submit(prompt: p, options: RequestOptions(priority: RequestPriority(rawValue: UInt8(i % 3))!, maxNewTokens: 60,
                                                                sampling: SamplerConfig(temperature: 0.8, topK: 20, seed: UInt64(i))))
        }
        for _ in 0..<6 { s.step(); clock.advance(milliseconds: 1) }  // warm-up: prefill done, decoding
        let counter = AllocationCounter()
        state.kernels.pool.run(state.kernels.pool.threadCount, GeneratorTests.AttachWorkers(counter))
        counter.attachCurrentThread()
        for _ in 0..<20 { s.step(); clock.advance(milliseconds: 1) }
        AllocationCounter.detachCurrentThread()
        state.kernels.pool.run(state.kernels.pool.threadCount, GeneratorTests.AttachWorkers(nil))
        #expect(s.runningCount == 4)
        #expect(counter.total == 0, "\(counter.total) allocations over 20 scheduler steps")
    }
}
