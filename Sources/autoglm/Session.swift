import ArgumentParser
import AutoGLM
import Foundation

/// A generation that survives being killed: it checkpoints to a directory as it goes and,
/// started again with the same --dir and --session, resumes from the last checkpoint.
struct Session: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate in a named session that survives crashes (checkpoints, resume).",
        discussion: """
            Checkpoints the session to --dir every --checkpoint-every generated tokens and at the end. \
            Run again with the same --dir and --session after a crash (kill -9, power loss) and it resumes \
            from the last checkpoint, producing exactly the tokens of an uninterrupted run (greedy or seeded \
            sampling). --resume-from I prints generated tokens from index I on: what a client that received \
            I tokens is missing. Damaged or foreign checkpoints are moved to DIR/quarantine and never loaded.
            """)

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "Checkpoint directory.")
    var dir: String

    @Option(help: "Session name (letters, digits, '-', '_', '.').")
    var session: String

    @Option(help: "The prompt text (used when the session has no checkpoint yet).")
    var prompt: String

    @Option(name: .customLong("max-tokens"), help: "Maximum new tokens.")
    var maxTokens: Int = 64

    @OptionGroup var sampling: SamplingOptions

    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N generated tokens (0: only at the end).")
    var checkpointEvery: Int = CheckpointWriter.Policy.defaultEveryTokens

    @Option(name: .customLong("checkpoint-budget-mb"), help: "Disk budget for all checkpoints in the directory, in MiB.")
    var budgetMB: Int = CheckpointWriter.Policy.defaultBudgetBytes >> 20

    @Option(name: .customLong("resume-from"), help: "Print generated tokens from this index on (tokens before it were received).")
    var resumeFrom: Int = 0

    @Flag(name: .customLong("token-ids"), help: "Print one token id per line instead of text.")
    var tokenIds = false

    @OptionGroup var kernel: BackendOption

    @OptionGroup var runtime: RuntimeOptions

    @Flag(help: "Print recovery, decode speed and checkpoint costs to stderr.")
    var verbose = false

    func run() throws {
        guard CheckpointStore<PosixFileSystem>.isValidKey(session) else {
            throw ValidationError("--session '\(session)': letters, digits, '-', '_', '.' only")
        }
        guard resumeFrom >= 0 else { throw ValidationError("--resume-from must be ≥ 0") }
        let loaded = try LoadedRuntime(model: model, backend: kernel.backend, runtime: runtime)
        let (tokenizer, state) = (loaded.tokenizer, loaded.state)
        let recovery = try loaded.recoverCheckpoints(in: dir)
        let writer = CheckpointWriter(store: recovery.store, identity: loaded.checkpointIdentity,
                                      policy: .init(everyTokens: checkpointEvery, budgetBytes: budgetMB << 20), log: printError)
        writer.setInUse(session, true)
        defer { writer.stop() }

        let samplerConfig = try sampling.config()
        let g: ResumableGeneration
        if let resumed = try coreCall({ () throws(CoreError) in try recovery.resume(session, state: state, sequence: 0, writer: writer) }) {
            g = resumed
            if verbose {
                printError("resumed \(session): \(g.generatedCount) tokens generated, KV for \(g.kvPositions) of \(g.tokens.count) positions")
            }
        } else {
            let promptIds = tokenizer.encode(prompt, addBos: tokenizer.addBosDefault)
            g = try coreCall { () throws(CoreError) in
                try ResumableGeneration(state: state, sequence: 0, prompt: promptIds, sampling: samplerConfig, maxNewTokens: maxTokens)
            }
            // The session exists on disk from its first moment: a crash during prefill resumes too.
            try coreCall { () throws(CoreError) in try writer.capture(g, sessionKey: session, priority: 1) }
        }

        var printer = TokenPrinter(tokenizer: tokenizer, ids: tokenIds)
        for (i, t) in g.generated.enumerated() where i >= resumeFrom { printer.push(t) }
        let start = DispatchTime.now().uptimeNanoseconds
        var decoded = 0
        while let token = g.next(isEndOfGeneration: { tokenizer.isEndOfGeneration($0) }) {
            decoded += 1
            if g.generatedCount - 1 >= resumeFrom { printer.push(token) }
            if writer.isDue(g) && !g.isFinished {
                try coreCall { () throws(CoreError) in try writer.capture(g, sessionKey: session, priority: 1) }
            }
        }
        let decodeNanoseconds = DispatchTime.now().uptimeNanoseconds - start
        // Turn end: the final state, so a reconnecting client still gets the whole answer.
        try coreCall { () throws(CoreError) in try writer.capture(g, sessionKey: session, priority: 1) }
        printer.finish()
        writer.flush()
        if verbose {
            let s = writer.statistics
            printError("decoded \(decoded) tokens in \(decodeNanoseconds / 1_000_000) ms "
                + "(\(format(Double(decoded) * 1e9 / Double(max(1, decodeNanoseconds)))) tok/s); "
                + "checkpoints: \(s.captures) captured (\(s.captureNanoseconds / 1000) µs on the decode thread), "
                + "\(s.writes) written (\(s.bytesWritten) bytes, \(s.writeNanoseconds / 1000) µs on the writer thread), "
                + "\(s.failures) failed")
        }
    }
}

/// Streams tokens as ids (one per line) or as text.
struct TokenPrinter {
    let tokenizer: Tokenizer
    let ids: Bool
    var detokenizer: StreamingDetokenizer

    init(tokenizer: Tokenizer, ids: Bool) {
        self.tokenizer = tokenizer
        self.ids = ids
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
    }

    mutating func push(_ token: Int32) {
        if ids {
            FileHandle.standardOutput.write(Data("\(token)\n".utf8))
        } else if tokenizer.tokenType(token) != .control {
            FileHandle.standardOutput.write(Data(detokenizer.push(token).utf8))
        }
    }

    mutating func finish() {
        if !ids { FileHandle.standardOutput.write(Data((detokenizer.flush() + "\n").utf8)) }
    }
}
