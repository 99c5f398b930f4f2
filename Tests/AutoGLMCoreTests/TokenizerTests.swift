import Foundation
import Testing
@testable import AutoGLMCore

/// The tokenizer against HF tokenizers' ids on the fixture vocabularies (Tests/Fixtures/tokenizer).
@Suite(.enabled(if: TokenizerFixture.available, "Tests/Fixtures/tokenizer/*.json not present"))
struct TokenizerFixtureTests {
    @Test(arguments: TokenizerFixture.names)
    func idsMatchHuggingFace(_ name: String) throws {
        let fixture = try #require(try TokenizerFixture.load(name), "missing fixture \(name)")
        let tokenizer = try fixture.openTokenizer()
        for c in fixture.cases {
            let ids = tokenizer.encode(c.text, addBos: false, parseSpecial: true)
            #expect(ids == c.ids, "\(name): \(debugText(c.text))")
        }
    }

    @Test(arguments: TokenizerFixture.names)
    func decodeRoundTrips(_ name: String) throws {
        let fixture = try #require(try TokenizerFixture.load(name), "missing fixture \(name)")
        let tokenizer = try fixture.openTokenizer()
        for c in fixture.cases {
            #expect(tokenizer.decode(tokenizer.encode(c.text)) == expectedRoundTrip(c.text, tokenizer),
                    "\(name): \(debugText(c.text))")
        }
    }

    @Test(arguments: TokenizerFixture.names)
    func streamingEqualsDecode(_ name: String) throws {
        let fixture = try #require(try TokenizerFixture.load(name), "missing fixture \(name)")
        let tokenizer = try fixture.openTokenizer()
        for c in fixture.cases {
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var text = ""
            for id in c.ids {
                let chunk = stream.push(id)
                // A chunk must be whole characters: its bytes are valid UTF-8 on their own, and no
                // replacement character appears that the full decode does not have.
                #expect(String(validating: Array(chunk.utf8), as: UTF8.self) != nil)
                text += chunk
            }
            text += stream.flush()
            let decoded = tokenizer.decode(c.ids)
            #expect(text == decoded, "\(name): \(debugText(c.text))")
            if !c.text.contains("\u{FFFD}") { #expect(!decoded.contains("\u{FFFD}"), "\(name): \(debugText(c.text))") }
        }
    }

    @Test(arguments: TokenizerFixture.names)
    func preTokenizerNameIsKnown(_ name: String) throws {
        let fixture = try #require(try TokenizerFixture.load(name), "missing fixture \(name)")
        let tokenizer = try fixture.openTokenizer()
        #expect(tokenizer.vocabularySize > 256)
        if let eos = tokenizer.eosTokenId { #expect(tokenizer.isEndOfGeneration(eos)) }
    }

    /// What decode(encode(text)) gives. Lossless, except for two things HF's ids imply: Qwen2 text
    /// comes back NFC-normalised, and with SentencePiece text that starts with a space gets no "▁"
    /// prefix, so it encodes exactly like the same text without that space, and decoding removes
    /// the first space.
    private func expectedRoundTrip(_ text: String, _ tokenizer: Tokenizer) -> String {
        if tokenizer.normalizesNFC { return text.precomposedStringWithCanonicalMapping }
        if tokenizer.model == .sentencePieceBPE && tokenizer.addSpacePrefix && tokenizer.spacePrefix == .firstFragment
            && text.unicodeScalars.first == " " {
            return String(text.unicodeScalars.dropFirst())
        }
        return text
    }

    private func debugText(_ s: String) -> String {
        s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
            .joined()
    }
}

/// Load and encode speed on a Llama-3-sized vocabulary (128k tokens, 280k merges). The file is not
/// in the repository; point AUTOGLM_TOKENIZER_LARGE_GGUF at one (any byte-level GGUF will do).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AUTOGLM_TOKENIZER_LARGE_GGUF"] != nil))
struct TokenizerLoadSpeedTests {
    @Test func largeVocabularyLoadsQuickly() throws {
        let path = try #require(ProcessInfo.processInfo.environment["AUTOGLM_TOKENIZER_LARGE_GGUF"])
        let clock = ContinuousClock()
        var file: GGUFFile?
        let parse = try clock.measure { file = try GGUFFile(path: path) }
        var tokenizer: Tokenizer?
        let build = try clock.measure { tokenizer = try Tokenizer(gguf: file!) }
        let t = try #require(tokenizer)
        let text = String(repeating: "the quick brown fox, 1234 jumps over\n\tthe lazy dog! 你好 🚀 ", count: 2000)
        var count = 0
        let encode = clock.measure { count = t.encode(text).count }
        print("vocabulary \(t.vocabularySize): GGUF parse \(parse), tokenizer build \(build), "
              + "encode \(text.utf8.count) bytes -> \(count) tokens in \(encode)")
        #if !DEBUG
        #expect(build < .seconds(1))
        #endif
    }
}

/// The model fixtures' prompts: every model GGUF's vocabulary (all tensor types) encodes the
/// reference prompt to the ids transformers' tokenizer gave (models/<family>.reference.json).
@Suite(.enabled(if: TokenizerFixture.available, "Tests/Fixtures not present"))
struct TokenizerModelFileTests {
    struct Reference: Decodable {
        let prompt_text: String
        let prompt_ids: [Int32]
    }

    static let families = ["llama", "qwen2", "glm", "glm4", "llama-spm"]

    @Test(arguments: families)
    func modelFilesEncodeThePrompt(_ family: String) throws {
        let dir = TokenizerFixture.directory.appendingPathComponent("models")
        let refURL = dir.appendingPathComponent(family + ".reference.json")
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: refURL))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix(family + "-") && $0.hasSuffix(".gguf") && !$0.dropFirst(family.count + 1).contains("-") }
        #expect(!files.isEmpty)
        for file in files {
            let t = try Tokenizer(gguf: GGUFFile(path: dir.appendingPathComponent(file).path))
            #expect(t.encode(ref.prompt_text) == ref.prompt_ids, "\(file)")
            let withBos = t.encode(ref.prompt_text, addBos: t.addBosDefault)
            if t.addBosDefault { #expect(withBos.first == t.bosTokenId && Array(withBos.dropFirst()) == ref.prompt_ids) }
            if let eos = t.eosTokenId { #expect(t.isEndOfGeneration(eos), "\(file)") }
            if let eot = t.eotTokenId { #expect(t.isEndOfGeneration(eot), "\(file)") }
        }
    }
}
