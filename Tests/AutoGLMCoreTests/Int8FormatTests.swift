import Testing
@testable import AutoGLMCore

/// The loader's checks on INT8 matrices (docs/int8-format.md): every way the companions
/// or the version key can be wrong gives its own typed error.
@Suite struct Int8FormatTests {
    static let rows = 3, cols = 64

    /// A file with matrix "w" (I8 [64, 3]) and whatever companions `adjust` leaves.
    static func file(version: GGUFBuilder.Value? = .u32(1), cols: Int = cols,
                     scale: (shape: [Int], type: TensorType)? = ([rows], .f32),
                     zeroPoint: (shape: [Int], type: TensorType)? = nil,
                     scaleBits: UInt32 = 0x3C23_D70A) throws(CoreError) -> GGUFFile {
        var b = GGUFBuilder()
        if let version { b.metadata.append((Int8Format.versionKey, version)) }
        b.addTensor("w", shape: [cols, rows], type: .int8)
        if let scale {
            b.addTensor("w.scale", shape: scale.shape, type: scale.type)
            if scale.type == .f32 {
                // Fill with a valid scale (0.01); the builder filled counting bytes.
                let start = Int(b.tensors.last!.offset)
                for i in 0..<scale.shape.reduce(1, *) {
                    withUnsafeBytes(of: scaleBits.littleEndian) { b.data.replaceSubrange((start + 4 * i)..<(start + 4 * i + 4), with: $0) }
                }
            }
        }
        if let zeroPoint { b.addTensor("w.zero_point", shape: zeroPoint.shape, type: zeroPoint.type) }
        return try parseGGUF(b.bytes())
    }

    static func load(_ gguf: GGUFFile, cols: Int = cols) throws(CoreError) -> WeightMatrix {
        try Int8Format.matrix(gguf.tensor(named: "w")!, in: gguf, rows: rows, cols: cols)
    }

    @Test func wellFormedFilesLoad() throws {
        let symmetric = try Self.load(try Self.file())
        #expect(symmetric.rowScales![2] == 0.01 && symmetric.zeroPoints == nil)
        #expect(symmetric.residentBytes == 3 * 64 + 3 * 4)
        let asymmetric = try Self.load(try Self.file(zeroPoint: ([3], .int8)))
        #expect(asymmetric.zeroPoints != nil && asymmetric.residentBytes == 3 * 64 + 3 * 4 + 3)
        var row = [Float](repeating: .nan, count: 64)
        asymmetric.dequantizeRow(1, into: &row)
        // Builder bytes count up from 0: row 1 holds 64…127, zero point of row 1 is 1.
        #expect(row[0] == 0.01 * Float(64 - 1) && row[63] == 0.01 * Float(127 - 1))
        #expect(Int8Format.owner(ofCompanion: try #require(try Self.file().tensor(named: "w.scale")), in: try Self.file())?.name == "w")
    }

    @Test func versionKeyMustBePresentAndKnown() {
        #expect(throws: CoreError.model(.int8FormatVersion(tensor: "w", found: "absent", supported: 1))) {
            _ = try Self.load(try Self.file(version: nil))
        }
        #expect(throws: CoreError.model(.int8FormatVersion(tensor: "w", found: "2", supported: 1))) {
            _ = try Self.load(try Self.file(version: .u32(2)))
        }
    }

    @Test func scaleMustExistWithOneF32PerRow() {
        #expect(throws: CoreError.model(.missingTensor(name: "w.scale"))) { _ = try Self.load(try Self.file(scale: nil)) }
        #expect(throws: CoreError.model(.wrongShape(tensor: "w.scale", expected: [3], found: [2]))) {
            _ = try Self.load(try Self.file(scale: ([2], .f32)))
        }
        #expect(throws: CoreError.model(.wrongShape(tensor: "w.scale", expected: [3], found: [3, 1]))) {
            _ = try Self.load(try Self.file(scale: ([3, 1], .f32)))
        }
        #expect(throws: CoreError.model(.unsupportedTensorType(tensor: "w.scale", type: "F16"))) {
            _ = try Self.load(try Self.file(scale: ([3], .f16)))
        }
    }

    @Test func scalesMustBeFiniteAndNonNegative() {
        for bits: UInt32 in [0x7FC0_0000, 0x7F80_0000, 0xBF80_0000] {  // NaN, +∞, −1
            #expect(throws: CoreError.model(.invalidScale(tensor: "w.scale", row: 0, bits: bits))) {
                _ = try Self.load(try Self.file(scaleBits: bits))
            }
        }
    }

    @Test func zeroPointMustBeI8WithOnePerRow() {
        #expect(throws: CoreError.model(.unsupportedTensorType(tensor: "w.zero_point", type: "F32"))) {
            _ = try Self.load(try Self.file(zeroPoint: ([3], .f32)))
        }
        #expect(throws: CoreError.model(.wrongShape(tensor: "w.zero_point", expected: [3], found: [4]))) {
            _ = try Self.load(try Self.file(zeroPoint: ([4], .int8)))
        }
    }

    @Test func rowsMustFillActivationBlocks() {
        #expect(throws: CoreError.model(.rowLengthNotMultiple(tensor: "w", rowElements: 48, multiple: 32))) {
            _ = try Self.load(try Self.file(cols: 48), cols: 48)
        }
    }
}
