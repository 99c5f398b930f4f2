import AutoGLM
import CAutoGLMSys
import Foundation
import Synchronization

/// The engine until Core's batched Scheduler lands: one job at a time on one dedicated
/// thread, over InferenceState's KV slots (slot 0 for requests without a session, one
/// slot per session). Jobs wait in a priority queue; the thread also sends the systemd
/// watchdog ping, so a stuck forward pass stops the pings.
public final class SingleSequenceEngine: CompletionEngine, @unchecked Sendable {
    // Touched only on the engine thread.
    private let state: InferenceState
    private let tokenizer: Tokenizer
    private let logitsCopy: UnsafeMutablePointer<Float>
    private let metrics: ServerMetrics
    private let watchdog: WatchdogPinger?

    private struct Queue {
        var waiting: [GenerationJob] = []
        var running: GenerationJob?
        var accepting = true
        var stopping = false
        /// Moving average of how long a job runs, for deadline admission.
        var averageJobNanoseconds: Double = 0
    }
    private let queue = Mutex(Queue())
    /// Slots of deleted sessions, released by the engine thread (the pool is its alone).
    private let slotsToRelease = Mutex<[Int]>([])
    private let wakeUp = NSCondition()
    private let capacity: Int
    private var thread: Thread?

    /// How long the idle thread sleeps between checks (and watchdog pings).
    static let idleWaitSeconds = 0.25
    /// What a job cancelled by its client or by the end of a drain ends with.
    static let cancelled = APIError.unavailable("the request was cancelled (client gone or daemon stopping)", code: "cancelled")
    /// Weight of the newest job in the moving average of job times.
    static let jobTimeSmoothing = 0.2

    public init(state: InferenceState, tokenizer: Tokenizer, queueCapacity: Int, metrics: ServerMetrics,
                watchdog: WatchdogPinger?) {
        self.state = state
        self.tokenizer = tokenizer
        self.capacity = queueCapacity
        self.metrics = metrics
        self.watchdog = watchdog
        logitsCopy = .allocate(capacity: state.config.vocabularySize)
        // The thread keeps the engine alive: it lives as long as the process, and a daemon
        // that fails after building it (socket in use) must not have it read freed memory.
        let thread = Thread { self.runLoop() }
        thread.name = "autoglm-engine"
        self.thread = thread
        thread.start()
        metrics.kvPages(used: state.kvPool.referencedPageCount, free: state.kvPool.obtainablePageCount)
    }

    deinit { logitsCopy.deallocate() }

    public var slotCount: Int { state.limits.maxBatch }
    public var contextLength: Int { state.limits.maxContext }

    public func submit(_ job: GenerationJob) throws(APIError) {
        let now = aglm_monotonic_ns()
        let result: Result<Int, APIError> = queue.withLock { q in
            guard q.accepting else { return .failure(.unavailable("the daemon is draining; not taking new requests", code: "draining")) }
            guard q.waiting.count < capacity else {
                return .failure(.overCapacity("the queue is full (\(capacity) requests waiting); retry later", code: "queue_full"))
            }
            if let deadline = job.deadlineNanoseconds {
                let ahead = Double(q.waiting.filter { $0.priority >= job.priority }.count + (q.running == nil ? 0 : 1))
                let expected = now + UInt64(ahead * q.averageJobNanoseconds)
                if expected > deadline {
                    return .failure(.unavailable("deadline cannot be met: about \((expected - now) / 1_000_000) ms of work is ahead", code: "deadline_unmeetable"))
                }
            }
            q.waiting.append(job)
            return .success(q.waiting.count)
        }
        switch result {
        case .failure(let error): throw error
        case .success(let depth):
            metrics.queueDepth.record(depth)
            wakeUp.lock(); wakeUp.signal(); wakeUp.unlock()
        }
    }

    public var supportsLogprobs: Bool { true }

    public var load: EngineLoad {
        queue.withLock { EngineLoad(queued: $0.waiting.count, running: $0.running == nil ? 0 : 1) }
    }

