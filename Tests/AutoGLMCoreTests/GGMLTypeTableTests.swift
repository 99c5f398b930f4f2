import Testing
@testable import AutoGLMCore

@Suite struct GGMLTypeTableTests {
    /// Block sizes from the GGUF spec / gguf-py's GGML_QUANT_SIZES (QK_K = 256).
    @Test func knownTypesHaveGGMLNamesAndSizes() {
        let expected: [(UInt32, String, Int, Int)] = [
            (3, "Q4_1", 32, 20), (6, "Q5_0", 32, 22), (10, "Q2_K", 256, 84), (12, "Q4_K", 256, 144),
            (14, "Q6_K", 256, 210), (23, "IQ4_XS", 256, 136), (28, "F64", 1, 8), (35, "TQ2_0", 256, 66),
            (39, "MXFP4", 32, 17),
        ]
        for (id, name, block, bytes) in expected {
            let t = GGMLType.withID(id)
            #expect(t?.name == name)
            #expect(t?.blockSize == block && t?.bytesPerBlock == bytes, "\(name)")
        }
        #expect(GGMLType.describe(12) == "Q4_K (12)")
        #expect(GGMLType.describe(9999) == "unknown (9999)")
        #expect(GGMLType.withID(UInt32.max) == nil)
    }

    /// The types the runtime runs have the same layout in both tables.
    @Test func runnableTypesAgreeWithTensorType() {
        for t in TensorType.allCases {
            let g = GGMLType.withID(t.rawValue)
            #expect(g?.name == t.name)
            #expect(g?.blockSize == t.blockSize && g?.bytesPerBlock == t.bytesPerBlock, "\(t.name)")
        }
    }

    @Test func unsupportedTypeIsNamedInTheError() {
        let message = CoreError.gguf(.unknownTensorType(tensor: "blk.0.ffn_up.weight", type: 20)).message
        #expect(message.contains("'blk.0.ffn_up.weight' has type IQ4_NL (20)"))
        #expect(!message.contains("type 20"))
    }

    @Test func fileWithAnIQ4NLTensorIsListedWhenAskedAndRefusedOtherwise() throws {
        var b = GGUFBuilder()
        b.metadata = [("general.architecture", .string("test"))]
        b.addTensor("a", shape: [8], type: .f32, fill: 1)
        b.addTensor("k", shape: [256, 2], type: .f32, fill: 2)
        b.addTensor("z", shape: [8], type: .f32, fill: 3)
        var bytes = b.bytes()
        // Retype tensor "k" as IQ4_NL: 2 rows of 8 × 18 bytes fit in its 2048 F32 bytes.
        retype(&bytes, tensor: "k", to: 20)

        #expect(throws: CoreError.gguf(.unknownTensorType(tensor: "k", type: 20))) { try parseGGUF(bytes) }
        let gguf = try parseGGUF(bytes, acceptingUnsupportedTensorTypes: true)
        #expect(gguf.tensors.map(\.name) == ["a", "z"])
        #expect(gguf.tensor(named: "k") == nil)
        #expect(gguf.unsupportedTensors.count == 1)
        let k = gguf.unsupportedTensors[0]
        #expect(k.name == "k" && k.shape == [256, 2] && k.position == 1)
        #expect(k.typeDescription == "IQ4_NL (20)")
        #expect(k.byteCount == 288)
    }

    @Test func typeIdGGMLNeverDefinedIsListedWithoutASize() throws {
        var b = GGUFBuilder()
        b.addTensor("x", shape: [8], type: .f32, fill: 1)
        var bytes = b.bytes()
        retype(&bytes, tensor: "x", to: 200)
        let gguf = try parseGGUF(bytes, acceptingUnsupportedTensorTypes: true)
        #expect(gguf.unsupportedTensors.first?.byteCount == nil)
        #expect(gguf.unsupportedTensors.first?.typeDescription == "unknown (200)")
    }

    /// Overwrites the type field of `tensor`'s info (name, n_dims, dims, then the u32 type).
    private func retype(_ bytes: inout [UInt8], tensor: String, to type: UInt32) {
        let name = Array(tensor.utf8)
        var at = 0
        search: for i in 8..<(bytes.count - name.count) {
            let length = bytes[i - 8..<i].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            if length == name.count && Array(bytes[i..<i + name.count]) == name { at = i + name.count; break search }
        }
        precondition(at > 0, "tensor info not found")
        let dims = Int(bytes[at])
        let typeAt = at + 4 + 8 * dims
        for j in 0..<4 { bytes[typeAt + j] = UInt8(truncatingIfNeeded: type >> (8 * j)) }
    }
}
