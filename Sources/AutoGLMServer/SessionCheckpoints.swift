import AutoGLM
import Foundation
import Logging
import Synchronization

/// The daemon's session checkpoints (docs/checkpoints.md): file keys, start-up recovery
/// into the SessionStore, the writer the engine captures into, and the lazy page reads
/// of recovered sessions.
///
/// Threads: the scan runs in `init`, before the writer starts; afterwards every store
/// mutation happens on the writer's thread, and other threads only read files.
public final class SessionCheckpoints: @unchecked Sendable {  // lets, and counters behind a Mutex
    public let writer: CheckpointWriter
    let store: CheckpointStore<PosixFileSystem>
    let metrics: ServerMetrics
    let logger: Logger
    /// Checkpoints that passed the start-up scan, by key; taken by `restoreSessions`.
    private let recovered: [DecodedCheckpoint]
    private let quarantinedAtStart: [CheckpointStore<PosixFileSystem>.Quarantined]
    public let scanNanoseconds: UInt64
    private let countedWrites = Mutex(0)
    private let countedFailures = Mutex(0)

    public init(directory: String, identity: CheckpointIdentity, policy: CheckpointWriter.Policy, metrics: ServerMetrics,
                logger: Logger) throws {
        self.metrics = metrics
        self.logger = logger
        let log: @Sendable (String) -> Void = { logger.warning("\($0)") }
        try CheckpointDirectory.prepare(directory, logger: logger)
        do {
            store = try CheckpointStore(fileSystem: PosixFileSystem(), directory: directory)
            if let aside = store.movedAside {
                logger.warning("checkpoint_dir \(directory): \"quarantine\" was not a directory; moved it to \(aside)")
            }
            let recovery = try SessionRecovery(store: store, identity: identity, log: log)
            for entry in store.skipped {
                logger.warning("checkpoint \(entry.file) skipped: a \(Self.describe(entry.kind)), not a regular file; not opened")
            }
            recovered = recovery.index.values.sorted { $0.checkpoint.sessionKey < $1.checkpoint.sessionKey }
            quarantinedAtStart = recovery.quarantined
            scanNanoseconds = recovery.scanNanoseconds
        } catch {
            throw ConfigError(message: "checkpoint_dir \(directory): \(error.message)")
        }
        writer = CheckpointWriter(store: store, identity: identity, policy: policy, log: log)
        metrics.checkpointsQuarantined.increment(by: quarantinedAtStart.count)
    }

    static func describe(_ kind: FileEntryKind) -> String {
        switch kind {
        case .regularFile: return "regular file"
        case .directory: return "directory"
        case .symbolicLink: return "symlink"
        case .special: return "FIFO, socket or device"
        }
    }

    // MARK: keys

    /// The file key of a session: its owner's uid and its id, so that a restart gives the
    /// session back to the same uid ("u1000_sess-…"; ids are letters, digits and '-').
    public static func key(sessionId: String, ownerUid: UInt32) -> String { "u\(ownerUid)_\(sessionId)" }

    /// (session id, owner uid) of a key or a file name `KEY.ckpt…`; nil for other files.
    public static func parse(_ name: String) -> (id: String, ownerUid: UInt32)? {
        guard name.hasPrefix("u"), let sep = name.firstIndex(of: "_") else { return nil }
        guard let uid = UInt32(name[name.index(after: name.startIndex)..<sep]) else { return nil }
        var id = String(name[name.index(after: sep)...])
        if let dot = id.range(of: ".ckpt") { id = String(id[..<dot.lowerBound]) }
        return id.isEmpty ? nil : (id, uid)
    }

    // MARK: start-up

    /// Puts every recovered session back into `sessions` (pages stay on disk until first
    /// use) and marks those whose file was quarantined as lost. Returns (restored, lost).
    @discardableResult
    public func restoreSessions(into sessions: SessionStore, isEndOfGeneration: (Int32) -> Bool) -> (restored: Int, lost: Int) {
        var restored = 0
        for d in recovered {
            let c = d.checkpoint
            guard let (id, uid) = Self.parse(c.sessionKey) else { continue }  // not a daemon session
            writer.noteRestored(c)
            // History for the next turn: an ended turn's tokens (its end token has no KV and
            // is not history); for an interrupted one, what came before its answer.
            var history = Array(c.tokens[..<c.generation.promptCount])
            if c.generation.finished {
                history += c.tokens[c.generation.promptCount...].filter { !isEndOfGeneration($0) }
            }
            do {
                try sessions.restore(id: id, ownerUid: uid, tokens: history, savedAt: Date(timeIntervalSince1970: Double(c.savedAt)),
                                     resumePoint: ResumePoint(checkpoint: c, onDisk: d))
                restored += 1
            } catch {
                logger.warning("checkpoint \(c.sessionKey) not restored: \(error.message)")
            }
        }
        for q in quarantinedAtStart {
            guard let (id, uid) = Self.parse(q.file) else { continue }
            sessions.markLost(id: id, ownerUid: uid, reason: q.error.message)
        }
        metrics.sessionsRecovered.record(restored)
        logger.info("sessions recovered", metadata: ["restored": "\(restored)", "quarantined": "\(quarantinedAtStart.count)",
                                                     "scan_ms": "\(scanNanoseconds / 1_000_000)"])
        return (restored, quarantinedAtStart.count)
    }

