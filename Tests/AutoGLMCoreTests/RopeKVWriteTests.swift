import Testing
@testable import AutoGLMCore

/// RoPE fused with the KV write: a K row rotated on its way into the page must give the
/// page bytes of "rotate the row in place, then store it", for every KV element type,
/// both pair layouts (Llama's adjacent pairs, Qwen2's NeoX halves) and partial rotation
/// (GLM rotates only part of each head).
@Suite struct RopeKVWriteTests {
    @Test(arguments: ["llama-f32", "qwen2-f32", "glm-f32"], [KVCacheType.f32, .f16, .int8])
    func rotatedStoreEqualsRotateThenStore(fixture: String, type: KVCacheType) throws {
        let config = try Model(path: Fixtures.path("models/\(fixture).gguf")).config
        let layout = try KVPageLayout(config: config, type: type)
        var rng = KernelTests.Random(state: 0x5EED_0000 &+ UInt64(fixture.utf8.count) &* 31 &+ UInt64(type.bytes))
        let row = (0..<config.kvDim).map { _ in rng.float(4) }
        // cos/sin of arbitrary angles, as prepareRope lays them out.
        var table = [Float](repeating: 0, count: config.ropeDimensions)
        for i in 0..<(config.ropeDimensions / 2) {
            let (c, s) = DeterministicMath.cosSin(Double(rng.float(40)))
            table[2 * i] = Float(c)
            table[2 * i + 1] = Float(s)
        }
        let fused = Page(layout), separate = Page(layout), unrotated = Page(layout)
        let layer = config.layerCount - 1, slot = 5
        table.withUnsafeBufferPointer { t in
            let rope = RopeRotation(table: t.baseAddress!, rotatedDims: config.ropeDimensions, headDim: config.headDim,
                                    pairsAreAdjacent: config.ropeStyle == .normal)
            row.withUnsafeBufferPointer { r in
                KVRowCodec.store(KVRotatedRow(row: r.baseAddress!, rope: rope), page: fused.bytes, layout: layout,
                                 layer: layer, value: false, slot: slot)
                KVRowCodec.store(r.baseAddress!, page: unrotated.bytes, layout: layout, layer: layer, value: false, slot: slot)
            }
            let rotated = Self.rotate(row, table: table, config: config)
            rotated.withUnsafeBufferPointer {
                KVRowCodec.store($0.baseAddress!, page: separate.bytes, layout: layout, layer: layer, value: false, slot: slot)
            }
        }
        #expect(fused.contents == separate.contents)
        #expect(fused.contents != unrotated.contents, "the rotation must have changed the stored row")
    }

    /// RoPE written out from its definition, independently of RopeRotation: pair (a, b)
    /// at angle i becomes (a·cos − b·sin, a·sin + b·cos); NORM pairs (2i, 2i+1), NeoX
    /// pairs (i, i + n_rot/2); dims past n_rot unchanged.
    static func rotate(_ row: [Float], table: [Float], config: ModelConfig) -> [Float] {
        var out = row
        let half = config.ropeDimensions / 2
        for h in 0..<config.kvHeadCount {
            let base = h * config.headDim
            for i in 0..<half {
                let (ia, ib) = config.ropeStyle == .normal ? (2 * i, 2 * i + 1) : (i, i + half)
                let a = row[base + ia], b = row[base + ib], c = table[2 * i], s = table[2 * i + 1]
                out[base + ia] = a * c - b * s
                out[base + ib] = a * s + b * c
            }
        }
        return out
    }

    /// Q's in-place rotation is the same definition.
    @Test(arguments: ["llama-f32", "qwen2-f32", "glm-f32"])
    func inPlaceRotationIsTheDefinition(fixture: String) throws {
        let config = try Model(path: Fixtures.path("models/\(fixture).gguf")).config
        var rng = KernelTests.Random(state: 77)
        let row = (0..<config.kvDim).map { _ in rng.float(4) }
        let table = (0..<config.ropeDimensions).map { _ in rng.float(1) }
        var rotated = row
        table.withUnsafeBufferPointer { t in
            let rope = RopeRotation(table: t.baseAddress!, rotatedDims: config.ropeDimensions, headDim: config.headDim,
                                    pairsAreAdjacent: config.ropeStyle == .normal)
            rotated.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, heads: config.kvHeadCount) }
        }
        #expect(rotated.map(\.bitPattern) == Self.rotate(row, table: table, config: config).map(\.bitPattern))
    }

    /// One zeroed page of `layout`.
    final class Page {
        let bytes: UnsafeMutableRawPointer
        let count: Int
        init(_ layout: KVPageLayout) {
            count = layout.pageBytes
            bytes = .allocate(byteCount: count, alignment: 64)
            bytes.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        }
        deinit { bytes.deallocate() }
        var contents: [UInt8] { Array(UnsafeRawBufferPointer(start: bytes, count: count)) }
    }
}
