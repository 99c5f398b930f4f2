/// A 64-bit identity of (model, KV type) for the prefix cache's hash chains: KV computed
/// by another model — or stored in another precision — must never be reused. Mixes the
/// config, the weight sizes and a sample of weight bytes (the start of the embedding,
/// every layer's Q projection and the output), enough to tell apart two files of the
/// same shape.
func modelFingerprint(_ model: Model, kvType: KVCacheType) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            h = (h ^ (x & 0xff)) &* 0x0000_0100_0000_01b3
            x >>= 8
        }
    }
    func mixBytes(_ p: UnsafeRawPointer, _ count: Int) {
        for i in 0..<count { h = (h ^ UInt64(p.load(fromByteOffset: i, as: UInt8.self))) &* 0x0000_0100_0000_01b3 }
    }
    let c = model.config
    for b in c.architecture.utf8 { mix(UInt64(b)) }
    for v in [c.embeddingLength, c.layerCount, c.headCount, c.kvHeadCount, c.headDim, c.feedForwardLength,
              c.vocabularySize, c.ropeDimensions, model.weightsBytes, kvType.bytes] {
        mix(UInt64(bitPattern: Int64(v)))
    }
    mix(UInt64(c.rmsEps.bitPattern))
    mix(c.ropeBase.bitPattern)
    let sample = 64
    mixBytes(model.tokenEmbedding.data, min(sample, model.tokenEmbedding.byteCount))
    for layer in model.layers { mixBytes(layer.wq.data, min(sample, layer.wq.byteCount)) }
    mixBytes(model.output.data, min(sample, model.output.byteCount))
    return h
}

extension Model {
    /// The model's identity as a signed bundle records it (docs/bundles.md): the prefix
    /// cache's fingerprint for an F32 KV pool, so a bundle and its checkpoints agree.
    public var fingerprint: UInt64 { modelFingerprint(self, kvType: .f32) }
}
