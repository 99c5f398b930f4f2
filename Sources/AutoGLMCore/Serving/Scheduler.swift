/// Iteration-level continuous batching over one InferenceState.
///
/// Each `step()` re-decides who runs, then runs one forward pass over the rows of every
/// running sequence — a decode row for those generating, a prompt chunk for those
/// prefilling — and samples a token for each sequence whose pending rows are done:
///
///  1. Requests past their deadline finish with `.deadlineExceeded`.
///  2. The running set is the best `maxRunning` requests by (priority class, then
///     arrival). A running request that falls out of it is paused: it keeps its KV
///     pages and resumes where it was. New non-critical arrivals under high load wait
///     for the batching window (below) first.
///  3. Rows are added in priority order, decodes before prefill chunks within a class,
///     until the step's token budget is used; while a critical request prefills, lower
///     classes sit the step out (criticalPrefillIsExclusive). Each row's KV pages are reserved first;
///     when the pool is out, pages are taken from the lowest requests after it in that
///     order — paused ones, then running ones — which are evicted (pages released,
///     recomputed later, often from the prefix cache). A request that alone needs more
///     than the pool ends with `.kvPoolExhausted`.
///  4. One forward pass; sample; register completed pages in the prefix cache; finished
///     requests release their pages at once.
///
/// Batching window: under high load (running ≥ highLoadFraction × maxRunning) a new
/// non-critical request waits up to the window before its first prefill, so arrivals
/// that come close together start their prefill in the same passes instead of each
/// stalling the running decodes once. The window is the smoothed gap between arrivals
/// (how long until the next one is expected), capped at maxBatchingWindow; under low
/// load it is 0. Critical requests never wait.
///
/// Nothing in `step()` allocates: requests and their buffers are allocated at `submit`.
public final class Scheduler {
    public let state: InferenceState
    public let config: SchedulerConfig
    public let clock: any EngineClock
    public var costModel = StepCostModel()
    public var measuresCosts = true

    /// Request table; nil entries are free.
    private var requests: [ServingRequest?]
    private var nextId = 0
    private var arrivals = 0
    private var lastArrival: UInt64 = 0
    /// Smoothed time between arrivals, ns.
    public private(set) var arrivalGapNanoseconds: Double = 0
    /// Scratch for one step: chosen requests, in row order.
    private var chosen: [ServingRequest?]
    private var chosenCount = 0
    private var logitsOwners: [ServingRequest?]
    private var segmentRows: [Int]

    // Statistics.
    public private(set) var steps = 0
    public private(set) var preemptions = 0
    public private(set) var decodeTokens = 0
    public private(set) var promptTokensComputed = 0
    public private(set) var promptTokensReused = 0

    public init(state: InferenceState, config: SchedulerConfig, clock: any EngineClock) throws(CoreError) {
        guard config.maxRunning >= 1, config.maxRunning <= state.limits.maxBatch else {
            throw .invalidArgument(name: "max running", value: "\(config.maxRunning)", reason: "must be in 1...\(state.limits.maxBatch) (the plan's batch)")
        }
        guard config.stepTokenBudget >= config.maxRunning, config.stepTokenBudget <= state.plan.rows else {
            throw .invalidArgument(name: "step token budget", value: "\(config.stepTokenBudget)",
                                   reason: "must be in \(config.maxRunning)...\(state.plan.rows) (the plan's rows)")
        }
        guard config.prefillChunk >= 1 else {
            throw .invalidArgument(name: "prefill chunk", value: "\(config.prefillChunk)", reason: "must be ≥ 1")
        }
        guard config.maxRequests >= 1 else {
            throw .invalidArgument(name: "max requests", value: "\(config.maxRequests)", reason: "must be ≥ 1")
        }
        guard config.maxBatchingWindowNanoseconds <= SchedulerConfig.maxWindowNanoseconds else {
            throw .invalidArgument(name: "batching window", value: "\(config.maxBatchingWindowNanoseconds) ns",
                                   reason: "must be ≤ \(SchedulerConfig.maxWindowNanoseconds) ns")
        }
        self.state = state
        self.config = config
        self.clock = clock
        requests = [ServingRequest?](repeating: nil, count: config.maxRequests)
        chosen = [ServingRequest?](repeating: nil, count: config.maxRunning)
        logitsOwners = [ServingRequest?](repeating: nil, count: config.maxRunning)
        segmentRows = [Int](repeating: 0, count: config.maxRunning)
    }

    public var pool: KVPagePool { state.kvPool }

