import AutoGLMCore
import CAutoGLMSys
import Foundation

/// Writes session checkpoints without stalling decode. The engine thread only copies the
/// session's KV pages out of the pool (`capture`, a memcpy of the pages); CRCs, file
/// writes, fsyncs and the disk budget run on this writer's own thread. A newer capture
/// of a session replaces one still waiting, so a slow disk costs checkpoint freshness,
/// never decode time or memory growth.
///
/// All CheckpointStore mutations happen on the writer thread.
///
/// A save that fails (a full or read-only disk) leaves the session's previous file, and
/// marks the session not durable until one of its later saves succeeds: callers ask
/// `lastFailure(of:)`, and the next capture of the session is the retry.
public final class CheckpointWriter: @unchecked Sendable {
    public struct Policy: Sendable {
        /// Checkpoint every N generated tokens of a running request (0: only at turn end
        /// and drain). 16 keeps the decode cost within the 5% budget (BENCHMARKS.md).
        public var everyTokens: Int
        /// Total bytes of checkpoints on disk; beyond it, low priority and old sessions go.
        public var budgetBytes: Int
        public var kvStorage: CheckpointKVStorage

        public static let defaultEveryTokens = 16
        public static let defaultBudgetBytes = 256 << 20

        public init(everyTokens: Int = defaultEveryTokens, budgetBytes: Int = defaultBudgetBytes,
                    kvStorage: CheckpointKVStorage = .native) {
            self.everyTokens = everyTokens
            self.budgetBytes = budgetBytes
            self.kvStorage = kvStorage
        }
    }

    public struct Statistics: Sendable, Equatable {
        public var captures = 0
        public var writes = 0
        public var bytesWritten = 0
        public var failures = 0
        public var evictions = 0
        /// Time the engine thread spent in `capture` (page copies).
        public var captureNanoseconds: UInt64 = 0
        /// Time the writer thread spent encoding, writing and syncing.
        public var writeNanoseconds: UInt64 = 0
    }

    private enum Job {
        case save(SessionCheckpoint, pages: [UInt8])
        case remove(String)
        case quarantine(String, CoreError)
    }

    public let store: CheckpointStore<PosixFileSystem>
    public let identity: CheckpointIdentity
    public let policy: Policy
    private let log: @Sendable (String) -> Void

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [(key: String, job: Job)] = []
    private var busy = false
    private var stopping = false
    private var counters: [String: UInt64] = [:]
    private var keep: Set<String> = []
    private var stats = Statistics()
    /// Sessions whose newest save failed, with the reason; cleared by a save that succeeds.
    private var failing: [String: String] = [:]
    private var thread: Thread?

    public init(store: CheckpointStore<PosixFileSystem>, identity: CheckpointIdentity, policy: Policy,
                log: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.identity = identity
        self.policy = policy
        self.log = log
        // The thread keeps the writer alive until `stop()` ends it.
        let thread = Thread { self.run() }
        thread.name = "autoglm-checkpoints"
        self.thread = thread
        thread.start()
    }

    public var statistics: Statistics { condition.withLock { stats } }

    /// Why the newest save of `key` failed; nil when it succeeded (or none was tried).
    public func lastFailure(of key: String) -> String? { condition.withLock { failing[key] } }

    /// Sessions whose newest save failed.
    public var notDurableCount: Int { condition.withLock { failing.count } }

    /// Whether a running generation is due for its every-N-tokens checkpoint.
    public func isDue(_ g: ResumableGeneration) -> Bool { isDue(generatedCount: g.generatedCount) }

    /// The same for an engine that counts its own generated tokens (the daemon's).
    public func isDue(generatedCount: Int) -> Bool {
        policy.everyTokens > 0 && generatedCount > 0 && generatedCount % policy.everyTokens == 0
    }

    /// Continues a session's save counter after a restart (the newest file wins).
    public func noteRestored(_ checkpoint: SessionCheckpoint) {
        condition.withLock { counters[checkpoint.sessionKey] = max(counters[checkpoint.sessionKey] ?? 0, checkpoint.saveCounter) }
    }

    /// Sessions in use: never evicted by the budget.
    public func setInUse(_ key: String, _ inUse: Bool) {
        condition.withLock { if inUse { keep.insert(key) } else { keep.remove(key) } }
    }

    /// Engine thread, between forward passes: copies the pages and queues the write.
    public func capture(_ g: ResumableGeneration, sessionKey: String, priority: UInt8) throws(CoreError) {
        try capture(sessionKey: sessionKey, pool: g.state.kvPool, sequence: g.sequence) { counter, savedAt in
            g.checkpoint(sessionKey: sessionKey, saveCounter: counter, savedAt: savedAt, priority: priority,
                         kvStorage: policy.kvStorage)
        }
    }

