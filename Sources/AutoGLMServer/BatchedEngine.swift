import AutoGLM
import CAutoGLMSys
import Foundation
import Logging
import Synchronization

/// The serving engine: Core's Scheduler (continuous batching, chunked prefill, priority
/// classes with preemption, deadlines, prefix reuse over the paged KV pool) driven by one
/// dedicated thread. Jobs arrive from any thread through an inbox; the thread admits
/// them, runs scheduler steps while there is work, and streams each request's new
/// tokens back. A session's next turn is submitted as its whole history plus the new
/// prompt: the history's KV pages come back from the prefix cache instead of being
/// computed again (all but the last, partly filled page).
///
/// Session requests are checkpointed (docs/checkpoints.md) at admission, every N
/// generated tokens, at turn end, and when interrupted (cancelled, drained, failed): the
/// scheduler keeps a finished request's pages until its last checkpoint copied them.
public final class BatchedEngine: CompletionEngine, @unchecked Sendable {
    // Touched only on the engine thread.
    private let scheduler: Scheduler
    private let tokenizer: Tokenizer
    private var active: [Tracked] = []
    private var lastPreemptions = 0
    /// Tokens whose cached pages each session slot has pinned (see `pinSession`).
    private var pinnedBySlot: [Int: [Int32]] = [:]
    /// Sessions may pin at most this share of the pool, so pinned histories can never
    /// starve new requests of pages.
    static let maxPinnedPoolFraction = 0.5

    private let metrics: ServerMetrics
    private let watchdog: WatchdogPinger?
    private let logger: Logger
    private struct Inbox {
        var jobs: [GenerationJob] = []
        var outstanding = 0   // submitted and not finished
        var accepting = true
        var stopping = false
        var cancelAllWith: APIError?
        var releasedSlots: [Int] = []
    }
    private let inbox = Mutex(Inbox())
    private let wakeUp = NSCondition()
    private let capacity: Int

    /// One request on its way through the scheduler, with its streaming state.
    private final class Tracked {
        let job: GenerationJob
        let request: ServingRequest
        var emitted = 0
        var started = false
        var lastTokenTime: UInt64 = 0
        var detokenizer: StreamingDetokenizer
        var stops: StopStringMatcher
        /// Generated count at the last checkpoint.
        var checkpointedAt = -1
        init(job: GenerationJob, request: ServingRequest, tokenizer: Tokenizer) {
            self.job = job
            self.request = request
            detokenizer = StreamingDetokenizer(tokenizer: tokenizer, atSequenceStart: false)
            stops = StopStringMatcher(stops: job.stopStrings)
        }
    }

    public init(state: InferenceState, tokenizer: Tokenizer, queueCapacity: Int, metrics: ServerMetrics,
                watchdog: WatchdogPinger?, logger: Logger = Logger(label: "autoglm.engine")) throws(CoreError) {
        let limits = state.limits
        var endTokens: [Int32] = []
        for id in 0..<Int32(tokenizer.vocabularySize) where tokenizer.isEndOfGeneration(id) { endTokens.append(id) }
        let config = SchedulerConfig(maxRunning: limits.maxBatch, stepTokenBudget: state.plan.rows,
                                     prefillChunk: limits.prefillChunk, maxRequests: queueCapacity + limits.maxBatch,
                                     endOfGenerationTokens: endTokens)
        scheduler = try Scheduler(state: state, config: config, clock: MonotonicClock())
        self.tokenizer = tokenizer
        self.metrics = metrics
        self.watchdog = watchdog
        self.logger = logger
        capacity = queueCapacity + limits.maxBatch
        // The thread keeps the engine alive: it lives as long as the process, and a daemon
        // that fails after building it (socket in use) must not have it read freed memory.
        let thread = Thread { self.runLoop() }
        thread.name = "autoglm-engine"
        thread.start()
        recordGauges()
    }

    public func submit(_ job: GenerationJob) throws(APIError) {
        let error: APIError? = inbox.withLock { box in
            guard box.accepting else { return .unavailable("the daemon is draining; not taking new requests", code: "draining") }
            guard box.outstanding < capacity else {
                return .overCapacity("the engine holds \(capacity) requests; retry later", code: "queue_full")
            }
            box.outstanding += 1
            box.jobs.append(job)
            return nil
        }
        if let error { throw error }
        signal()
    }