    // MARK: running

    /// First use of a recovered session: its pages (CRC checked). Damaged pages get the
    /// file quarantined (log line, metric) and nil: the session is rebuilt from its tokens.
    func readPages(_ d: DecodedCheckpoint) -> [UInt8]? {
        let key = d.checkpoint.sessionKey
        do throws(CoreError) {
            return try CheckpointDecoder.readPages(d, from: try store.source(forKey: key))
        } catch {
            logger.warning("checkpoint \(key): pages unusable (\(error.message)); rebuilding the session from its \(d.checkpoint.tokens.count) tokens")
            // Damage is quarantined; a file that is gone (evicted by the budget) is not.
            if case .checkpoint = error {
                metrics.checkpointsQuarantined.increment()
                writer.quarantine(key, error: error)
            }
            return nil
        }
    }

    /// A new session is on disk from its first moment: no tokens yet. When its file cannot
    /// be written (a full or read-only disk) this throws 507, and the caller drops the
    /// session: a session acknowledged is a session on disk.
    func saveCreated(_ session: Session, vocabularySize: Int) throws(APIError) {
        let key = Self.key(sessionId: session.id, ownerUid: session.ownerUid)
        do throws(CoreError) {
            let sampler = try Sampler(config: SamplerConfig(), vocabularySize: vocabularySize)
            // No KV positions: the pool is not touched, so any thread may capture.
            try writer.capture(sessionKey: key, pool: nil, sequence: 0) { counter, savedAt in
                SessionCheckpoint(sessionKey: key, saveCounter: counter, savedAt: savedAt, priority: RequestPriority.interactive.rawValue,
                                  tokens: [], sampler: SamplerSnapshot(sampler),
                                  generation: GenerationSnapshot(promptCount: 0, generatedCount: 0, maxNewTokens: 0, kvPositions: 0,
                                                                 finished: true),
                                  kvStorage: writer.policy.kvStorage)
            }
        } catch {
            throw .internal("session \(session.id): its checkpoint could not be made: \(error.message)")
        }
        // The client gets the id only once the session is on disk: it must survive a kill -9.
        writer.flush()
        if let reason = writer.lastFailure(of: key) {
            throw .insufficientStorage("session not created: its checkpoint could not be written to disk (\(reason))",
                                       code: "checkpoint_write_failed")
        }
    }

    /// Whether the session's newest checkpoint write succeeded: false while the disk refuses
    /// them (the running request goes on; the next checkpoint retries).
    func isDurable(_ session: Session) -> Bool {
        writer.lastFailure(of: Self.key(sessionId: session.id, ownerUid: session.ownerUid)) == nil
    }

    /// The session was deleted: so is its file.
    func removed(_ session: Session) {
        let key = Self.key(sessionId: session.id, ownerUid: session.ownerUid)
        writer.remove(key)
        writer.setInUse(key, false)
    }

    /// GET /metrics: writes done since the last scrape go into the counter.
    func updateMetrics() {
        let writes = writer.statistics.writes
        let delta = countedWrites.withLock { counted -> Int in
            defer { counted = max(counted, writes) }
            return max(0, writes - counted)
        }
        if delta > 0 { metrics.checkpointWrites.increment(by: delta) }
        metrics.sessionsNotDurable.record(writer.notDurableCount)
        let failures = writer.statistics.failures
        let newFailures = countedFailures.withLock { counted -> Int in
            defer { counted = max(counted, failures) }
            return max(0, failures - counted)
        }
        if newFailures > 0 { metrics.checkpointFailures.increment(by: newFailures) }
    }

    /// SIGTERM: everything captured is on disk before the process ends.
    func flush() { writer.flush() }
}