    /// Requests not finished yet.
    public var activeCount: Int {
        var n = 0
        for i in 0..<requests.count {
            guard let r = requests[i], !r.isFinished else { continue }
            n += 1
        }
        return n
    }

    public var runningCount: Int {
        var n = 0
        for i in 0..<requests.count {
            guard let r = requests[i], r.phase == .running else { continue }
            n += 1
        }
        return n
    }

    // MARK: admission

    /// Admits a request, or returns it already finished with `.deadlineUnmeetable` when
    /// the cost model says its deadline cannot be met. Throws for invalid input or a
    /// full request table.
    public func submit(prompt: [Int32], options: RequestOptions) throws(CoreError) -> ServingRequest {
        let vocab = state.config.vocabularySize
        let maxContext = state.limits.maxContext
        guard !prompt.isEmpty else { throw .invalidArgument(name: "prompt", value: "[]", reason: "needs at least one token") }
        guard options.maxNewTokens >= 1 else {
            throw .invalidArgument(name: "max tokens", value: "\(options.maxNewTokens)", reason: "must be ≥ 1")
        }
        guard prompt.count < maxContext else {
            throw .invalidArgument(name: "prompt", value: "\(prompt.count) tokens", reason: "must be shorter than the context (\(maxContext))")
        }
        for id in prompt where id < 0 || Int(id) >= vocab {
            throw .tokenizer(.tokenOutOfRange(id: Int(id), vocabularySize: vocab))
        }
        guard let index = requests.firstIndex(where: { $0 == nil }) else {
            throw .invalidArgument(name: "requests", value: "\(config.maxRequests + 1)", reason: "at most \(config.maxRequests) at once")
        }
        let now = clock.nanoseconds()
        let request = try prompt.withUnsafeBufferPointer { (p) throws(CoreError) -> ServingRequest in
            try ServingRequest(id: nextId, prompt: p, options: options, vocabularySize: vocab, arrival: now, arrivalOrder: arrivals)
        }
        nextId += 1
        arrivals += 1
        if arrivals > 1 {
            let gap = Double(now - min(lastArrival, now))
            arrivalGapNanoseconds = arrivalGapNanoseconds == 0 ? gap : arrivalGapNanoseconds + 0.2 * (gap - arrivalGapNanoseconds)
        }
        lastArrival = now
        if options.deadline != 0 && now + UInt64(estimatedCompletion(of: request)) > options.deadline {
            finish(request, .deadlineUnmeetable, now: now)
            return request
        }
        requests[index] = request
        request.tableIndex = index
        return request
    }

    /// Time from now until `request` would be done: the prompt rows of every unfinished
    /// request of its class or above (they go first), then its own decode steps, in a
    /// batch as full as the unfinished requests make it (capped at maxRunning).
    public func estimatedCompletion(of request: ServingRequest) -> Double {
        var promptRowsAhead = 0
        var others = 0
        // By index: `for case let r? in` an array of optionals allocates per element at -Onone.
        for i in 0..<requests.count {
            guard let r = requests[i], !r.isFinished && r !== request else { continue }
            others += 1
            guard r.priority.rawValue >= request.priority.rawValue else { continue }
            promptRowsAhead += max(r.promptCount - r.computed, 0)
        }
        return costModel.estimate(promptTokens: promptRowsAhead + request.promptCount, newTokens: request.options.maxNewTokens,
                                  batchRows: min(others + 1, config.maxRunning))
    }

    /// Ends the request now and frees its pages.
    public func cancel(_ request: ServingRequest) {
        guard !request.isFinished else { return }
        finish(request, .cancelled, now: clock.nanoseconds())
    }

    private func finish(_ r: ServingRequest, _ reason: FinishReason, now: UInt64) {
        releasePages(of: r)
        r.phase = .finished
        r.finishReason = reason
        r.finishTime = now
        if r.tableIndex >= 0 {
            requests[r.tableIndex] = nil
            r.tableIndex = -1
        }
    }

    private func releasePages(of r: ServingRequest) {
        if r.slot >= 0 {
            pool.releaseSequence(r.slot)
            r.slot = -1
        }
        r.computed = 0
    }

    // MARK: the step

    /// True when `a` goes before `b`: higher class, then decoding before prefilling, then
    /// earlier arrival.
    private static func precedes(_ a: ServingRequest, _ b: ServingRequest) -> Bool {
        if a.priority != b.priority { return a.priority.rawValue > b.priority.rawValue }
        if a.isDecoding != b.isDecoding { return a.isDecoding }
        return a.arrivalOrder < b.arrivalOrder
    }

