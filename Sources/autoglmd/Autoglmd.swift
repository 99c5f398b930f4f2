import ArgumentParser
import AutoGLM
import AutoGLMServer
import Foundation
import Logging
import ServiceLifecycle

/// autoglmd: serves one model over a Unix socket with an OpenAI-compatible API.
/// Config file first, flags on top (flags win); no config at all serves the bundled
/// model on $XDG_RUNTIME_DIR/autoglm.sock.
@main
struct Autoglmd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoglmd",
        abstract: "The Open-AutoGLM daemon: an OpenAI-compatible API on a Unix socket.",
        version: AutoGLMVersion.current)

    /// `--threads -1` reaches the option's range check, not "Missing value" (NegativeNumberArguments).
    static func main() async {
        await main(NegativeNumberArguments.attached(Array(CommandLine.arguments.dropFirst())))
    }

    @Option(help: "TOML config file (a Platforms/*.toml profile is one).")
    var config: String?

    @Option(help: "GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "Unix socket path (default: $XDG_RUNTIME_DIR/autoglm.sock, else /tmp/autoglm-UID/autoglm.sock).")
    var socket: String?

    @Option(name: .customLong("socket-mode"), help: "Socket file mode, octal (default 0660).")
    var socketMode: String?

    @Option(name: .customLong("socket-group"), help: "Group owning the socket file.")
    var socketGroup: String?

    @Option(name: .customLong("allow-uid"), help: "A uid allowed to connect (repeatable).")
    var allowUid: [UInt32] = []

    @Option(name: .customLong("allow-gid"), help: "A gid allowed to connect (repeatable).")
    var allowGid: [UInt32] = []

    @Option(name: .customLong("tcp-port"), help: "Also listen on 127.0.0.1:PORT (development only; 0 picks a port).")
    var tcpPort: Int?

    @Option(help: "Kernel backend: reference, emulation or neon.")
    var backend: String?

    @Option(help: "Kernel threads (0: all CPUs).")
    var threads: Int?

    @Flag(name: .customLong("pin-threads"), help: "Pin kernel worker thread i to CPU i (as pin_threads = true).")
    var pinThreads = false

    @Option(help: "Context length per KV slot, in tokens.")
    var context: Int?

    @Option(help: "Sessions held at once.")
    var sessions: Int?

    @Option(help: "batched (continuous batching, the default) or single (one request at a time; has logprobs).")
    var engine: String?

    @Option(help: "Sequences decoded together by the batched engine.")
    var batch: Int?

    @Option(name: .customLong("chat-template"), help: "glm4, llama3 or chatml (default: the model family's).")
    var chatTemplate: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body.")
    var maxBodyBytes: Int?

    @Option(name: .customLong("max-prompt-tokens"), help: "Longest prompt in tokens.")
    var maxPromptTokens: Int?

    @Option(name: .customLong("max-tokens"), help: "Largest max_tokens a request may ask for.")
    var maxTokens: Int?

    @Option(name: .customLong("queue-capacity"), help: "Requests that may wait for the engine.")
    var queueCapacity: Int?

    @Option(name: .customLong("sessions-per-uid"), help: "Sessions one uid may hold.")
    var sessionsPerUid: Int?

    @Option(name: .customLong("header-timeout-ms"), help: "Time a client has to send a whole request.")
    var headerTimeoutMs: Int?

    @Option(name: .customLong("drain-timeout-ms"), help: "On SIGTERM, time given to running requests.")
    var drainTimeoutMs: Int?

    @Option(name: .customLong("memory-budget-bytes"), help: "Fail when the memory plan needs more.")
    var memoryBudgetBytes: Int?

    @Option(name: .customLong("kv-type"), help: "KV cache type: f32, f16 or int8.")
    var kvType: String?

    @Option(name: .customLong("checkpoint-dir"), help: "Checkpoint sessions here and recover them at start-up (default: off).")
    var checkpointDir: String?

    @Option(name: .customLong("checkpoint-every-tokens"), help: "Checkpoint a running request every N generated tokens (default 16).")
    var checkpointEveryTokens: Int?

    @Option(name: .customLong("checkpoint-budget-bytes"), help: "Disk budget of all checkpoints.")
    var checkpointBudgetBytes: Int?

    @Option(name: .customLong("checkpoint-kv"), help: "KV pages on disk: native (exact resume) or int8 (smaller).")
    var checkpointKV: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(name: .customLong("check-config"), help: "Print the resolved config and the memory plan, then exit.")
    var checkConfig = false

    @Flag(name: .customLong("systemd-unit"), help: "Print a systemd unit for this config (MemoryMax from the plan), then exit.")
    var systemdUnit = false

    func resolvedConfig() throws -> DaemonConfig {
        var c = try config.map { try DaemonConfig.load(path: $0) } ?? DaemonConfig()
        if let model { c.model = model }
        if let socket { c.socketPath = socket }
        if let socketMode { c.socketMode = try DaemonConfig.parseSocketMode(socketMode, origin: "--socket-mode") }
        if let socketGroup { c.socketGroup = socketGroup }
        if !allowUid.isEmpty { c.allowedUids = allowUid }
        if !allowGid.isEmpty { c.allowedGids = allowGid }
        if let tcpPort { c.tcpPort = tcpPort }
        if let backend { c.backend = backend }
        if let threads { c.threads = threads }
        if pinThreads { c.pinThreads = true }
        if let context { c.context = context }
        if let sessions { c.sessions = sessions }
        if let engine { c.engine = try EngineKind(name: engine, origin: "--engine") }
        if let batch { c.batch = batch }
        if let chatTemplate { c.chatTemplate = chatTemplate }
        if let maxBodyBytes { c.limits.maxBodyBytes = maxBodyBytes }
        if let maxPromptTokens { c.limits.maxPromptTokens = maxPromptTokens }
        if let maxTokens { c.limits.maxTokens = maxTokens }
        if let queueCapacity { c.limits.queueCapacity = queueCapacity }
        if let sessionsPerUid { c.limits.sessionsPerUid = sessionsPerUid }
        if let headerTimeoutMs { c.limits.headerTimeoutMilliseconds = headerTimeoutMs }
        if let drainTimeoutMs { c.limits.drainTimeoutMilliseconds = drainTimeoutMs }
        if let memoryBudgetBytes { c.memoryBudgetBytes = memoryBudgetBytes }
        if let kvType { c.kvType = kvType }
        if let checkpointDir { c.checkpointDir = checkpointDir }
        if let checkpointEveryTokens {
            guard checkpointEveryTokens >= 0 else { throw ValidationError("--checkpoint-every-tokens must be ≥ 0") }
            c.checkpointEveryTokens = checkpointEveryTokens
        }
        if let checkpointBudgetBytes {
            guard checkpointBudgetBytes >= 0 else { throw ValidationError("--checkpoint-budget-bytes must be ≥ 0") }
            c.checkpointBudgetBytes = checkpointBudgetBytes
        }
        if let checkpointKV { c.checkpointKV = checkpointKV }
        return c
    }

    func run() async throws {
        let config = try resolvedConfig()
        if checkConfig || systemdUnit {
            try config.validateListeners()
            let report = ConfigReport(config: config, model: try DaemonModel.load(config))
            if systemdUnit {
                // argv[0] may be relative, a symlink or a bare name found on PATH: the kernel's
                // link names the file that is running.
                let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                    ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
                let arguments = SystemdUnit.serviceArguments(Array(CommandLine.arguments.dropFirst()),
                                                             workingDirectory: FileManager.default.currentDirectoryPath)
                print(SystemdUnit(executable: executable, arguments: arguments, report: report).text, terminator: "")
            } else {
                print(report.text)
            }
            return
        }
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "autoglmd")
        let daemon = try Daemon(config: config, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
