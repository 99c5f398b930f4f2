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
        let recovery = try LoadedRuntime(model: model, backend: backend, runtime: runtime).recoverCheckpoints(in: dir)
        let store = recovery.store
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