    /// The same for an engine that keeps its own generation state (the daemon's):
    /// `describe` gets the save counter and time and returns the checkpoint's contents,
    /// whose `kvPositions` of `sequence` are copied.
    /// `pool` may be nil when the checkpoint holds no KV positions.
    public func capture(sessionKey: String, pool: KVPagePool?, sequence: Int,
                        describe: (_ saveCounter: UInt64, _ savedAt: UInt64) -> SessionCheckpoint) throws(CoreError) {
        let start = DispatchTime.now().uptimeNanoseconds
        let counter = condition.withLock { () -> UInt64 in
            let next = (counters[sessionKey] ?? 0) + 1
            counters[sessionKey] = next
            return next
        }
        let c = describe(counter, UInt64(Date().timeIntervalSince1970))
        // Without KV (a session just created, a request not yet prefilled) the pool is not
        // touched, so that capture may come from any thread.
        var pages: [UInt8] = []
        if c.generation.kvPositions > 0 {
            guard let pool else {
                throw .invalidArgument(name: "checkpoint pool", value: "none", reason: "\(c.generation.kvPositions) KV positions to copy")
            }
            pages = try CheckpointEncoder.capturePages(pool: pool, sequence: sequence, positions: c.generation.kvPositions,
                                                       storage: c.kvStorage)
        }
        let took = DispatchTime.now().uptimeNanoseconds - start
        enqueue(sessionKey, .save(c, pages: pages)) { $0.captures += 1; $0.captureNanoseconds += took }
    }

    /// The session ended: its checkpoint goes (after any write still queued for it).
    public func remove(_ key: String) { enqueue(key, .remove(key)) { _ in } }

    /// Its pages failed to restore: move the file aside.
    public func quarantine(_ key: String, error: CoreError) { enqueue(key, .quarantine(key, error)) { _ in } }

    /// Returns once everything queued so far is on disk (drain, shutdown, tests).
    public func flush() {
        condition.lock()
        while !queue.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    /// Flushes, then ends the thread.
    public func stop() {
        flush()
        condition.withLock { stopping = true }
        condition.broadcast()
    }

    private func enqueue(_ key: String, _ job: Job, _ count: (inout Statistics) -> Void) {
        condition.withLock {
            // A newer save replaces a queued one of the same session; removals keep order.
            if case .save = job, let i = queue.firstIndex(where: { $0.key == key }), case .save = queue[i].job {
                queue[i].job = job
            } else {
                queue.append((key, job))
            }
            count(&stats)
        }
        condition.signal()
    }

    /// The writer thread's nice value: on a loaded machine its CRCs and syscalls give way
    /// to the decode thread (a later write costs freshness, not tokens per second).
    public static let writerNiceness: Int32 = 10

    private func run() {
        _ = aglm_set_current_thread_niceness(Self.writerNiceness)
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping { condition.unlock(); return }
            let (key, job) = queue.removeFirst()
            busy = true
            let keep = self.keep
            condition.unlock()

            let start = DispatchTime.now().uptimeNanoseconds
            var written = 0, evicted = 0, failed = false
            var durable: Bool? = nil  // of `key`, when this job settles it
            var failure = ""
            do throws(CoreError) {
                switch job {
                case .save(let c, let pages):
                    let head = CheckpointEncoder.encodeHead(c, identity: identity, pages: pages)
                    durable = false
                    try store.save(c, head: head, pages: pages)
                    durable = true
                    written = head.count + pages.count
                    let gone = try store.enforceBudget(policy.budgetBytes, keep: keep.union([key]))
                    evicted = gone.count
                    if !gone.isEmpty { log("checkpoint budget: evicted \(gone.joined(separator: ", "))") }
                case .remove(let key):
                    durable = true  // nothing of it is promised any more
                    try store.remove(key: key)
                case .quarantine(let key, let error):
                    try store.quarantine(key: key, error: error)
                    log("checkpoint \(key) quarantined: \(error.message)")
                }
            } catch {
                failed = true
                log("checkpoint \(key): \(error.message)")
                if durable == false { failure = error.message }
            }
            let took = DispatchTime.now().uptimeNanoseconds - start
            condition.withLock {
                if let durable { failing[key] = durable ? nil : failure }
                busy = false
                stats.writeNanoseconds += took
                if written > 0 { stats.writes += 1; stats.bytesWritten += written }
                stats.evictions += evicted
                if failed { stats.failures += 1 }
            }
            condition.broadcast()
        }
    }
}
