import AutoGLM

/// `current` in a slots directory: which slot the daemon runs, and what a failed start
/// falls back to. One small file replaced by rename + directory fsync, so a crash leaves
/// the old pointer or the new one, never a mix.
public struct SlotPointer: Codable, Equatable, Sendable {
    public var slot: String
    /// The slot to return to; nil once it has been cleared for a new deploy.
    public var previous: String?
    /// Set by a deploy; cleared (`confirm`) once a daemon reached READY on the slot. Starts
    /// made while set are counted: too many, and the next start reverts (A/B boot counter).
    public var trial: Bool
    public var attempts: Int
    /// Why the last slot was abandoned, for /v1/models and the log.
    public var reverted: String?

    public init(slot: String, previous: String?, trial: Bool, attempts: Int = 0, reverted: String? = nil) {
        self.slot = slot
        self.previous = previous
        self.trial = trial
        self.attempts = attempts
        self.reverted = reverted
    }
}

/// `slot-record.json` in a slot: what a deploy verified. At start-up the signature and this
/// record are checked (cheap), not the full hashes (expensive: re-hashed after READY).
public struct SlotRecord: Codable, Equatable, Sendable {
    /// SHA-256 of the manifest bytes the record is about.
    public var manifestSha256: String
    public var version: UInt64
    public var files: [BundleFile]
    public var signer: String

    enum CodingKeys: String, CodingKey {
        case manifestSha256 = "manifest_sha256"
        case version, files, signer
    }
}
