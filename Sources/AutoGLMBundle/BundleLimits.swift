import AutoGLM
/// Bounds on what a bundle may hold. A manifest arrives from outside the vehicle (an
/// update server, a USB stick), so every size is checked before anything is read.
public enum BundleLimits {
    /// manifest.json is read whole into memory: a huge one is refused unread.
    public static let maxManifestBytes = 1 << 20
    /// manifest.sig holds one base64 Ed25519 signature (88 characters and a newline).
    public static let maxSignatureFileBytes = 1024
    public static let maxFiles = 64
    public static let maxPathBytes = 255
    public static let maxNameBytes = 64
    public static let maxGoldenPrompts = 32
    public static let maxGoldenTokens = 512
    public static let maxGoldenPromptBytes = 4096
    /// Files are hashed in chunks of this size: a 4 GB model needs no 4 GB buffer.
    public static let hashChunkBytes = 4 << 20
    /// The manifest format this build writes and reads.
    public static let formatVersion = 1
}
