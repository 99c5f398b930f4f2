import Foundation
import Testing
@testable import AutoGLMCore

/// A fresh path in the temporary directory, removed (with its .tmp) when the test ends.
final class TemporaryPath {
    let path: String
    init(_ name: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }
    deinit {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: path + GGUFWriter.temporarySuffix)
    }
    var exists: Bool { FileManager.default.fileExists(atPath: path) }
    var temporaryExists: Bool { FileManager.default.fileExists(atPath: path + GGUFWriter.temporarySuffix) }
}

@Suite struct GGUFWriterTests {
    /// Every value type, scalars and arrays (nested and empty ones included); float32
    /// values are exactly representable so they compare equal after the round trip.
    static var everyType: [GGUFMetadataEntry] { [
        .init(key: "general.architecture", type: .string, value: .string("llama")),
        .init(key: "general.alignment", type: .uint32, value: .int(64)),
        .init(key: "t.u8", type: .uint8, value: .int(255)),
        .init(key: "t.i8", type: .int8, value: .int(-128)),
        .init(key: "t.u16", type: .uint16, value: .int(65535)),
        .init(key: "t.i16", type: .int16, value: .int(-32768)),
        .init(key: "t.u32", type: .uint32, value: .int(4_294_967_295)),
        .init(key: "t.i32", type: .int32, value: .int(-2_147_483_648)),
        .init(key: "t.u64", type: .uint64, value: .uint64(UInt64.max)),
        .init(key: "t.u64small", type: .uint64, value: .int(7)),
        .init(key: "t.i64", type: .int64, value: .int(Int64.min)),
        .init(key: "t.f32", type: .float32, value: .float(Double(Float(1e-5)))),
        .init(key: "t.f64", type: .float64, value: .float(0.1)),
        .init(key: "t.bool", type: .bool, value: .bool(true)),
        .init(key: "t.str", type: .string, value: .string("héllo\n\u{0}wörld")),
        .init(key: "t.arr.str", type: .array, value: .array(.string, [.string("a"), .string(""), .string("Ġb")])),
        .init(key: "t.arr.i32", type: .array, value: .array(.int32, [.int(-1), .int(2), .int(3)])),
        .init(key: "t.arr.u8", type: .array, value: .array(.uint8, [.int(0), .int(255)])),
        .init(key: "t.arr.f32", type: .array, value: .array(.float32, [.float(0.5), .float(-2)])),
        .init(key: "t.arr.f64", type: .array, value: .array(.float64, [.float(0.1)])),
        .init(key: "t.arr.bool", type: .array, value: .array(.bool, [.bool(false), .bool(true)])),
        .init(key: "t.arr.empty", type: .array, value: .array(.uint16, [])),
        .init(key: "t.arr.nested", type: .array,
              value: .array(.array, [.array(.int64, [.int(1), .int(-2)]), .array(.string, [.string("x")])])),
    ] }

    /// Every tensor type, 1-D to 4-D.
    static var tensors: [GGUFTensorDescriptor] { [
        .init(name: "a.f32", shape: [5], type: .f32),
        .init(name: "b.f16", shape: [3, 7], type: .f16),
        .init(name: "c.q8_0", shape: [64, 3], type: .q8_0),
        .init(name: "d.bf16", shape: [2, 3, 4], type: .bf16),
        .init(name: "e.q4_0", shape: [32, 1, 2, 1], type: .q4_0),
    ] }

    static func pattern(_ tensor: Int, _ bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ tensor &* 7 &+ 1) }
    }

    @Test func roundTripsEveryMetadataTypeAndTensor() throws {
        let out = TemporaryPath("roundtrip.gguf")
        let writer = try GGUFWriter(path: out.path, metadata: Self.everyType, tensors: Self.tensors)
        #expect(writer.alignment == 64)
        for (i, info) in writer.tensors.enumerated() {
            let bytes = Self.pattern(i, info.byteCount)
            // Written in two pieces: append accepts a tensor in chunks.
            let split = bytes.count / 3
            try bytes[..<split].withUnsafeBytes { try writer.append($0) }
            try bytes[split...].withUnsafeBytes { try writer.append($0) }
        }
        #expect(out.temporaryExists && !out.exists)
        try writer.finish()
        #expect(out.exists && !out.temporaryExists)

        let gguf = try GGUFFile(path: out.path)
        #expect(gguf.version == 3)
        #expect(gguf.alignment == 64)
        #expect(gguf.metadataEntries == Self.everyType)
        #expect(gguf.file.count == writer.fileBytes)
        #expect(gguf.tensors.count == Self.tensors.count)
        for (i, d) in Self.tensors.enumerated() {
            let t = try #require(gguf.tensor(named: d.name))
            #expect(t.shape == d.shape && t.type == d.type)
            #expect(t.offset % 64 == 0)
            #expect(Array(gguf.bytes(for: t)) == Self.pattern(i, t.byteCount))
        }
    }

    @Test func defaultAlignmentIs32AndATensorlessFileWorks() throws {
        let out = TemporaryPath("empty.gguf")
        let writer = try GGUFWriter(path: out.path, metadata: [.init(key: "k", type: .string, value: .string("v"))], tensors: [])
        try writer.finish()
        let gguf = try GGUFFile(path: out.path)
        #expect(gguf.alignment == 32 && gguf.tensors.isEmpty && gguf.string("k") == "v")
    }

    @Test func anUnfinishedWriterLeavesNoFile() throws {
        let out = TemporaryPath("unfinished.gguf")
        do {
            let writer = try GGUFWriter(path: out.path, metadata: [], tensors: [Self.tensors[0]])
            #expect(out.temporaryExists)
            #expect(throws: CoreError.self) { try writer.finish() }
        }
        #expect(!out.exists && !out.temporaryExists)
    }

    @Test func rejectsBadInput() throws {
        let out = TemporaryPath("bad.gguf")
        // Too many bytes for the tensor.
        let writer = try GGUFWriter(path: out.path, metadata: [], tensors: [Self.tensors[0]])
        let tooMany = [UInt8](repeating: 0, count: 21)
        #expect(throws: CoreError.self) { try tooMany.withUnsafeBytes { try writer.append($0) } }
        // A value that does not fit its type, a duplicate key, a row that does not fill a block.
        #expect(throws: CoreError.self) {
            _ = try GGUFWriter(path: out.path, metadata: [.init(key: "x", type: .uint8, value: .int(256))], tensors: [])
        }
        #expect(throws: CoreError.gguf(.duplicateKey(key: "x"))) {
            _ = try GGUFWriter(path: out.path, metadata: [.init(key: "x", type: .bool, value: .bool(true)),
                                                          .init(key: "x", type: .bool, value: .bool(false))], tensors: [])
        }
        #expect(throws: CoreError.gguf(.rowNotBlockAligned(tensor: "q", rowElements: 48, blockSize: 32))) {
            _ = try GGUFWriter(path: out.path, metadata: [], tensors: [.init(name: "q", shape: [48, 2], type: .q8_0)])
        }
        #expect(throws: CoreError.self) {
            _ = try GGUFWriter(path: "/nonexistent-dir/x.gguf", metadata: [], tensors: [])
        }
    }
}
