import AutoGLM
/// `manifest.json` of a bundle: what the signature vouches for. Field names are the JSON
/// keys (snake_case), documented in docs/bundles.md.
public struct BundleManifest: Codable, Equatable, Sendable {
    public var format: Int
    /// Bundle name: which product line of models this is (updates keep the name).
    public var name: String
    /// Monotonically increasing; a deploy refuses a version not newer than the installed one.
    public var version: UInt64
    /// Path (in `files`) of the GGUF model.
    public var model: String
    public var files: [BundleFile]
    /// `ModelIdentity.fingerprint` of the model, hex: the loaded model must match it.
    public var modelFingerprint: String
    /// Greedy tokens the model must reproduce exactly (the canary).
    public var golden: [GoldenPrompt]
    /// The tool that wrote the manifest, for humans.
    public var createdBy: String

    enum CodingKeys: String, CodingKey {
        case format, name, version, model, files, golden
        case modelFingerprint = "model_fingerprint"
        case createdBy = "created_by"
    }

    public init(name: String, version: UInt64, model: String, files: [BundleFile], modelFingerprint: String,
                golden: [GoldenPrompt], createdBy: String) {
        format = BundleLimits.formatVersion
        self.name = name
        self.version = version
        self.model = model
        self.files = files
        self.modelFingerprint = modelFingerprint
        self.golden = golden
        self.createdBy = createdBy
    }
}

/// One file of a bundle, by its path relative to the bundle directory.
public struct BundleFile: Codable, Equatable, Sendable {
    public var path: String
    public var size: Int
    /// Lower-case hex SHA-256 of the file's bytes.
    public var sha256: String

    public init(path: String, size: Int, sha256: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }
}

/// A prompt (raw text, tokenized with the model's tokenizer, BOS as the model defaults)
/// and the greedy tokens it produced when the bundle was created.
public struct GoldenPrompt: Codable, Equatable, Sendable {
    public var prompt: String
    public var tokens: [Int32]

    public init(prompt: String, tokens: [Int32]) {
        self.prompt = prompt
        self.tokens = tokens
    }
}
