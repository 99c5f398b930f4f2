import AutoGLM

/// What `autoglmd --check-config` prints: the resolved settings and the memory plan,
/// with the MemoryMax a systemd unit should carry.
public struct ConfigReport {
    public let config: DaemonConfig
    public let model: DaemonModel

    public init(config: DaemonConfig, model: DaemonModel) {
        self.config = config
        self.model = model
    }

    /// Headroom over the plan for the Swift runtime, NIO buffers and request data.
    public static let memoryMaxHeadroomBytes = 256 << 20

    public var suggestedMemoryMax: Int { model.plan.totalBytes + Self.memoryMaxHeadroomBytes }

    public var text: String {
        let c = config
        let l = c.limits
        var lines = [
            "model: \(model.path) (\(model.model.config.architecture), chat template \(model.template.rawValue))",
            "backend: \(model.backend.name), threads \(model.limits.threads)\(model.limits.pinThreads ? " (pinned)" : "")",
            "socket: \(c.resolvedSocketPath()) mode \(String(c.socketMode, radix: 8)) group \(c.socketGroup ?? "(daemon's)")",
            "allowed peers: uids \(c.allowedUids.isEmpty ? "(daemon's own)" : c.allowedUids.map(String.init).joined(separator: ",")) "
                + "gids \(c.allowedGids.map(String.init).joined(separator: ","))",
            "tcp: \(c.tcpPort.map { "127.0.0.1:\($0)" } ?? "off")",
            c.engine == .single
                ? "engine: single (one request at a time); sessions: \(c.sessions) KV slots (+1 for requests without a session), \(l.sessionsPerUid) per uid"
                : "engine: batched, \(c.batch) sequences per step; sessions: \(c.sessions) (prefix cache), \(l.sessionsPerUid) per uid",
            "limits: body \(l.maxBodyBytes) bytes, prompt \(l.maxPromptTokens) tokens, max_tokens \(l.maxTokens), "
                + "queue \(l.queueCapacity), request read \(l.headerTimeoutMilliseconds) ms, drain \(l.drainTimeoutMilliseconds) ms",
            c.checkpointDir.map { "checkpoints: \($0), every \(c.checkpointEveryTokens) tokens, budget "
                + "\(formatBytes(c.checkpointBudgetBytes)), KV \(c.checkpointKV)" } ?? "checkpoints: off",
            model.plan.description,
        ]
        if c.memoryBudgetBytes > 0 {
            lines.append("fits the budget of \(formatBytes(c.memoryBudgetBytes))")
        }
        lines.append("systemd MemoryMax=\(suggestedMemoryMax) (plan + \(formatBytes(Self.memoryMaxHeadroomBytes)) headroom)")
        return lines.joined(separator: "\n")
    }
}
