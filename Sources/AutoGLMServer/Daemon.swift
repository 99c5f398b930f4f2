import AutoGLM
import CAutoGLMSys
import Foundation
import Logging
import ServiceLifecycle

/// The daemon assembled from its config: model, engine, sessions, API, sockets and
/// the systemd conversation. `run()` serves until SIGTERM/SIGINT, then drains.
public final class Daemon: Service, @unchecked Sendable {  // fields set once in init
    public let config: DaemonConfig
    public let service: APIService
    let engine: any CompletionEngine
    let notifier: SystemdNotifier
    let logger: Logger

    /// How often the drain checks whether the engine is idle.
    static let drainPollMilliseconds: UInt64 = 20

    public init(config: DaemonConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        try config.validateCheckpoints()
        try config.validateListeners()
        let loaded = try DaemonModel.load(config)
        notifier = SystemdNotifier()
        let metrics = ServerMetrics()
        let state = try DaemonModel.coreCall { () throws(CoreError) in
            try InferenceState(model: loaded.model, limits: loaded.limits, backend: loaded.backend)
        }
        let watchdog = WatchdogPinger(notifier: notifier)
        switch config.engine {
        case .single:
            engine = SingleSequenceEngine(state: state, tokenizer: loaded.tokenizer, queueCapacity: config.limits.queueCapacity,
                                          metrics: metrics, watchdog: watchdog)
        case .batched:
            engine = try DaemonModel.coreCall { () throws(CoreError) in
                try BatchedEngine(state: state, tokenizer: loaded.tokenizer, queueCapacity: config.limits.queueCapacity,
                                  metrics: metrics, watchdog: watchdog, logger: logger)
            }
        }
        let served = ServedModel(path: loaded.path, tokenizer: loaded.tokenizer, template: loaded.template,
                                 contextLength: loaded.limits.maxContext, vocabularySize: loaded.model.config.vocabularySize)
        // The single engine gives each session a KV slot (1…); the batched one shares pages
        // through the prefix cache, and the slots only count sessions.
        let sessions = SessionStore(slots: 1..<(config.sessions + 1), perUidLimit: config.limits.sessionsPerUid)
        // Start-up recovery before READY: scan, validate, quarantine, index; pages stay on disk.
        var checkpoints: SessionCheckpoints?
        if let dir = config.checkpointDir {
            let identity = CheckpointIdentity(pool: state.kvPool, tokenizerHash: tokenizerFingerprint(loaded.tokenizer),
                                              backend: loaded.backend, vocabularySize: loaded.model.config.vocabularySize)
            let policy = CheckpointWriter.Policy(everyTokens: config.checkpointEveryTokens, budgetBytes: config.checkpointBudgetBytes,
                                                 kvStorage: try config.checkpointKVStorage())
            let c = try SessionCheckpoints(directory: dir, identity: identity, policy: policy, metrics: metrics, logger: logger)
            c.restoreSessions(into: sessions, isEndOfGeneration: loaded.tokenizer.isEndOfGeneration)
            checkpoints = c
        }
        service = APIService(model: served, engine: engine, sessions: sessions, metrics: metrics, limits: config.limits,
                             checkpoints: checkpoints)
        logger.info("model loaded", metadata: ["model": "\(loaded.path)", "backend": "\(loaded.backend.name)",
                                               "plan": "\(formatBytes(state.plan.totalBytes))"])
    }

    public func run() async throws {
        let server = try await HTTPServer(config: config, service: service, logger: logger)
        service.setPhase(.ready)
        notifier.notify("READY=1\nSTATUS=serving on \(server.socketPath)\nMAINPID=\(getpid())")
        logger.info("ready")
        try? await gracefulShutdown()
        await drain()
        await server.close()
        logger.info("stopped")
    }

