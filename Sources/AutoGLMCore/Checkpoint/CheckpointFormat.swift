/// The checkpoint file, version 1. Little-endian throughout.
///
///   file header   magic "AGLMCKPT" (8) · version u32 · section count u32 · CRC32C of those 16 bytes u32
///   sections      in this order, each: tag u32 · payload length u64 · payload CRC32C u32 · payload
///     HEAD  identity: model fingerprint, tokenizer hash, backend, KV type and page layout,
///           session key, save counter, save time, priority
///     TOKN  token count u32 · ids i32…
///     SAMP  sampler config · RNG state (4 × u64)
///     GENS  generation: prompt count, generated count, max new tokens, KV positions,
///           KV storage, finished flag
///     KVPG  the pages holding positions 0..<kvPositions, in page-table order
///
/// KVPG comes last so a scan can validate everything else and leave the page bytes on
/// disk until the session is used (lazy restore).
public enum CheckpointFormat {
    public static let magic: [UInt8] = Array("AGLMCKPT".utf8)
    public static let version: UInt32 = 1
    static let fileHeaderBytes = 20
    static let sectionHeaderBytes = 16
    static let sectionCount: UInt32 = 5

    static let head = tag("HEAD")
    static let tokens = tag("TOKN")
    static let sampler = tag("SAMP")
    static let generation = tag("GENS")
    static let kvPages = tag("KVPG")
    static let sectionOrder: [(UInt32, String)] = [
        (head, "HEAD"), (tokens, "TOKN"), (sampler, "SAMP"), (generation, "GENS"), (kvPages, "KVPG"),
    ]

    /// Limits on what a file may claim, far above any real session, so a damaged count
    /// cannot make the reader allocate or loop without bound.
    public static let maxTokens = 1 << 22
    public static let maxSessionKeyBytes = 256
    public static let maxMetadataSectionBytes = 4 * maxTokens + 64

    static func tag(_ s: StaticString) -> UInt32 {
        var v: UInt32 = 0
        let p = s.utf8Start
        for i in 0..<4 { v |= UInt32(p[i]) << (8 * UInt32(i)) }
        return v
    }
}

/// How the KV pages are stored in the file.
public enum CheckpointKVStorage: UInt8, Equatable, Sendable {
    /// The pool's own bytes: restoring gives the same bits, so a resumed generation
    /// produces exactly the tokens of the uninterrupted one.
    case native = 0
    /// Each head row quantized to INT8 with one f32 scale (as the INT8 KV cache does):
    /// 4× smaller than f32 on disk, but restored KV differs within scale/2 per element,
    /// so resumed tokens may differ. For f32/f16 pools only.
    case int8 = 1
}