    public func releaseSlot(_ slot: Int) {
        slotsToRelease.withLock { $0.append(slot) }
        wakeUp.lock(); wakeUp.signal(); wakeUp.unlock()
    }

    public func stopAccepting() { queue.withLock { $0.accepting = false } }

    public func cancelAll(with error: APIError) {
        let dropped: [GenerationJob] = queue.withLock { q in
            q.running?.cancellation.cancel()
            defer { q.waiting.removeAll() }
            return q.waiting
        }
        for job in dropped { job.onEvent(.failed(error)) }
        metrics.queueDepth.record(0)
    }

    public func shutdown() {
        queue.withLock { $0.stopping = true }
        wakeUp.lock(); wakeUp.signal(); wakeUp.unlock()
    }

    // MARK: engine thread

    private func runLoop() {
        while true {
            watchdog?.pingIfDue()
            releaseEndedSessions()
            let next: GenerationJob?? = queue.withLock { q in
                if q.stopping && q.waiting.isEmpty { return .some(nil) }
                guard let best = q.waiting.indices.max(by: { a, b in
                    // max: highest priority, then earliest arrival.
                    let x = q.waiting[a], y = q.waiting[b]
                    return x.priority != y.priority ? x.priority < y.priority : x.enqueuedNanoseconds > y.enqueuedNanoseconds
                }) else { return nil }
                let job = q.waiting.remove(at: best)
                q.running = job
                return .some(job)
            }
            switch next {
            case .some(.none): return
            case .none:
                wakeUp.lock()
                _ = wakeUp.wait(until: Date(timeIntervalSinceNow: Self.idleWaitSeconds))
                wakeUp.unlock()
            case .some(.some(let job)):
                metrics.queueDepth.record(load.queued)
                metrics.batchSize.record(1)
                let start = aglm_monotonic_ns()
                run(job)
                let took = Double(aglm_monotonic_ns() - start)
                queue.withLock { q in
                    q.running = nil
                    q.averageJobNanoseconds = q.averageJobNanoseconds == 0
                        ? took : q.averageJobNanoseconds * (1 - Self.jobTimeSmoothing) + took * Self.jobTimeSmoothing
                }
                metrics.batchSize.record(0)
                recordKVPages()
            }
        }
    }

    private func releaseEndedSessions() {
        let slots = slotsToRelease.withLock { list in defer { list.removeAll() }; return list }
        guard !slots.isEmpty else { return }
        for slot in slots where state.kvPool.isInUse(slot) { state.kvPool.releaseSequence(slot) }
        recordKVPages()
    }

    private func recordKVPages() {
        metrics.kvPages(used: state.kvPool.referencedPageCount, free: state.kvPool.obtainablePageCount)
    }

    private func isPastDeadline(_ job: GenerationJob) -> Bool {
        job.deadlineNanoseconds.map { aglm_monotonic_ns() > $0 } ?? false
    }

    private func run(_ job: GenerationJob) {
        if job.cancellation.isCancelled { job.onEvent(.failed(Self.cancelled)); return }
        if isPastDeadline(job) {
            job.onEvent(.failed(.deadlineExceeded("the deadline passed while the request waited in the queue")))
            return
        }
        let maxContext = state.limits.maxContext
        var tokens = job.cachedTokens + job.promptTokens
        guard !job.promptTokens.isEmpty, tokens.count < maxContext, job.slot >= 0, job.slot < slotCount else {
            job.onEvent(.failed(.tooLarge("prompt of \(tokens.count) tokens does not fit the context of \(maxContext)", code: "context_length_exceeded")))
            return
        }
        tokens.reserveCapacity(min(maxContext, tokens.count + job.maxNewTokens + 1))
        job.onEvent(.started(promptTokens: job.promptTokens.count, cachedTokens: job.cachedTokens.count))
        metrics.prefixTokens(cached: job.cachedTokens.count, prefilled: job.promptTokens.count)

        let sampler: Sampler
        do { sampler = try Sampler(config: job.sampling, vocabularySize: state.config.vocabularySize) } catch {
            job.onEvent(.failed(.invalidRequest(error.message)))
            return
        }
        job.promptTokens.withUnsafeBufferPointer {
            state.prefill(tokens: $0, startPosition: job.cachedTokens.count, sequence: job.slot)
        }
        let vocab = state.config.vocabularySize
        let logits = state.logits + job.slot * vocab
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, atSequenceStart: false)
        var stops = StopStringMatcher(stops: job.stopStrings)
        var generated = 0
        var finishReason = "length"
        var lastTokenTime = aglm_monotonic_ns()
        var pendingLastToken = false  // sampled but not yet fed back through the model

