import Foundation
import Testing
@testable import AutoGLMCore

/// One file of Tests/Fixtures/bad-gguf (made by tools/make_bad_gguf.py) and what the
/// reader must do with it.
struct GGUFFixture: Sendable, CustomTestStringConvertible {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad-gguf")

    let name: String
    /// A GGUFError case name, "valid", or "model.<ModelError case>" (valid GGUF).
    let expected: String

    var path: String { GGUFFixture.directory.appendingPathComponent(name).path }
    var testDescription: String { "\(name) → \(expected)" }

    /// Text the error message must contain (messages.json), e.g. the key it names.
    var expectedInMessage: String? { GGUFFixture.messages[name] }

    static let messages: [String: String] = {
        let url = directory.appendingPathComponent("messages.json")
        guard let data = try? Data(contentsOf: url),
              let messages = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return messages
    }()

    /// An error naming something from the file must stay one short printable line, whatever
    /// the file holds (a 47 KB key of NULs must not reach the terminal).
    func checkMessage(_ message: String) {
        #expect(!message.isEmpty)
        #expect(message.utf8.count <= GGUFFixture.maxMessageBytes,
                "\(name): \(message.utf8.count)-byte message")
        // Our own sentences may use "…" or "≥"; nothing invisible or terminal-controlling.
        #expect(message.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) },
                "\(name): control characters in \(message.debugDescription.prefix(300))")
        if let expected = expectedInMessage {
            #expect(message.contains(expected), "\(name): \(message) does not contain \(expected)")
        }
    }

    /// Two quoted names of UntrustedText.maxShownCharacters plus the sentence around them.
    static let maxMessageBytes = 400

    static func all() -> [GGUFFixture] {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url),
              let manifest = try? JSONDecoder().decode([String: String].self, from: data) else { return [] }
        return manifest.keys.sorted().map { GGUFFixture(name: $0, expected: manifest[$0]!) }
    }
}

@Suite struct GGUFFixtureTests {
    @Test func manifestListsEnoughFixtures() {
        let fixtures = GGUFFixture.all()
        #expect(fixtures.filter { $0.expected != "valid" && !$0.expected.hasPrefix("model.") }.count >= 24)
        #expect(fixtures.contains { $0.expected == "valid" })
        // Every fixture on disk is in the manifest, so none is silently untested.
        let onDisk = (try? FileManager.default.contentsOfDirectory(atPath: GGUFFixture.directory.path)) ?? []
        #expect(Set(onDisk.filter { $0.hasSuffix(".gguf") }) == Set(fixtures.map(\.name)))
    }

    @Test(arguments: GGUFFixture.all())
    func fixtureParsesAsExpected(_ fixture: GGUFFixture) throws {
        let outcome: Result<GGUFFile, CoreError>
        do { outcome = .success(try GGUFFile(path: fixture.path)) } catch { outcome = .failure(error) }

        switch outcome {
        case .success(let gguf):
            #expect(fixture.expected == "valid" || fixture.expected.hasPrefix("model."),
                    "\(fixture.name) parsed, expected \(fixture.expected)")
            #expect(gguf.dataOffset <= gguf.file.count)
        case .failure(.gguf(let error)):
            #expect(caseName(error) == fixture.expected, "\(fixture.name): \(error.message)")
            fixture.checkMessage(CoreError.gguf(error).message)
        case .failure(let other):
            Issue.record("\(fixture.name): not a GGUF error: \(other.message)")
        }
    }

    @Test(arguments: GGUFFixture.all().filter { $0.expected.hasPrefix("model.") })
    func modelFixtureLoadsAsExpected(_ fixture: GGUFFixture) throws {
        let expected = String(fixture.expected.dropFirst("model.".count))
        do {
            _ = try Model(path: fixture.path)
            #expect(expected == "loads", "\(fixture.name) loaded, expected \(fixture.expected)")
        } catch .model(let error) {
            #expect(caseName(error) == expected, "\(fixture.name): \(error.message)")
            fixture.checkMessage(CoreError.model(error).message)
        } catch {
            Issue.record("\(fixture.name): not a model error: \(error.message)")
        }
    }

    @Test func messagesNameOnlyFixturesThatExist() {
        let names = Set(GGUFFixture.all().map(\.name))
        #expect(!GGUFFixture.messages.isEmpty)
        #expect(Set(GGUFFixture.messages.keys).isSubset(of: names))
    }

    @Test func missingTensorFileIsValidGGUFWithoutAttnQ() throws {
        let gguf = try GGUFFile(path: GGUFFixture(name: "missing-tensor.gguf", expected: "").path)
        #expect(gguf.string("general.architecture") == "llama")
        #expect(gguf.int("llama.block_count") == 1)
        #expect(gguf.int("llama.embedding_length") == 64)
        #expect(gguf.tensor(named: "blk.0.attn_q.weight") == nil)
        #expect(gguf.tensor(named: "blk.0.attn_k.weight")?.shape == [64, 64])
        #expect(try gguf.stringArray("tokenizer.ggml.tokens")?.count == 32)
    }

    @Test func zeroTensorFileHasEmptyDataSectionInsideFile() throws {
        let gguf = try GGUFFile(path: GGUFFixture(name: "valid-zero-tensors.gguf", expected: "").path)
        #expect(gguf.tensors.isEmpty)
        #expect(gguf.dataOffset == gguf.file.count)
        #expect(gguf.dataSectionBytes == 0)
    }

    @Test func alignment64FilePlacesTensorsOn64() throws {
        let gguf = try GGUFFile(path: GGUFFixture(name: "valid-alignment-64.gguf", expected: "").path)
        #expect(gguf.alignment == 64)
        #expect(gguf.dataOffset % 64 == 0)
        #expect(gguf.tensor(named: "b")?.offset == 64)
    }
}

