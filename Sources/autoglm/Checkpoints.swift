import ArgumentParser
import AutoGLM
import Foundation

/// What a daemon's start-up recovery would find in a checkpoint directory.
struct Checkpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan a checkpoint directory: validate, index and quarantine, as start-up recovery does.")

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "Checkpoint directory.")
    var dir: String

    @Option(help: "Kernel backend the checkpoints must have been written with (default: this machine's).")
    var backend: String?

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let path = try model ?? BundledModels.defaultModelPath()
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        let tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: loaded.gguf) }
        let limits = try runtime.limits(for: loaded.config)
        let chosenBackend = try resolveBackend(backend)
        let state = try coreCall { () throws(CoreError) in try InferenceState(model: loaded, limits: limits, backend: chosenBackend) }
        let identity = CheckpointIdentity(pool: state.kvPool, tokenizerHash: tokenizerFingerprint(tokenizer),
                                          backend: chosenBackend, vocabularySize: loaded.config.vocabularySize)
        let store = try coreCall { () throws(CoreError) in try CheckpointStore(fileSystem: PosixFileSystem(), directory: dir) }
        let recovery = try coreCall { () throws(CoreError) in try SessionRecovery(store: store, identity: identity, log: printError) }
        let ready = DispatchTime.now().uptimeNanoseconds - start
        for (key, d) in recovery.index.sorted(by: { $0.key < $1.key }) {
            let c = d.checkpoint
            print("\(key)\ttokens \(c.tokens.count)\tgenerated \(c.generation.generatedCount)\tkv \(c.generation.kvPositions)"
                + "\t\(c.generation.finished ? "finished" : "running")\tsave \(c.saveCounter)\tpriority \(c.priority)")
        }
        print("\(recovery.index.count) sessions valid, \(recovery.quarantined.count) quarantined, \(store.totalBytes) bytes; "
            + "scan \(format(Double(recovery.scanNanoseconds) / 1e6)) ms, ready (model load + plan + scan) \(format(Double(ready) / 1e6)) ms")
    }
}
