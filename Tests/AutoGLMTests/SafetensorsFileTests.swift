import Foundation
import Testing
@testable import AutoGLM

/// The safetensors reader on hand-made files: every malformed header gives its own
/// typed error naming the file, the tensor and the value.
@Suite struct SafetensorsFileTests {
    /// header JSON + data bytes as a file, with an optional lie in the length field.
    static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> TemporaryFile {
        let f = TemporaryFile("t.safetensors")
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8) + data
        FileManager.default.createFile(atPath: f.path, contents: Data(bytes))
        return f
    }

    static func open(_ f: TemporaryFile) throws -> SafetensorsFile { try SafetensorsFile(path: f.path) }

    @Test func wellFormedFileReads() throws {
        let f = Self.file(#"{"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                          data: [0, 0, 128, 63, 0, 0, 0, 64, 0x00, 0x3C, 0x00, 0xC0])
        let s = try Self.open(f)
        #expect(s.tensors.map(\.name) == ["a", "b"])
        var out = [Float](repeating: 0, count: 2)
        s.readFloats(s.tensor(named: "a")!, into: &out)
        #expect(out == [1, 2])
        s.readFloats(s.tensor(named: "b")!, into: &out)
        #expect(out == [1, -2])
    }

    @Test func malformedHeadersAreRefused() throws {
        let p = { (f: TemporaryFile) in f.path }
        var f = TemporaryFile("tiny.safetensors")
        FileManager.default.createFile(atPath: f.path, contents: Data([1, 2, 3]))
        #expect(throws: HFError.safetensorsTooSmall(path: p(f), bytes: 3)) { _ = try Self.open(f) }

        f = Self.file("{}", length: 1 << 40)
        #expect(throws: HFError.safetensorsHeaderLength(path: p(f), length: 1 << 40, limit: 2)) { _ = try Self.open(f) }

        f = Self.file("{not json")
        #expect(throws: HFError.self) { _ = try Self.open(f) }
        f = Self.file("[1, 2]")
        #expect(throws: HFError.invalidJSON(path: p(f), reason: "header is not an object")) { _ = try Self.open(f) }
    }

    @Test func malformedEntriesAreRefused() throws {
        func entry(_ json: String, data: Int = 8) throws -> HFError? {
            let f = Self.file("{\"w\":\(json)}", data: [UInt8](repeating: 0, count: data))
            do { _ = try Self.open(f) } catch let e as HFError { return e }
            return nil
        }
        #expect(try entry(#"{"dtype":"I32","shape":[2],"data_offsets":[0,8]}"#).map { "\($0)" }?.contains("dtype I32") == true)
        for bad in [#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#,       // size ≠ shape × 4
                    #"{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#,      // past the data section
                    #"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#,       // end before begin
                    #"{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#,      // negative dimension
                    #"{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}"#,     // fractional dimension
                    #"{"dtype":"F32","shape":[2],"data_offsets":[0]}"#,         // one offset
                    #"{"shape":[2],"data_offsets":[0,8]}"#,                     // no dtype
                    #"{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}"#,  // 9 dimensions
                    #"{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}"#,  // 2^64 elements
                    #""just a string""#] {
            let e = try entry(bad)
            guard case .safetensorsEntry(_, let tensor, _)? = e else {
                Issue.record("\(bad): \(String(describing: e))")
                continue
            }
            #expect(tensor == "w")
        }
    }

    @Test func overlappingTensorsAreRefused() {
        let f = Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                          data: [UInt8](repeating: 0, count: 8))
        #expect(throws: HFError.overlappingTensors(path: f.path, first: "a", second: "b")) { _ = try Self.open(f) }
    }
}