@Suite struct GGUFReaderTests {
    @Test func everyMetadataValueTypeRoundTrips() throws {
        var b = GGUFBuilder()
        b.metadata = [
            ("u8", .u8(200)), ("i8", .i8(-5)), ("u16", .u16(60_000)), ("i16", .i16(-30_000)),
            ("u32", .u32(4_000_000_000)), ("i32", .i32(-2_000_000_000)), ("f32", .f32(1.5)),
            ("t", .bool(true)), ("f", .bool(false)), ("s", .string("héllo ✓")),
            ("u64", .u64(1 << 40)), ("i64", .i64(.min)), ("f64", .f64(-0.125)),
            ("empty", .array(.float32, [])),
        ]
        let gguf = try parseGGUF(b.bytes())
        #expect(gguf.metadataKeys == b.metadata.map(\.0))
        #expect(gguf.metadata["u8"] == .int(200))
        #expect(gguf.metadata["i8"] == .int(-5))
        #expect(gguf.metadata["u16"] == .int(60_000))
        #expect(gguf.metadata["i16"] == .int(-30_000))
        #expect(gguf.metadata["u32"] == .int(4_000_000_000))
        #expect(gguf.metadata["i32"] == .int(-2_000_000_000))
        #expect(gguf.double("f32") == 1.5)
        #expect(gguf.bool("t") == true)
        #expect(gguf.bool("f") == false)
        #expect(gguf.string("s") == "héllo ✓")
        #expect(gguf.int("u64") == 1 << 40)
        #expect(gguf.metadata["i64"] == .int(.min))
        #expect(gguf.double("f64") == -0.125)
        #expect(gguf.metadata["empty"] == .array(.float32, []))
        #expect(gguf.int("missing") == nil)
    }

    @Test func u64AboveInt64MaxKeepsItsValue() throws {
        var b = GGUFBuilder()
        b.metadata = [("big", .u64(UInt64(Int64.max) + 5)), ("max", .u64(.max))]
        let gguf = try parseGGUF(b.bytes())
        #expect(gguf.metadata["big"] == .uint64(UInt64(Int64.max) + 5))
        #expect(gguf.metadata["max"] == .uint64(.max))
        #expect(gguf.int("big") == nil)  // does not fit Int: no silent wrap
        #expect(gguf.metadata["max"]?.summary == "18446744073709551615")
    }

