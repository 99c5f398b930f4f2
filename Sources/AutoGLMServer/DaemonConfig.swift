import AutoGLM
import Foundation
import TOMLKit

/// Everything the daemon is configured by. Read from a TOML file (the keys below, flat,
/// so that a Platforms/*.toml board profile is itself a valid config file), then
/// overridden by command-line flags. Every field has a default, so no file is needed.
public struct DaemonConfig: Equatable, Sendable {
    // Model and engine.
    /// GGUF model path; nil: the bundled default model.
    public var model: String?
    /// Chat template name (glm4, llama3, chatml); nil: the family's own.
    public var chatTemplate: String?
    /// Kernel backend name; nil: the fastest exact one on this machine.
    public var backend: String?
    /// Kernel threads; 0: the CPUs the daemon may use (affinity mask and cgroup quota).
    public var threads = 1
    /// Pin kernel worker thread i to CPU i (ThreadPool's pinToCores).
    public var pinThreads = false
    /// Context length of every KV slot, in tokens; nil: the model's, capped.
    public var context: Int?
    /// "batched": Core's Scheduler (continuous batching, preemption, prefix cache);
    /// "single": one request at a time, each session owning a KV slot (has logprobs).
    public var engine = EngineKind.batched
    /// Sequences decoded together by the batched engine.
    public var batch = 4
    /// Sessions held at once (the single engine gives each its own KV slot, plus one slot
    /// for requests without a session).
    public var sessions = 4
    public var prefillChunk = 64
    public var kvType = "f32"
    /// The plan (weights + arena) must fit this many bytes; 0: no limit.
    public var memoryBudgetBytes = 0

    // Session checkpoints (docs/checkpoints.md).
    /// Directory the sessions are checkpointed to and recovered from at start-up; nil:
    /// sessions live in memory only. Under systemd: the unit's StateDirectory.
    public var checkpointDir: String?
    /// A running request of a session is checkpointed every this many generated tokens
    /// (0: only at turn end and drain).
    public var checkpointEveryTokens = CheckpointWriter.Policy.defaultEveryTokens
    /// All checkpoints together stay under this; the lowest priority, then oldest go first.
    public var checkpointBudgetBytes = CheckpointWriter.Policy.defaultBudgetBytes
    /// KV pages on disk: "native" (same bits, exact resume) or "int8" (4× smaller for an
    /// f32 pool; resumed tokens may differ).
    public var checkpointKV = "native"

    // Socket.
    /// nil: `$XDG_RUNTIME_DIR/autoglm.sock`, or `/tmp/autoglm-UID/autoglm.sock` without it.
    public var socketPath: String?
    public var socketMode: UInt16 = 0o660
    /// Group that owns the socket file; nil: the daemon's own.
    public var socketGroup: String?
    /// Peers allowed by SO_PEERCRED: a peer is let in when its uid or its gid is listed.
    /// Both empty: the daemon's own uid only.
    public var allowedUids: [UInt32] = []
    public var allowedGids: [UInt32] = []
    /// Opt-in TCP listener on 127.0.0.1 for development; nil: none. Its peers have no
    /// credentials and act as the daemon's own uid, so it needs `allowInsecureTCP`.
    public var tcpPort: Int?
    /// `allow_insecure_tcp = true` (config file only): the acknowledgement that any local
    /// user may use the TCP listener.
    public var allowInsecureTCP = false

    // Limits.
    public var limits = ServerLimits()

    public init() {}

    /// Keys of board profiles (Platforms/*.toml) that describe the build, not the daemon.
    static let buildOnlyKeys: Set<String> = ["name", "target_triple", "target_cpu", "target_features"]

