import AutoGLM

/// A model, its tokenizer and an inference state, loaded as the generating commands do.
struct LoadedRuntime {
    let path: String
    let model: Model
    let tokenizer: Tokenizer
    let backend: Backend
    let state: InferenceState

    init(model: String?, backend: String?, runtime: RuntimeOptions) throws {
        let path = try model ?? BundledModels.defaultModelPath()
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        let limits = try runtime.limits(for: loaded.config)
        let chosen = try resolveBackend(backend)
        self.path = path
        self.model = loaded
        tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: loaded.gguf) }
        self.backend = chosen
        state = try coreCall { () throws(CoreError) in try InferenceState(model: loaded, limits: limits, backend: chosen) }
    }

    /// What checkpoints written by this runtime must match to be loaded.
    var checkpointIdentity: CheckpointIdentity {
        CheckpointIdentity(pool: state.kvPool, tokenizerHash: tokenizerFingerprint(tokenizer), backend: backend,
                           vocabularySize: model.config.vocabularySize)
    }

    /// The checkpoint directory after start-up recovery (scan, validate, quarantine).
    func recoverCheckpoints(in dir: String) throws -> SessionRecovery {
        let identity = checkpointIdentity
        return try coreCall { () throws(CoreError) in
            let store = try CheckpointStore(fileSystem: PosixFileSystem(), directory: dir)
            return try SessionRecovery(store: store, identity: identity, log: printError)
        }
    }
}