    @Test func arraysOfStringsNumbersAndArrays() throws {
        var b = GGUFBuilder()
        b.metadata = [
            ("tokens", .array(.string, [.string("<s>"), .string(""), .string("ünï")])),
            ("ids", .array(.int32, [.i32(-1), .i32(7)])),
            ("scores", .array(.float32, [.f32(0.5), .f32(-2)])),
            ("pairs", .array(.array, [.array(.uint8, [.u8(1), .u8(2)]), .array(.string, [.string("x")])])),
        ]
        let gguf = try parseGGUF(b.bytes())
        #expect(try gguf.stringArray("tokens") == ["<s>", "", "ünï"])
        #expect(try gguf.intArray("ids") == [-1, 7])
        #expect(try gguf.floatArray("scores") == [0.5, -2])
        #expect(gguf.metadata["pairs"] == .array(.array, [.array(.uint8, [.int(1), .int(2)]), .array(.string, [.string("x")])]))
        #expect(throws: CoreError.gguf(.wrongValueType(key: "ids", expected: "an array of strings"))) {
            try gguf.stringArray("ids")
        }
        #expect(throws: CoreError.gguf(.wrongValueType(key: "tokens", expected: "an array of integers"))) {
            try gguf.intArray("tokens")
        }
        #expect(try gguf.stringArray("absent") == nil)
    }

    @Test func tensorInfoShapeOffsetAndSizes() throws {
        var b = GGUFBuilder()
        b.metadata = [("general.architecture", .string("test"))]
        b.addTensor("f32", shape: [8, 3], type: .f32, fill: 10)
        b.addTensor("q8", shape: [64, 2, 3], type: .q8_0, fill: 20)
        b.addTensor("q4", shape: [32], type: .q4_0, fill: 30)
        b.addTensor("f16", shape: [5, 7], type: .f16, fill: 40)
        b.addTensor("bf16", shape: [3, 1, 1, 2], type: .bf16, fill: 50)
        let bytes = b.bytes()
        let gguf = try parseGGUF(bytes)

        #expect(gguf.tensors.map(\.name) == ["f32", "q8", "q4", "f16", "bf16"])
        let q8 = try #require(gguf.tensor(named: "q8"))
        #expect(q8.shape == [64, 2, 3])
        #expect(q8.type == .q8_0)
        #expect(q8.rowElements == 64)
        #expect(q8.rowCount == 6)
        #expect(q8.elementCount == 384)
        #expect(q8.byteCount == 6 * 2 * 34)
        #expect(q8.offset == 96)  // after f32's 96 bytes, already aligned to 32

        #expect(gguf.tensor(named: "f32")?.byteCount == 96)
        #expect(gguf.tensor(named: "q4")?.byteCount == 18)
        #expect(gguf.tensor(named: "f16")?.byteCount == 70)
        #expect(gguf.tensor(named: "bf16")?.rowCount == 2)
        #expect(gguf.tensor(named: "nope") == nil)

        #expect(gguf.dataOffset == (b.headerBytes + 31) / 32 * 32)
        #expect(gguf.dataSectionBytes == bytes.count - gguf.dataOffset)
        for (info, t) in zip(gguf.tensors, b.tensors) {
            #expect(info.offset == Int(t.offset))
            // data(for:) points at exactly the bytes the builder wrote for this tensor.
            let start = gguf.dataOffset + info.offset
            #expect(Array(gguf.bytes(for: info)) == Array(bytes[start..<start + info.byteCount]))
            #expect(gguf.data(for: info) == gguf.file.base + start)
        }
    }

    @Test func customAlignmentMovesDataSection() throws {
        var b = GGUFBuilder()
        b.alignment = 256
        b.metadata = [("general.alignment", .u32(256))]
        b.addTensor("a", shape: [4], type: .f32)
        b.addTensor("b", shape: [4], type: .f32, fill: 9)
        let gguf = try parseGGUF(b.bytes())
        #expect(gguf.alignment == 256)
        #expect(gguf.dataOffset == 256)
        #expect(gguf.tensor(named: "b")?.offset == 256)
        #expect(gguf.bytes(for: gguf.tensors[1]).first == 9)
    }

    @Test func versionTwoParses() throws {
        var b = GGUFBuilder()
        b.version = 2
        b.addTensor("a", shape: [4], type: .f32)
        #expect(try parseGGUF(b.bytes()).version == 2)
    }

    @Test func invalidUTF8IsRepairedNotTrusted() throws {
        var bytes: [UInt8] = []
        bytes.appendLE(GGUFFile.magic)
        bytes.appendLE(UInt32(3))
        bytes.appendLE(UInt64(0))
        bytes.appendLE(UInt64(1))
        bytes.appendLE(UInt64(2))
        bytes += [0xFF, 0x41]  // key: invalid byte, then "A"
        bytes.appendLE(GGUFValueType.uint8.rawValue)
        bytes.append(1)
        let gguf = try parseGGUF(bytes)
        #expect(gguf.metadataKeys == ["\u{FFFD}A"])
    }

    @Test func errorsNameTheFieldAndValue() throws {
        var b = GGUFBuilder()
        b.metadata = [("general.name", .string("x"))]
        let bytes = b.bytes()  // no tensors: tensor_count must not be what fails

        // Cut inside the value type of the first key (24 header + 8 length + 12 key bytes).
        #expect(throws: CoreError.gguf(.truncated(field: "metadata 'general.name' type", offset: 44, needed: 4, fileSize: 46))) {
            try parseGGUF(Array(bytes[0..<46]))
        }
        var huge = bytes
        huge.replaceSubrange(8..<16, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: CoreError.gguf(.countTooLarge(field: "tensor_count", value: .max, limit: GGUFLimits.maxTensorCount))) {
            try parseGGUF(huge)
        }
        do {
            _ = try parseGGUF(huge)
        } catch {
            #expect(error.message.contains("18446744073709551615"))
            #expect(error.message.contains("tensor_count"))
        }
    }

    @Test func tensorPastDataSectionReportsRealSizes() throws {
        var b = GGUFBuilder()
        b.addTensor("w", shape: [8], type: .f32)
        b.tensors[0].offset = 64
        #expect(throws: CoreError.gguf(.tensorOutOfBounds(tensor: "w", offset: 64, bytes: 32, dataSectionBytes: 32))) {
            try parseGGUF(b.bytes())
        }
    }

    @Test func summaryIsOneEscapedLine() {
        #expect(GGUFValue.string("a\nb\u{1B}[2J\"").summary == "\"a\\nb\\x1b[2J\\\"\"")
        let long = GGUFValue.string(String(repeating: "é", count: 100)).summary
        #expect(long == "\"" + String(repeating: "é", count: 60) + "…\"")
        #expect(GGUFValue.array(.int32, (1...6).map { .int($0) }).summary == "[i32 × 6] [1, 2, 3, 4, …]")
    }

    @Test func bigEndianVersionIsExplained() {
        #expect(GGUFError.unsupportedVersion(found: UInt32(3).byteSwapped).message.contains("big-endian"))
        #expect(!GGUFError.unsupportedVersion(found: 1).message.contains("big-endian"))
    }
}