    /// The scheduler samples inside its step and keeps no log-probabilities.
    public var supportsLogprobs: Bool { false }

    public var load: EngineLoad {
        inbox.withLock { EngineLoad(queued: $0.jobs.count, running: $0.outstanding - $0.jobs.count) }
    }

    /// The session's pinned pages become evictable again (on the engine thread, which
    /// owns the pool).
    public func releaseSlot(_ slot: Int) {
        inbox.withLock { $0.releasedSlots.append(slot) }
        signal()
    }

    public func stopAccepting() { inbox.withLock { $0.accepting = false } }

    public func cancelAll(with error: APIError) {
        inbox.withLock { $0.cancelAllWith = error }
        signal()
    }

    public func shutdown() {
        inbox.withLock { $0.stopping = true }
        signal()
    }

    private func signal() {
        wakeUp.lock(); wakeUp.signal(); wakeUp.unlock()
    }

    // MARK: engine thread

    private func runLoop() {
        while true {
            watchdog?.pingIfDue()
            let (newJobs, cancelAll, stopping, released) = inbox.withLock { box in
                defer { box.jobs.removeAll(); box.cancelAllWith = nil; box.releasedSlots.removeAll() }
                return (box.jobs, box.cancelAllWith, box.stopping, box.releasedSlots)
            }
            for slot in released { unpinSession(slot) }
            if !released.isEmpty { recordGauges() }
            for job in newJobs { admit(job) }
            if let error = cancelAll {
                for t in active { scheduler.cancel(t.request); end(t, failure: error) }
                active.removeAll()
            }
            for t in active where t.job.cancellation.isCancelled {
                scheduler.cancel(t.request)
                end(t, failure: SingleSequenceEngine.cancelled)
            }
            active.removeAll { $0.request.isFinished && $0.emitted < 0 }
            if active.isEmpty {
                if stopping { return }
                wakeUp.lock()
                _ = wakeUp.wait(until: Date(timeIntervalSinceNow: SingleSequenceEngine.idleWaitSeconds))
                wakeUp.unlock()
                continue
            }
            scheduler.step()
            metrics.batchSize.record(scheduler.runningCount)
            for t in active { deliver(t) }
            active.removeAll { $0.emitted < 0 }
            recordGauges()
        }
    }

    private func admit(_ job: GenerationJob) {
        let priority = Self.priorityClass(job.priority)
        let checkpointed = job.checkpointing != nil
        if let cp = job.checkpointing {
            cp.writer.setInUse(cp.key, true)  // the disk budget evicts sessions that are not running
            if let pages = cp.pages { importPages(pages.checkpoint, pages.bytes, priority: priority) }
        }
        let request: ServingRequest
        do throws(CoreError) {
            if let resume = job.resume {
                request = try scheduler.submit(resuming: resume.checkpoint, priority: priority, deadline: job.deadlineNanoseconds ?? 0,
                                               keepsPagesWhenFinished: checkpointed)
            } else {
                let options = RequestOptions(priority: priority, maxNewTokens: job.maxNewTokens, deadline: job.deadlineNanoseconds ?? 0,
                                             sampling: job.sampling, keepsPagesWhenFinished: checkpointed)
                request = try scheduler.submit(prompt: job.cachedTokens + job.promptTokens, options: options)
            }
        } catch {
            if let cp = job.checkpointing { cp.writer.setInUse(cp.key, false) }
            finishOutstanding()
            job.onEvent(.failed(.invalidRequest(error.message)))
            return
        }
        let t = Tracked(job: job, request: request, tokenizer: tokenizer)
        if let resume = job.resume {
            // The client has the tokens up to lastReceivedIndex: stream from the next one,
            // with the detokenizer where it stood after them.
            t.emitted = max(0, resume.lastReceivedIndex + 1)
            for token in request.generated.prefix(t.emitted) where tokenizer.tokenType(token) != .control {
                _ = t.detokenizer.push(token)
            }
            t.checkpointedAt = request.generatedCount
        } else if checkpointed && !request.isFinished {
            checkpoint(t, turnEnded: false)  // on disk before its first token: a crash in prefill resumes too
        }
        if request.isFinished {
            deliver(t)  // deadline unmeetable: refused at admission
            return
        }
        active.append(t)
    }