        while true {
            watchdog?.pingIfDue()
            if job.cancellation.isCancelled { job.onEvent(.failed(Self.cancelled)); return }
            if isPastDeadline(job) {
                job.onEvent(.failed(.deadlineExceeded("the deadline passed after \(generated) generated tokens")))
                return
            }
            let logprob = job.wantsLogprobs ? logSoftmaxSnapshot(logits, count: vocab) : nil
            let token = tokens.withUnsafeBufferPointer { sampler.sample(logits: logits, history: $0) }
            let now = aglm_monotonic_ns()
            if generated == 0 {
                metrics.timeToFirstToken.recordNanoseconds(Int64(now - job.enqueuedNanoseconds))
            } else {
                metrics.interTokenLatency.recordNanoseconds(Int64(now - lastTokenTime))
            }
            lastTokenTime = now
            if tokenizer.isEndOfGeneration(token) { finishReason = "stop"; break }
            generated += 1
            tokens.append(token)
            pendingLastToken = true
            metrics.generatedTokens.increment()
            let piece = tokenizer.tokenType(token) == .control ? "" : detokenizer.push(token)
            let shown = stops.push(piece)
            job.onEvent(.token(GeneratedToken(id: token, text: shown, tokenText: tokenText(token),
                                              logprob: logprob.map { $0(Int(token)) })))
            if stops.stopped { finishReason = "stop"; break }
            if generated >= job.maxNewTokens || tokens.count >= maxContext { break }
            tokens.withUnsafeBufferPointer {
                state.forward(tokens: UnsafeBufferPointer(rebasing: $0[($0.count - 1)...]), startPosition: $0.count - 1,
                              sequence: job.slot)
            }
            pendingLastToken = false
        }
        // A session continues after the last generated token, so its K/V must be cached too.
        if pendingLastToken && job.slot != 0 {
            tokens.withUnsafeBufferPointer {
                state.forward(tokens: UnsafeBufferPointer(rebasing: $0[($0.count - 1)...]), startPosition: $0.count - 1,
                              sequence: job.slot)
            }
        } else if pendingLastToken {
            tokens.removeLast()
        }
        let tail = stops.push(detokenizer.flush()) + stops.flush()
        if !tail.isEmpty { job.onEvent(.token(GeneratedToken(id: -1, text: tail, tokenText: "", logprob: nil))) }
        job.onEvent(.finished(GenerationSummary(finishReason: finishReason, promptTokens: job.promptTokens.count,
                                                cachedTokens: job.cachedTokens.count, completionTokens: generated,
                                                tokensInCache: tokens)))
    }

    /// log softmax of the raw logits, taken before the sampler transforms them in place.
    private func logSoftmaxSnapshot(_ logits: UnsafeMutablePointer<Float>, count: Int) -> (Int) -> Float {
        var maxLogit = -Float.infinity
        for i in 0..<count { logitsCopy[i] = logits[i]; maxLogit = max(maxLogit, logits[i]) }
        var sum: Double = 0
        for i in 0..<count { sum += Double(expf(logitsCopy[i] - maxLogit)) }
        let logSum = maxLogit + Float(log(sum))
        let copy = logitsCopy
        return { copy[$0] - logSum }
    }

    private func tokenText(_ id: Int32) -> String {
        String(decoding: tokenizer.tokenBytes(id), as: UTF8.self)
    }
}