    /// Reads a TOML config. Unknown keys are errors (a typo must not be silently ignored).
    public static func load(path: String) throws -> DaemonConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(message: "cannot read config file \(path): \(error.localizedDescription)")
        }
        return try parse(toml: text, origin: path)
    }

    public static func parse(toml text: String, origin: String = "config") throws -> DaemonConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw ConfigError(message: "\(origin): not valid TOML: \(error)")
        }
        var config = DaemonConfig()
        let reader = ConfigReader(table: table, origin: origin)
        for key in table.keys {
            switch key {
            case "model": config.model = try reader.string(key)
            case "chat_template": config.chatTemplate = try reader.string(key)
            case "backend": config.backend = try reader.string(key)
            case "threads": config.threads = try reader.int(key, in: 0...RuntimeLimits.maxSupportedThreads)
            case "pin_threads": config.pinThreads = try reader.bool(key)
            case "context": config.context = try reader.int(key, in: 2...RuntimeLimits.maxSupportedContext)
            case "engine": config.engine = try EngineKind(name: try reader.string(key), origin: origin)
            case "batch": config.batch = try reader.int(key, in: 1...RuntimeLimits.maxSupportedBatch)
            case "sessions": config.sessions = try reader.int(key, in: 0...(RuntimeLimits.maxSupportedBatch - 1))
            case "prefill_chunk": config.prefillChunk = try reader.int(key, in: 1...65536)
            case "kv_type": config.kvType = try reader.string(key)
            case "memory_budget_bytes": config.memoryBudgetBytes = try reader.int(key, in: 0...Int.max)
            case "checkpoint_dir": config.checkpointDir = try reader.string(key)
            case "checkpoint_every_tokens": config.checkpointEveryTokens = try reader.int(key, in: 0...RuntimeLimits.maxSupportedContext)
            case "checkpoint_budget_bytes": config.checkpointBudgetBytes = try reader.int(key, in: 0...Int.max)
            case "checkpoint_kv": config.checkpointKV = try reader.string(key)
            case "socket_path": config.socketPath = try reader.string(key)
            case "socket_mode": config.socketMode = try parseSocketMode(try reader.string(key), origin: origin)
            case "socket_group": config.socketGroup = try reader.string(key)
            case "allowed_uids": config.allowedUids = try reader.ids(key)
            case "allowed_gids": config.allowedGids = try reader.ids(key)
            case "tcp_port": config.tcpPort = try reader.int(key, in: 0...65535)
            case "allow_insecure_tcp": config.allowInsecureTCP = try reader.bool(key)
            case "max_body_bytes": config.limits.maxBodyBytes = try reader.int(key, in: 1024...(1 << 30))
            case "max_prompt_tokens": config.limits.maxPromptTokens = try reader.int(key, in: 1...RuntimeLimits.maxSupportedContext)
            case "max_tokens": config.limits.maxTokens = try reader.int(key, in: 1...RuntimeLimits.maxSupportedContext)
            case "sessions_per_uid": config.limits.sessionsPerUid = try reader.int(key, in: 0...RuntimeLimits.maxSupportedBatch)
            case "queue_capacity": config.limits.queueCapacity = try reader.int(key, in: 1...100_000)
            case "header_timeout_ms": config.limits.headerTimeoutMilliseconds = try reader.int(key, in: 1...3_600_000)
            case "drain_timeout_ms": config.limits.drainTimeoutMilliseconds = try reader.int(key, in: 0...3_600_000)
            case let other where buildOnlyKeys.contains(other): continue
            default: throw ConfigError(message: "\(origin): unknown key \"\(key)\"")
            }
        }
        return config
    }

    /// "0660" or "660" (octal, as chmod takes it).
    public static func parseSocketMode(_ text: String, origin: String = "socket mode") throws -> UInt16 {
        guard let mode = UInt16(text, radix: 8), mode <= 0o777 else {
            throw ConfigError(message: "\(origin): socket_mode \"\(text)\" is not an octal mode ≤ 0777")
        }
        return mode
    }

    /// Where the socket goes when neither the config nor a flag names it: the user's
    /// runtime directory (systemd's `/run/user/UID`), or a private directory under /tmp
    /// when XDG_RUNTIME_DIR is unset.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["XDG_RUNTIME_DIR"], !dir.isEmpty { return dir + "/autoglm.sock" }
        return "/tmp/autoglm-\(getuid())/autoglm.sock"
    }

    /// The socket path with `$XDG_RUNTIME_DIR` (as the x86 profile writes it) expanded.
    public func resolvedSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let path = socketPath else { return DaemonConfig.defaultSocketPath(environment: environment) }
        guard path.contains("$XDG_RUNTIME_DIR") else { return path }
        let dir = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/autoglm-\(getuid())"
        return path.replacingOccurrences(of: "$XDG_RUNTIME_DIR", with: dir)
    }
}