    /// The batching window a new non-critical request waits under the current load, ns.
    public var batchingWindowNanoseconds: UInt64 {
        let load = Double(runningCount) / Double(config.maxRunning)
        guard load >= config.highLoadFraction else { return 0 }
        return min(config.maxBatchingWindowNanoseconds, UInt64(arrivalGapNanoseconds))
    }

    private func mayStart(_ r: ServingRequest, now: UInt64, window: UInt64) -> Bool {
        r.started || r.priority == .critical || now - min(r.arrival, now) >= window
    }

    /// Runs one iteration. Returns the number of rows computed (0: nothing to do).
    @discardableResult
    public func step() -> Int {
        let now = clock.nanoseconds()
        // By index: finishing edits the table, and a for-in would iterate (and copy) it.
        for i in requests.indices {
            if let r = requests[i], r.options.deadline != 0, now > r.options.deadline {
                finish(r, .deadlineExceeded, now: now)
            }
        }
        chooseRunningSet(now: now)
        let batch = state.batch
        batch.removeAll()
        var promptRows = 0
        var logitsCount = 0
        var criticalPrefilling = false
        let criticalChunk = config.criticalPrefillChunk == 0 ? config.stepTokenBudget : config.criticalPrefillChunk
        var i = 0
        while i < chosenCount {
            guard let r = chosen[i] else { i += 1; continue }
            let budget = config.stepTokenBudget - batch.rowCount
            // Either stays running and gets rows next step.
            if budget == 0 || (criticalPrefilling && r.priority != .critical) { i += 1; continue }
            let chunk = r.priority == .critical ? criticalChunk : config.prefillChunk
            let rows = reservePages(for: r, maxRows: min(budget, chunk), chosenIndex: i, now: now)
            if rows == 0 { i += 1; continue }
            if r.priority == .critical && !r.isDecoding && config.criticalPrefillIsExclusive { criticalPrefilling = true }
            let completes = r.computed + rows == r.tokenCount
            batch.append(sequence: r.slot, tokens: UnsafeBufferPointer(start: r.tokens + r.computed, count: rows),
                         startPosition: r.computed, wantsLogits: completes)
            segmentRows[i] = rows
            if completes {
                logitsOwners[logitsCount] = r
                logitsCount += 1
            }
            if !r.isDecoding { promptRows += rows }
            r.started = true
            i += 1
        }
        guard batch.rowCount > 0 else { return 0 }

        let start = clock.nanoseconds()
        state.forwardBatch()
        let end = clock.nanoseconds()
        if measuresCosts { costModel.record(stepNanoseconds: end - min(start, end), rows: batch.rowCount, promptRows: promptRows) }
        steps += 1
        let rows = batch.rowCount

        for j in 0..<chosenCount {
            guard let r = chosen[j], r.phase == .running, segmentRows[j] > 0 else { continue }
            let wasPrompt = r.computed < r.promptCount
            r.computed += segmentRows[j]
            if wasPrompt { promptTokensComputed += segmentRows[j] }
            pool.registerFullPages(r.slot, tokens: r.tokens, priorityClass: r.priority.rawValue, now: end)
        }
        let vocab = state.config.vocabularySize
        for k in 0..<logitsCount {
            guard let r = logitsOwners[k] else { continue }
            logitsOwners[k] = nil
            let token = r.sampler.sample(logits: state.logits + k * vocab,
                                         history: UnsafeBufferPointer(start: r.tokens, count: r.tokenCount))
            r.tokens[r.tokenCount] = token
            r.generatedCount += 1
            if r.generatedCount == 1 { r.firstTokenTime = end } else { decodeTokens += 1 }
            r.lastTokenTime = end
            if config.endOfGenerationTokens.contains(token) {
                finish(r, .endOfGeneration, now: end)
            } else if r.generatedCount >= r.options.maxNewTokens {
                finish(r, .length, now: end)
            } else if r.tokenCount >= state.limits.maxContext {
                finish(r, .contextFull, now: end)
            }
        }
        for j in 0..<chosenCount { chosen[j] = nil; segmentRows[j] = 0 }
        chosenCount = 0
        return rows
    }