    /// A recovered session's pages, read from disk on its first use, go into the prefix
    /// cache, where this request's admission finds them. Failing that (no free sequence),
    /// the positions are computed again — slower, same numbers.
    private func importPages(_ d: DecodedCheckpoint, _ bytes: [UInt8], priority: RequestPriority) {
        do throws(CoreError) {
            let cached = try CheckpointDecoder.importIntoPrefixCache(d, pages: bytes, pool: scheduler.pool, priorityClass: priority.rawValue,
                                                                     now: scheduler.clock.nanoseconds())
            logger.debug("checkpoint pages imported", metadata: ["key": "\(d.checkpoint.sessionKey)", "positions": "\(cached)"])
        } catch {
            logger.warning("checkpoint \(d.checkpoint.sessionKey): pages not imported (\(error.message)); computing them again")
        }
    }

    /// Copies the request's state and pages into a checkpoint (the write happens on the
    /// writer's thread) and tells the session store. `turnEnded` false: the request was
    /// interrupted or is still running, and can be resumed from here.
    private func checkpoint(_ t: Tracked, turnEnded: Bool) {
        guard let cp = t.job.checkpointing else { return }
        let r = t.request
        let positions = r.sequence >= 0 ? r.kvPositions : 0
        var saved: SessionCheckpoint?
        do throws(CoreError) {
            try cp.writer.capture(sessionKey: cp.key, pool: scheduler.pool, sequence: r.sequence) { counter, savedAt in
                let c = SessionCheckpoint(
                    sessionKey: cp.key, saveCounter: counter, savedAt: savedAt, priority: r.priority.rawValue, tokens: Array(r.allTokens),
                    sampler: r.samplerSnapshot,
                    generation: GenerationSnapshot(promptCount: r.promptCount, generatedCount: r.generatedCount,
                                                   maxNewTokens: r.options.maxNewTokens, kvPositions: positions, finished: turnEnded),
                    kvStorage: cp.writer.policy.kvStorage)
                saved = c
                return c
            }
        } catch {
            logger.warning("checkpoint \(cp.key) not captured: \(error.message)")
        }
        t.checkpointedAt = r.generatedCount
        if let saved { cp.note(ResumePoint(checkpoint: saved, onDisk: nil)) }
        if r.isFinished { cp.writer.setInUse(cp.key, false) }
    }

    /// Every N generated tokens of a running request.
    private func checkpointIfDue(_ t: Tracked) {
        guard let cp = t.job.checkpointing else { return }
        let generated = t.request.generatedCount
        if cp.writer.isDue(generatedCount: generated) && generated != t.checkpointedAt { checkpoint(t, turnEnded: false) }
    }

    /// API priorities: negative = background, 0 = interactive, positive = critical.
    static func priorityClass(_ priority: Int) -> RequestPriority {
        priority < 0 ? .background : priority == 0 ? .interactive : .critical
    }

    /// Streams the tokens `t` got since the last step, and its end if it finished.
    private func deliver(_ t: Tracked) {
        let r = t.request
        let generated = r.generated
        while t.emitted >= 0 && t.emitted < generated.count {
            let token = generated[t.emitted]
            t.emitted += 1
            if !t.started { start(t) }
            let now = aglm_monotonic_ns()
            if t.emitted == 1 {
                metrics.timeToFirstToken.recordNanoseconds(Int64(now - min(t.job.enqueuedNanoseconds, now)))
            } else {
                metrics.interTokenLatency.recordNanoseconds(Int64(now - min(t.lastTokenTime, now)))
            }
            t.lastTokenTime = now
            if tokenizer.isEndOfGeneration(token) { break }  // ends the turn; not text
            metrics.generatedTokens.increment()
            let piece = tokenizer.tokenType(token) == .control ? "" : t.detokenizer.push(token)
            let shown = t.stops.push(piece)
            t.job.onEvent(.token(GeneratedToken(id: token, text: shown, tokenText: String(decoding: tokenizer.tokenBytes(token), as: UTF8.self),
                                                logprob: nil)))
            if t.stops.stopped {
                scheduler.cancel(r)
                finish(t, reason: "stop")
                return
            }
        }
        guard t.emitted >= 0 else { return }
        guard r.isFinished else {
            checkpointIfDue(t)
            return
        }
        switch r.finishReason ?? .length {
        case .length, .contextFull: finish(t, reason: "length")
        case .endOfGeneration, .stopped: finish(t, reason: "stop")
        case .deadlineExceeded: end(t, failure: .deadlineExceeded("the deadline passed after \(r.generatedCount) generated tokens"))
        case .deadlineUnmeetable:
            end(t, failure: .unavailable("deadline cannot be met with the work ahead", code: "deadline_unmeetable"))
        case .cancelled: end(t, failure: SingleSequenceEngine.cancelled)
        case .kvPoolExhausted: end(t, failure: .unavailable("the KV cache cannot hold this request", code: "kv_pool_exhausted"))
        }
    }

