import Testing
@testable import AutoGLMCore

@Suite struct GGUFActivationRangesTests {
    static let tensor = "blk.0.attn_q.weight"

    static func file(_ fields: [(String, GGUFBuilder.Value)]) throws -> GGUFFile {
        var b = GGUFBuilder()
        b.metadata = [("general.architecture", .string("llama"))]
        for (field, value) in fields { b.metadata.append((ActivationRangeKeys.key(tensor: tensor, field: field), value)) }
        return try parseGGUF(b.bytes())
    }

    @Test func rangesWrittenByTheWriterReadBack() throws {
        let range = StaticActivationRange(scale: 0.03125, clip: 3.96875, min: -5.5, max: 7.25)
        let entries = [GGUFMetadataEntry(key: "general.architecture", type: .string, value: .string("llama"))]
            + GGUFFile.activationRangeEntries(tensor: Self.tensor, range: range)
        let out = TemporaryPath("ranges.gguf")
        let writer = try GGUFWriter(path: out.path, metadata: entries, tensors: [])
        try writer.finish()
        let gguf = try GGUFFile(path: out.path)
        #expect(gguf.metadata["autoglm.activation.blk.0.attn_q.weight.scale"] == .float(0.03125))
        #expect(try gguf.staticActivationRange(tensor: Self.tensor) == range)
        #expect(try gguf.staticActivationRange(tensor: "blk.0.attn_k.weight") == nil)
    }

    @Test func damagedRangesAreRefused() throws {
        let good: [(String, GGUFBuilder.Value)] = [("scale", .f32(0.5)), ("clip", .f32(63.5)), ("min", .f32(-1)), ("max", .f32(2))]
        #expect(try Self.file(good).staticActivationRange(tensor: Self.tensor)?.clip == 63.5)
        let zeroScale = [("scale", GGUFBuilder.Value.f32(0))] + good.dropFirst()
        #expect(throws: CoreError.self) { try Self.file(zeroScale).staticActivationRange(tensor: Self.tensor) }
        let nanClip = [good[0], ("clip", GGUFBuilder.Value.f32(.nan)), good[2], good[3]]
        #expect(throws: CoreError.self) { try Self.file(nanClip).staticActivationRange(tensor: Self.tensor) }
        let stringMin = [good[0], good[1], ("min", GGUFBuilder.Value.string("-1")), good[3]]
        #expect(throws: CoreError.self) { try Self.file(stringMin).staticActivationRange(tensor: Self.tensor) }
        let inverted = [good[0], good[1], ("min", GGUFBuilder.Value.f32(3)), good[3]]
        #expect(throws: CoreError.self) { try Self.file(inverted).staticActivationRange(tensor: Self.tensor) }
        #expect(throws: CoreError.self) { try Self.file(Array(good.prefix(2))).staticActivationRange(tensor: Self.tensor) }
    }
}