    /// Picks the best `maxRunning` startable requests into `chosen` (in precedence
    /// order), pausing running requests that are not among them.
    private func chooseRunningSet(now: UInt64) {
        let window = batchingWindowNanoseconds
        chosenCount = 0
        while chosenCount < config.maxRunning {
            var best: ServingRequest? = nil
            // By index: `for case let r? in` an array of optionals allocates per element at -Onone.
            for i in 0..<requests.count {
                guard let r = requests[i], !r.isFinished && !isChosen(r) && mayStart(r, now: now, window: window) else { continue }
                if best == nil || Self.precedes(r, best!) { best = r }
            }
            guard let pick = best else { break }
            chosen[chosenCount] = pick
            chosenCount += 1
        }
        for i in 0..<requests.count {
            guard let r = requests[i], r.phase == .running && !isChosen(r) else { continue }
            pause(r)
        }
        for j in 0..<chosenCount { chosen[j]!.phase = .running }
    }

    private func isChosen(_ r: ServingRequest) -> Bool {
        for j in 0..<chosenCount where chosen[j] === r { return true }
        return false
    }

    private func pause(_ r: ServingRequest) {
        if r.phase == .running {
            r.phase = r.slot >= 0 ? .paused : .waiting
            preemptions += 1
            r.preemptions += 1
        }
    }

    /// `r` cannot get pages this step (everything after it is already evicted): it waits,
    /// keeping what it has. Not a preemption — nobody took anything from it.
    private func holdBack(_ r: ServingRequest) {
        r.phase = r.slot >= 0 ? .paused : .waiting
    }

    /// Evicts `r`: its pages go back to the pool (full ones stay in the prefix cache), and
    /// it is recomputed from its tokens when it runs again.
    private func evict(_ r: ServingRequest) {
        releasePages(of: r)
        if r.phase == .running { preemptions += 1; r.preemptions += 1 }
        r.phase = .waiting
    }

    /// Gives `r` a sequence slot (reusing the longest cached prefix on a fresh start) and
    /// pages for its next positions, at most `maxRows`, evicting requests that come after
    /// it when the pool is out. Returns the rows reserved; 0 when `r` cannot run this step.
    private func reservePages(for r: ServingRequest, maxRows: Int, chosenIndex: Int, now: UInt64) -> Int {
        if r.slot < 0 {
            while true {
                if let s = pool.acquireSequence() { r.slot = s; break }
                guard let victim = lowestEvictable(after: r, chosenIndex: chosenIndex) else {
                    holdBack(r)
                    return 0
                }
                evict(victim)
            }
            let reused = pool.attachCachedPrefix(r.slot, tokens: UnsafeBufferPointer(start: r.tokens, count: r.tokenCount),
                                                 limit: r.tokenCount - 1, priorityClass: r.priority.rawValue, now: now)
            r.computed = reused
            r.reusedPrefixTokens = reused
            promptTokensReused += min(reused, r.promptCount)
        }
        let rows = min(maxRows, r.pending)
        while !pool.reserve(r.slot, from: r.computed, to: r.computed + rows, now: now) {
            guard let victim = lowestEvictable(after: r, chosenIndex: chosenIndex) else {
                if nothingElseHoldsPages(besides: r) {
                    finish(r, .kvPoolExhausted, now: now)
                } else {
                    holdBack(r)
                }
                return 0
            }
            evict(victim)
        }
        return rows
    }

    /// The request after `r` in precedence that holds pages and comes last: paused
    /// requests first, then chosen ones not yet in the batch. Nil when none.
    private func lowestEvictable(after r: ServingRequest, chosenIndex: Int) -> ServingRequest? {
        var worst: ServingRequest? = nil
        // By index: `for case let r? in` an array of optionals allocates per element at -Onone.
        for i in 0..<requests.count {
            guard let c = requests[i], c !== r && c.slot >= 0 && !c.isFinished && Self.precedes(r, c) else { continue }
            // Rows already in this step's batch cannot give their pages back.
            if c.phase == .running && !chosenAfter(c, index: chosenIndex) { continue }
            if worst == nil || Self.precedes(worst!, c) { worst = c }
        }
        if let w = worst, w.phase == .running {
            for j in (chosenIndex + 1)..<chosenCount where chosen[j] === w { chosen[j] = nil }
        }
        return worst
    }

    private func chosenAfter(_ c: ServingRequest, index: Int) -> Bool {
        var j = index + 1
        while j < chosenCount {
            if chosen[j] === c { return true }
            j += 1
        }
        return false
    }

    private func nothingElseHoldsPages(besides r: ServingRequest) -> Bool {
        for i in 0..<requests.count {
            guard let c = requests[i], c !== r && c.slot >= 0 else { continue }
            return false
        }
        return true
    }
}