    /// SIGTERM: refuse new work (503), let running and queued requests finish within the
    /// drain time, then end what is left (a session's request ended so is checkpointed as
    /// interrupted, to be resumed after the restart), and wait for the checkpoint writes.
    func drain() async {
        service.setPhase(.draining)
        notifier.notify("STOPPING=1\nSTATUS=draining")
        engine.stopAccepting()
        let limit = aglm_monotonic_ns() + UInt64(config.limits.drainTimeoutMilliseconds) * 1_000_000
        logger.info("draining", metadata: ["queued": "\(engine.load.queued)", "running": "\(engine.load.running)"])
        while engine.load != EngineLoad(queued: 0, running: 0) && aglm_monotonic_ns() < limit {
            try? await Task.sleep(nanoseconds: Self.drainPollMilliseconds * 1_000_000)
        }
        if engine.load != EngineLoad(queued: 0, running: 0) {
            logger.warning("drain time over; cancelling", metadata: ["queued": "\(engine.load.queued)", "running": "\(engine.load.running)"])
            engine.cancelAll(with: .unavailable("the daemon stopped before this request finished", code: "draining"))
            while engine.load.running > 0 { try? await Task.sleep(nanoseconds: Self.drainPollMilliseconds * 1_000_000) }
        }
        engine.shutdown()
        if let checkpoints = service.checkpoints {
            checkpoints.writer.stop()
            checkpoints.updateMetrics()
            let st = checkpoints.writer.statistics
            // capture_us: time the engine thread spent copying pages (decode stalls for it);
            // write_us: the writer thread's encoding, CRCs, writes and fsyncs.
            logger.info("checkpoints flushed", metadata: [
                "captures": "\(st.captures)", "writes": "\(st.writes)", "bytes": "\(st.bytesWritten)",
                "capture_us": "\(st.captureNanoseconds / 1000)", "write_us": "\(st.writeNanoseconds / 1000)",
                "failures": "\(st.failures)"])
        }
    }
}

/// The model side of the config: which file, tokenizer, template, runtime limits and backend.
public struct DaemonModel {
    public let path: String
    public let model: Model
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    public let limits: RuntimeLimits
    public let backend: Backend
    public let plan: MemoryPlan

    /// Longest context used when the config names none (the model's may be far larger).
    public static let defaultContextCap = 4096

    public static func load(_ config: DaemonConfig) throws -> DaemonModel {
        let path = try config.model ?? BundledModels.defaultModelPath()
        let model = try loadWeights(path)
        let tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: model.gguf) }
        let template: ChatTemplate
        if let name = config.chatTemplate {
            guard let named = ChatTemplate(rawValue: name) else {
                throw ConfigError(message: "chat_template \"\(name)\" is not one of \(ChatTemplate.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            template = named
        } else {
            template = ChatTemplate(family: model.config.family)
        }
        let context = config.context ?? min(model.config.trainedContextLength, defaultContextCap)
        let kvType = try coreCall { () throws(CoreError) in try KVCacheType(name: config.kvType) }
        let threads = config.threads == 0 ? AvailableCPUs.count() : config.threads
        let sequences = config.engine == .single ? config.sessions + 1 : config.batch
        let limits = RuntimeLimits(maxContext: context, maxBatch: sequences,
                                   prefillChunk: min(config.prefillChunk, context), threads: threads, kvType: kvType,
                                   pinThreads: config.pinThreads)
        let backend = try config.backend.map { name in try coreCall { () throws(CoreError) in try Backend(name: name) } }
            ?? .platformDefault
        let plan = try coreCall { () throws(CoreError) in
            try MemoryPlan(config: model.config, weightsBytes: model.weightsBytes, limits: limits)
        }
        if config.memoryBudgetBytes > 0 {
            guard plan.totalBytes <= config.memoryBudgetBytes else {
                throw ConfigError(message: "the memory plan needs \(formatBytes(plan.totalBytes)), over the budget of "
                    + "\(formatBytes(config.memoryBudgetBytes)):\n\(plan.description)")
            }
        }
        return DaemonModel(path: path, model: model, tokenizer: tokenizer, template: template, limits: limits,
                           backend: backend, plan: plan)
    }

    /// A GGUF file, or a Hugging Face folder (config.json, tokenizer.json, safetensors)
    /// converted as llama.cpp's converter would into a temporary F32 GGUF that is mapped
    /// and then unlinked (the mapping keeps its pages; nothing is left behind).
    static func loadWeights(_ path: String) throws -> Model {
        guard HFConverter.isModelFolder(path) else {
            return try coreCall { () throws(CoreError) in try Model(path: path) }
        }
        let converted = NSTemporaryDirectory() + "autoglmd-\(getpid())-\(UUID().uuidString).gguf"
        defer { unlink(converted) }
        _ = try HFConverter(folder: path).writeGGUF(to: converted)
        return try coreCall { () throws(CoreError) in try Model(path: converted) }
    }

    static func coreCall<T>(_ body: () throws(CoreError) -> T) throws -> T {
        do { return try body() } catch { throw ConfigError(message: error.message) }
    }
}