/// Folders that are not a supported, complete model get typed errors before anything is written.
@Suite struct HFFolderErrorTests {
    /// A copy of Tests/Fixtures/hf/<family> that `edit` may change.
    static func copy(_ family: String, edit: (URL) throws -> Void) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: HFConverterTests.path("hf/\(family)"), toPath: dir.path)
        try edit(dir)
        return dir
    }

    static func editConfig(_ dir: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = dir.appendingPathComponent("config.json")
        var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&c)
        try JSONSerialization.data(withJSONObject: c).write(to: url)
    }

    @Test func unsupportedArchitecture() throws {
        let dir = try Self.copy("qwen2") { try Self.editConfig($0) { $0["architectures"] = ["MistralForCausalLM"] } }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HFError.unsupportedArchitecture("MistralForCausalLM")) { _ = try HFConverter(folder: dir.path) }
    }

    @Test func shapesMustMatchTheConfig() throws {
        let dir = try Self.copy("qwen2") { try Self.editConfig($0) { $0["intermediate_size"] = 200 } }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HFError.wrongShape(tensor: "model.layers.0.mlp.down_proj.weight", expected: [64, 200], found: [64, 192])) {
            _ = try HFConverter(folder: dir.path)
        }
    }

    @Test func missingLayerIsNamed() throws {
        let dir = try Self.copy("qwen2") { try Self.editConfig($0) { $0["num_hidden_layers"] = 4 } }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HFError.missingTensor(name: "model.layers.3.input_layernorm.weight")) { _ = try HFConverter(folder: dir.path) }
    }

    @Test func tensorsBeyondTheConfigAreNotDropped() throws {
        let dir = try Self.copy("qwen2") { try Self.editConfig($0) { $0["num_hidden_layers"] = 2 } }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HFError.unexpectedTensor(name: "model.layers.2.input_layernorm.weight")) { _ = try HFConverter(folder: dir.path) }
    }

    @Test func indexMustNameTheRightShard() throws {
        let dir = try Self.copy("llama") { dir in
            let url = dir.appendingPathComponent("model.safetensors.index.json")
            var index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            var map = index["weight_map"] as! [String: String]
            map["model.norm.weight"] = map["model.norm.weight"] == "model-00001-of-00002.safetensors"
                ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors"
            index["weight_map"] = map
            try JSONSerialization.data(withJSONObject: index).write(to: url)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HFError.self) { _ = try HFConverter(folder: dir.path) }
        do { _ = try HFConverter(folder: dir.path) } catch { #expect("\(error)".contains("model.norm.weight")) }
    }

    @Test func sentencePieceTokenizerIsRefused() throws {
        let dir = try Self.copy("qwen2") { dir in
            let url = dir.appendingPathComponent("tokenizer.json")
            var t = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            t["pre_tokenizer"] = ["type": "Metaspace", "replacement": "\u{2581}"]
            try JSONSerialization.data(withJSONObject: t).write(to: url)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: HFError.self) { _ = try HFConverter(folder: dir.path) }
    }

    /// tokenizer_config.json's add_prefix_space (Llama) and chat_template, and tokenizer.json's
    /// normalizer flags, where llama.cpp's converter puts them (checked against its output for
    /// this very edit of hf/llama when this test was written).
    @Test func optionalTokenizerSettingsAreCarried() throws {
        let dir = try Self.copy("llama") { dir in
            let configURL = dir.appendingPathComponent("tokenizer_config.json")
            var c = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
            c["add_prefix_space"] = false
            c["chat_template"] = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
            try JSONSerialization.data(withJSONObject: c).write(to: configURL)
            let tokenizerURL = dir.appendingPathComponent("tokenizer.json")
            var t = try JSONSerialization.jsonObject(with: Data(contentsOf: tokenizerURL)) as! [String: Any]
            t["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "StripAccents"]]]
            try JSONSerialization.data(withJSONObject: t).write(to: tokenizerURL)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = TemporaryFile("edited.gguf")
        try HFConverter(folder: dir.path).writeGGUF(to: out.path)
        let gguf = try GGUFFile(path: out.path)
        let keys = gguf.metadataKeys.filter { $0.hasPrefix("tokenizer.") }
        #expect(keys.first == "tokenizer.ggml.add_space_prefix" && keys.dropFirst().first == "tokenizer.ggml.model")
        #expect(Array(keys.suffix(2)) == ["tokenizer.chat_template", "tokenizer.ggml.normalizer.strip_accents"])
        #expect(gguf.bool("tokenizer.ggml.add_space_prefix") == false)
        #expect(gguf.bool("tokenizer.ggml.normalizer.strip_accents") == true)
        #expect(gguf.string("tokenizer.chat_template") == "{% for m in messages %}{{ m['content'] }}{% endfor %}")
    }
}

@Suite struct HFErrorQuotingTests {
    /// Names from a safetensors header or config.json reach the terminal quoted and bounded.
    @Test func fileStringsInErrorsAreQuotedAndCut() {
        let hostile = String(repeating: "\u{1B}[2J\0", count: 2000)
        for error in [HFError.missingTensor(name: hostile), HFError.unsupportedArchitecture(hostile),
                      HFError.safetensorsEntry(path: "/m/model.safetensors", tensor: hostile, reason: "bad offsets")] {
            let m = error.description
            #expect(!m.contains("\u{1B}") && !m.contains("\0"), "\(m)")
            #expect(m.utf8.count < 300)
            #expect(m.contains("… (10000 bytes)"))
        }
    }
}