    private func start(_ t: Tracked) {
        t.started = true
        // A resumed request may reuse cached pages past its prompt (its saved generated tokens).
        let cached = min(t.request.reusedPrefixTokens, t.request.promptCount)
        let promptCount = t.request.promptCount
        t.job.onEvent(.started(promptTokens: promptCount - cached, cachedTokens: cached))
        metrics.prefixTokens(cached: cached, prefilled: promptCount - cached)
    }

    private func finish(_ t: Tracked, reason: String) {
        let r = t.request
        // Saved before the client hears of the end: a resume right after finds the turn ended.
        checkpoint(t, turnEnded: true)
        scheduler.releaseFinished(r)
        if !t.started { start(t) }
        let tail = t.stops.push(t.detokenizer.flush()) + t.stops.flush()
        if !tail.isEmpty { t.job.onEvent(.token(GeneratedToken(id: -1, text: tail, tokenText: "", logprob: nil))) }
        var tokens = t.job.cachedTokens + t.job.promptTokens
        var completion = 0
        for token in r.generated where !tokenizer.isEndOfGeneration(token) {
            tokens.append(token)
            completion += 1
        }
        if t.job.slot > 0 {
            pinSession(t.job.slot, tokens: tokens)
            recordGauges()  // before the client hears of the end, so /metrics then shows the pins
        }
        let cached = min(r.reusedPrefixTokens, r.promptCount)
        t.job.onEvent(.finished(GenerationSummary(finishReason: reason, promptTokens: r.promptCount - cached,
                                                  cachedTokens: cached, completionTokens: completion, tokensInCache: tokens)))
        t.emitted = -1
        finishOutstanding()
    }

    private func end(_ t: Tracked, failure: APIError) {
        guard t.emitted >= 0 else { return }
        // Interrupted: the checkpoint keeps what it generated, to be resumed.
        checkpoint(t, turnEnded: false)
        scheduler.releaseFinished(t.request)
        t.emitted = -1
        t.job.onEvent(.failed(failure))
        finishOutstanding()
    }

    /// A session's history stays in the prefix cache between its turns: the pages of
    /// `tokens` (the history after this turn) are pinned in place of the previous turn's,
    /// unless that would put more than `maxPinnedPoolFraction` of the pool under pins —
    /// then the history is left to the eviction policy like any cached prefix.
    private func pinSession(_ slot: Int, tokens: [Int32]) {
        unpinSession(slot)
        let pool = scheduler.pool
        let limit = Int(Double(pool.pageCount) * Self.maxPinnedPoolFraction)
        guard pool.pinnedPageCount + tokens.count / KVPagePool.tokensPerPage <= limit else { return }
        tokens.withUnsafeBufferPointer { _ = pool.pin($0) }
        pinnedBySlot[slot] = tokens
    }

    private func unpinSession(_ slot: Int) {
        guard let tokens = pinnedBySlot.removeValue(forKey: slot) else { return }
        tokens.withUnsafeBufferPointer { scheduler.pool.unpin($0) }
    }

    private func finishOutstanding() {
        inbox.withLock { $0.outstanding -= 1 }
    }

    private func recordGauges() {
        let pool = scheduler.pool
        metrics.kvPages(used: pool.referencedPageCount, free: pool.obtainablePageCount, pinned: pool.pinnedPageCount)
        metrics.queueDepth.record(inbox.withLock { $0.jobs.count } + scheduler.activeCount - scheduler.runningCount)
        if scheduler.preemptions > lastPreemptions {
            metrics.preemptions.increment(by: scheduler.preemptions - lastPreemptions)
            lastPreemptions = scheduler.preemptions
        }
    }
}