extension DaemonConfig {
    /// The checkpoint KV storage named by checkpoint_kv.
    public func checkpointKVStorage() throws -> CheckpointKVStorage {
        switch checkpointKV {
        case "native": return .native
        case "int8": return .int8
        default: throw ConfigError(message: "checkpoint_kv \"\(checkpointKV)\" is not one of native, int8")
        }
    }

    /// The loopback TCP listener lets any local user in as the daemon's uid: it must be
    /// asked for twice (the port and allow_insecure_tcp), and it never serves alongside
    /// checkpoint_dir, whose sessions on disk belong to real uids.
    public func validateListeners() throws {
        guard tcpPort != nil else { return }
        guard allowInsecureTCP else {
            throw ConfigError(message: "--tcp-port / tcp_port: the loopback TCP listener has no peer credentials, so every local "
                + "user would act as this daemon's uid; it is for development only. To use it anyway, set "
                + "allow_insecure_tcp = true in the config file")
        }
        guard checkpointDir == nil else {
            throw ConfigError(message: "tcp_port cannot be combined with checkpoint_dir: a TCP peer acts as the daemon's uid and "
                + "would reach the checkpointed sessions of that uid; use the Unix socket, or drop one of the two")
        }
    }

    /// Checkpoints are written by the batched engine, whose requests keep their KV in pool
    /// pages; the single engine's slots are not checkpointed.
    public func validateCheckpoints() throws {
        guard checkpointDir != nil else { return }
        _ = try checkpointKVStorage()
        if engine == .single {
            throw ConfigError(message: "checkpoint_dir needs engine = \"batched\"; the single engine does not checkpoint sessions")
        }
        if checkpointKV == "int8" && kvType == "int8" {
            throw ConfigError(message: "checkpoint_kv = \"int8\" needs an f32 or f16 kv_type; an INT8 KV cache is stored natively")
        }
    }
}

public enum EngineKind: String, Sendable, CaseIterable {
    case batched, single

    public init(name: String, origin: String = "engine") throws {
        guard let kind = EngineKind(rawValue: name) else {
            throw ConfigError(message: "\(origin): engine \"\(name)\" is not one of batched, single")
        }
        self = kind
    }
}

/// Request limits; each one's error names the limit (DESIGN: limits are config).
public struct ServerLimits: Equatable, Sendable {
    /// Largest request body; more is 413.
    public var maxBodyBytes = 1 << 20
    /// Longest prompt after templating and tokenizing; more is 413.
    public var maxPromptTokens = 4096
    /// Largest max_tokens a request may ask for; more is 400.
    public var maxTokens = 1024
    /// Sessions one uid may hold; more is 429.
    public var sessionsPerUid = 2
    /// Completions waiting for the engine; more is 429.
    public var queueCapacity = 64
    /// A client must send its whole request head within this time (slowloris guard).
    public var headerTimeoutMilliseconds = 10_000
    /// On SIGTERM, running and queued requests get this long to finish.
    public var drainTimeoutMilliseconds = 30_000

    public init() {}
}

public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// Typed reads of TOML keys with errors that name the key, the value and the limit.
struct ConfigReader {
    let table: TOMLTable
    let origin: String

    func string(_ key: String) throws -> String {
        guard let value = table[key]?.string else { throw ConfigError(message: "\(origin): \(key) must be a string") }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = table[key]?.int else { throw ConfigError(message: "\(origin): \(key) must be an integer") }
        guard range.contains(value) else {
            throw ConfigError(message: "\(origin): \(key) = \(value) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        guard let value = table[key]?.bool else { throw ConfigError(message: "\(origin): \(key) must be true or false") }
        return value
    }

    func ids(_ key: String) throws -> [UInt32] {
        guard let array = table[key]?.array else { throw ConfigError(message: "\(origin): \(key) must be an array of ids") }
        return try array.map { element in
            guard let value = element.int, let id = UInt32(exactly: value) else {
                throw ConfigError(message: "\(origin): \(key) holds \(element), not a uid/gid")
            }
            return id
        }
    }
}
