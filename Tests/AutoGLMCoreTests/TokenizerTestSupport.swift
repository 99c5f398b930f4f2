import Foundation
@testable import AutoGLMCore

/// A GGUF v3 writer just big enough for vocabulary-only test files (metadata, no tensors), so tests
/// can build exactly the (good or bad) vocabulary they need.
enum TestGGUF {
    enum Value {
        case string(String)
        case uint32(UInt32)
        case int32(Int32)
        case bool(Bool)
        case strings([String])
        case int32s([Int32])
        case float32s([Float])
    }

    static func bytes(_ kvs: [(String, Value)]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) {
            u64(UInt64(s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        u32(0x4655_4747)
        u32(3)
        u64(0)
        u64(UInt64(kvs.count))
        for (key, value) in kvs {
            str(key)
            switch value {
            case .string(let s): u32(8); str(s)
            case .uint32(let v): u32(4); u32(v)
            case .int32(let v): u32(5); u32(UInt32(bitPattern: v))
            case .bool(let b): u32(7); out.append(b ? 1 : 0)
            case .strings(let a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach(str)
            case .int32s(let a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
            case .float32s(let a): u32(9); u32(6); u64(UInt64(a.count)); a.forEach { u32($0.bitPattern) }
            }
        }
        return out
    }

    /// Writes the file to a temporary path and opens it.
    static func open(_ kvs: [(String, Value)]) throws -> GGUFFile {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("autoglm-tokenizer-\(UUID().uuidString).gguf")
        try Data(bytes(kvs)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try GGUFFile(path: url.path)
    }

    static func tokenizer(_ kvs: [(String, Value)]) throws -> Tokenizer {
        try Tokenizer(gguf: open(kvs))
    }

    /// The error `Tokenizer.init` throws for this metadata, or nil if it loads.
    static func loadError(_ kvs: [(String, Value)]) throws -> CoreError? {
        let file = try open(kvs)
        do {
            _ = try Tokenizer(gguf: file)
            return nil
        } catch {
            return error
        }
    }

    /// The 256 single-byte tokens of a byte-level vocabulary, in byte order.
    static var byteLevelAlphabet: [String] {
        (0..<256).map { String(Character(Unicode.Scalar(ByteLevelEncoding.byteToScalar[$0])!)) }
    }
}

/// Tests/Fixtures/tokenizer/<name>.json, written by tools/make_fixtures.py from HF tokenizers.
struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int32]
    }

    let gguf: String
    let pre: String
    let cases: [Case]

    static let names = ["llama-bpe", "qwen2", "glm4", "gpt2", "spm"]

    /// <repo>/Tests/Fixtures, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL {
        directory.appendingPathComponent("tokenizer").appendingPathComponent(name + ".json")
    }

    static var available: Bool { names.contains { FileManager.default.fileExists(atPath: url($0).path) } }

    static func load(_ name: String) throws -> TokenizerFixture? {
        guard FileManager.default.fileExists(atPath: url(name).path) else { return nil }
        return try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: url(name)))
    }

    func openTokenizer() throws -> Tokenizer {
        try Tokenizer(gguf: GGUFFile(path: TokenizerFixture.directory.appendingPathComponent(gguf).path))
    }
}
