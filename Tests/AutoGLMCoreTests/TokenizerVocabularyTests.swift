import Foundation
import Testing
@testable import AutoGLMCore

/// Small hand-built vocabularies: merge order, special tokens, end of generation, and the typed
/// errors for bad metadata.
@Suite struct TokenizerVocabularyTests {
    typealias KV = [(String, TestGGUF.Value)]

    /// Byte-level vocabulary: the 256 byte tokens, then `extra` tokens, then `specials` (control).
    static func byteLevel(pre: String = "gpt-2", extra: [String] = [], merges: [String] = [],
                          specials: [String] = [], more: KV = []) -> KV {
        let tokens = TestGGUF.byteLevelAlphabet + extra + specials
        let types = [Int32](repeating: 1, count: 256 + extra.count) + [Int32](repeating: 3, count: specials.count)
        return [("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string(pre)),
                ("tokenizer.ggml.tokens", .strings(tokens)), ("tokenizer.ggml.token_type", .int32s(types)),
                ("tokenizer.ggml.merges", .strings(merges))] + more
    }

    static func id(_ t: Tokenizer, _ text: String) -> Int32 {
        let ids = t.encode(text, parseSpecial: true)
        precondition(ids.count == 1, "\(text) is not one token: \(ids)")
        return ids[0]
    }

    // MARK: byte-level BPE

    @Test func mergesApplyLowestRankFirst() throws {
        // "b c" outranks "a b", so "abc" merges as a + bc, then a + bc -> abc.
        let t = try TestGGUF.tokenizer(Self.byteLevel(extra: ["ab", "bc", "abc"], merges: ["b c", "a b", "a bc"]))
        #expect(t.encode("abc") == [258])
        #expect(t.encode("ab") == [256])
        #expect(t.encode("abab") == [256, 256])
        // Ties on rank go leftmost: "bcbc" -> bc bc.
        #expect(t.encode("bcbc") == [257, 257])
    }

    @Test func ignoreMergesTakesWholeWordTokens() throws {
        // No merge builds "abc" from its bytes; only ignore_merges (Llama-3 pre-tokenizer) finds it.
        let plain = try TestGGUF.tokenizer(Self.byteLevel(pre: "gpt-2", extra: ["bc", "abc"], merges: ["b c"]))
        #expect(plain.encode("abc") == [97, 256])
        let llama3 = try TestGGUF.tokenizer(Self.byteLevel(pre: "qwen2", extra: ["bc", "abc"], merges: ["b c"]))
        #expect(llama3.encode("abc") == [97, 256])
        let glm4 = try TestGGUF.tokenizer(Self.byteLevel(pre: "glm4", extra: ["bc", "abc"], merges: ["b c"]))
        #expect(glm4.encode("abc") == [257])
    }

    @Test func spacesAndNewlinesUseByteLevelTokens() throws {
        let t = try TestGGUF.tokenizer(Self.byteLevel(extra: ["Ġa"], merges: ["Ġ a"]))
        #expect(t.encode(" a") == [256])
        #expect(t.encode("\n") == [10])
        #expect(t.decode([256, 10]) == " a\n")
        #expect(t.tokenBytes(256) == [0x20, 0x61])
    }

    @Test func specialTokensMatchLongestFirst() throws {
        let t = try TestGGUF.tokenizer(Self.byteLevel(specials: ["<|a|>", "<|a|>x", "<|b|>"]))
        #expect(t.encode("q<|a|>xr") == [113, 257, 114])
        #expect(t.encode("<|a|><|b|>") == [256, 258])
        // Without special parsing, control tokens are plain text.
        #expect(t.encode("<|b|>", parseSpecial: false).count == 5)
        #expect(t.decode(t.encode("q<|a|>xr<|b|>")) == "q<|a|>xr<|b|>")
    }

    @Test func userDefinedTokensMatchEvenWithoutSpecialParsing() throws {
        var kv = Self.byteLevel(extra: ["hello world"])
        kv[3] = ("tokenizer.ggml.token_type", .int32s([Int32](repeating: 1, count: 256) + [4]))
        let t = try TestGGUF.tokenizer(kv)
        #expect(t.encode("say hello world", parseSpecial: false).last == 256)
        #expect(t.tokenBytes(256) == Array("hello world".utf8))
    }

    @Test func endOfGenerationFollowsLlamaCpp() throws {
        // "<|im_end|>" is recognised by its text even as a normal token (and then matched as special).
        let kv = Self.byteLevel(extra: ["<|im_end|>"], specials: ["<|eos|>", "<|other|>"],
                                more: [("tokenizer.ggml.eos_token_id", .uint32(257))])
        let t = try TestGGUF.tokenizer(kv)
        #expect(t.isEndOfGeneration(256))
        #expect(t.isEndOfGeneration(257))
        #expect(!t.isEndOfGeneration(258))
        #expect(!t.isEndOfGeneration(65))
        #expect(!t.isEndOfGeneration(-1))
        #expect(!t.isEndOfGeneration(100_000))
        #expect(t.eotTokenId == 256)
        #expect(t.tokenType(256) == .control)
        #expect(t.encode("x<|im_end|>") == [120, 256])
    }

    @Test func bosIsAddedOnRequest() throws {
        let kv = Self.byteLevel(pre: "llama-bpe", specials: ["<|begin_of_text|>"],
                                more: [("tokenizer.ggml.bos_token_id", .uint32(256))])
        let t = try TestGGUF.tokenizer(kv)
        #expect(t.addBosDefault)  // llama.cpp's default for Llama-3 vocabularies
        #expect(t.encode("a", addBos: true) == [256, 97])
        #expect(t.encode("a", addBos: false) == [97])
        let g = try TestGGUF.tokenizer(Self.byteLevel(pre: "qwen2"))
        #expect(!g.addBosDefault)
        #expect(g.bosTokenId == nil)
        #expect(g.encode("a", addBos: true) == [97])
    }

    // MARK: SentencePiece BPE

    /// <unk> <s> </s>, 256 byte tokens, then pieces with scores.
    static func sentencePiece(_ pieces: [(String, Float)], more: KV = []) -> KV {
        let bytes = (0..<256).map { String(format: "<0x%02X>", $0) }
        let tokens = ["<unk>", "<s>", "</s>"] + bytes + pieces.map { $0.0 }
        let types: [Int32] = [2, 3, 3] + [Int32](repeating: 6, count: 256) + [Int32](repeating: 1, count: pieces.count)
        let scores: [Float] = [0, 0, 0] + [Float](repeating: 0, count: 256) + pieces.map { $0.1 }
        return [("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", .strings(tokens)),
                ("tokenizer.ggml.token_type", .int32s(types)), ("tokenizer.ggml.scores", .float32s(scores)),
                ("tokenizer.ggml.bos_token_id", .uint32(1)), ("tokenizer.ggml.eos_token_id", .uint32(2)),
                ("tokenizer.ggml.unknown_token_id", .uint32(0))] + more
    }

    @Test func sentencePieceMergesByScoreWithByteFallback() throws {
        let base: Int32 = 259
        let t = try TestGGUF.tokenizer(Self.sentencePiece([
            ("▁", -1), ("a", -2), ("b", -3), ("c", -4), ("ab", -5), ("bc", -6), ("▁ab", -7), ("abc", -8),
        ]))
        #expect(t.addBosDefault)
        // "▁abc": ab (-5) beats bc (-6); then ▁ab (-7) beats abc (-8).
        #expect(t.encode("abc") == [base + 6, base + 3])
        // 'é' is not a piece: its two UTF-8 bytes go through <0xC3> <0xA9>.
        let byteC3: Int32 = 3 + 0xC3, byteA9: Int32 = 3 + 0xA9
        #expect(t.encode("é") == [base, byteC3, byteA9])
        #expect(t.decode(t.encode("abc é")) == "abc é")
        // The prefix goes only in front of the start of the input (HF Metaspace "first").
        #expect(t.encode("<s>a") == [1, base + 1])
        #expect(t.encode(" a") == [base, base + 1])
    }

    @Test func sentencePieceEveryFragmentPrefixIsLlamaCpp() throws {
        let base: Int32 = 259
        let t = try Tokenizer(gguf: TestGGUF.open(Self.sentencePiece([("▁", -1), ("a", -2), ("▁a", -3), ("▁▁", -4)])),
                              spacePrefix: .everyFragment)
        #expect(t.encode("<s>a") == [1, base + 2])
        #expect(t.encode(" a") == [base, base + 2])
        #expect(t.decode(t.encode(" a")) == " a")
    }

    // MARK: streaming

    @Test func streamingHoldsBackSplitCharacters() throws {
        let t = try TestGGUF.tokenizer(Self.byteLevel())
        let ids = t.encode("a🚀b")
        #expect(ids.count == 6)
        var s = StreamingDetokenizer(tokenizer: t)
        #expect(ids.map { s.push($0) } == ["a", "", "", "", "🚀", "b"])
        #expect(s.flush() == "")
    }

    @Test func streamingBytePushMatchesStringPush() throws {
        let t = try TestGGUF.tokenizer(Self.byteLevel(extra: ["a very long token indeed"]))
        let ids = t.encode("x🚀a very long token indeed") + [0xC0]
        var strings = StreamingDetokenizer(tokenizer: t)
        var bytes = StreamingDetokenizer(tokenizer: t)
        for id in ids {
            let s = strings.push(id)
            let b = bytes.push(id) { Array($0) }
            #expect(Array(s.utf8) == b)
        }
    }

    @Test func streamingReplacesInvalidBytesOnceKnown() throws {
        let t = try TestGGUF.tokenizer(Self.byteLevel())
        // Byte tokens have the byte's id in this vocabulary.
        var s = StreamingDetokenizer(tokenizer: t)
        #expect(s.push(0xF0) == "")
        #expect(s.push(0x9F) == "")
        #expect(s.push(0x41) == "\u{FFFD}A")   // F0 9F cannot be followed by 'A'
        #expect(s.push(0xC0) == "\u{FFFD}")    // never valid
        #expect(s.push(0xE4) == "")
        #expect(s.flush() == "\u{FFFD}")       // cut off at the end
        #expect(s.push(0x41) == "A")
        let ids: [Int32] = [0xF0, 0x9F, 0x41, 0xC0, 0xE4, 0xBD, 0xA0, 0xED, 0xA0, 0x80, 0xE4]
        var whole = ""
        var t2 = StreamingDetokenizer(tokenizer: t)
        for id in ids { whole += t2.push(id) }
        whole += t2.flush()
        #expect(whole == t.decode(ids))
        #expect(whole == String(decoding: ids.map { UInt8($0) }, as: UTF8.self))
    }

    @Test func utf8RepairMatchesStandardLibraryOnRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x41, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE4, 0xED, 0xEF, 0xF0,
                                    0xF4, 0xF5, 0xFF, 0x8F, 0x90]
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in interesting.randomElement(using: &rng)! }
            var repair = UTF8Repair()
            var out = [UInt8](repeating: 0, count: UTF8Repair.maxOutput(forInput: bytes.count))
            var n = 0
            out.withUnsafeMutableBufferPointer { o in
                for b in bytes { repair.feed(b, o.baseAddress!, &n) }
                repair.finish(o.baseAddress!, &n)
            }
            #expect(Array(out[0..<n]) == Array(String(decoding: bytes, as: UTF8.self).utf8), "\(bytes)")
        }
    }

    @Test func sentencePieceStreamingDropsTheSpacePrefixOnce() throws {
        let t = try TestGGUF.tokenizer(Self.sentencePiece([("▁", -1), ("a", -2), ("▁a", -3)]))
        var s = StreamingDetokenizer(tokenizer: t)
        let ids = t.encode("a a")
        #expect(ids.map { s.push($0) }.joined() == "a a")
        var cont = StreamingDetokenizer(tokenizer: t, atSequenceStart: false)
        #expect(ids.map { cont.push($0) }.joined() == " a a")
    }

    // MARK: bad metadata

    @Test func badVocabularyMetadataGivesTypedErrors() throws {
        let good = Self.byteLevel(extra: ["ab"], merges: ["a b"])
        #expect(try TestGGUF.loadError(good) == nil)

        func replacing(_ key: String, _ value: TestGGUF.Value?, in kv: KV = good) -> KV {
            var out = kv.filter { $0.0 != key }
            if let value { out.append((key, value)) }
            return out
        }
        let n = 257
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.model", nil))
            == .tokenizer(.missingVocabulary(key: "tokenizer.ggml.model")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.model", .string("bert")))
            == .tokenizer(.unsupportedModel("bert")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.pre", .string("tekken")))
            == .tokenizer(.unknownPreTokenizer("tekken")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.tokens", nil))
            == .tokenizer(.missingVocabulary(key: "tokenizer.ggml.tokens")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.merges", nil))
            == .tokenizer(.missingVocabulary(key: "tokenizer.ggml.merges")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.token_type", .int32s([1, 1])))
            == .tokenizer(.inconsistentVocabulary(key: "tokenizer.ggml.token_type", count: 2, expected: n)))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.token_type", .int32s([Int32](repeating: 1, count: n - 1) + [9])))
            == .tokenizer(.badTokenType(id: n - 1, type: 9)))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.scores", .float32s([0])))
            == .tokenizer(.inconsistentVocabulary(key: "tokenizer.ggml.scores", count: 1, expected: n)))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.eos_token_id", .uint32(UInt32(n))))
            == .tokenizer(.specialTokenOutOfRange(key: "tokenizer.ggml.eos_token_id", id: n, vocabularySize: n)))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.bos_token_id", .int32(-1)))
            == .tokenizer(.specialTokenOutOfRange(key: "tokenizer.ggml.bos_token_id", id: -1, vocabularySize: n)))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.bos_token_id", .string("1")))
            == .gguf(.wrongValueType(key: "tokenizer.ggml.bos_token_id", expected: "an integer")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.merges", .strings(["a b", "ab"])))
            == .tokenizer(.malformedMerge(index: 1, merge: "ab")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.merges", .strings(["a "])))
            == .tokenizer(.malformedMerge(index: 0, merge: "a ")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.merges", .strings(["a b", "b c"])))
            == .tokenizer(.mergeNotInVocabulary(index: 1, merge: "b c", missing: "bc")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.add_bos_token", .bool(true)))
            == .tokenizer(.missingSpecialToken(flag: "tokenizer.ggml.add_bos_token", idKey: "tokenizer.ggml.bos_token_id")))
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.tokens", .strings([])))
            == .tokenizer(.emptyVocabulary))
        var dup = TestGGUF.byteLevelAlphabet + ["ab"]
        dup[256] = "a"
        #expect(try TestGGUF.loadError(replacing("tokenizer.ggml.tokens", .strings(dup)))
            == .tokenizer(.duplicateToken(text: "a", firstId: 97, secondId: 256)))

        var spm = Self.sentencePiece([("▁", -1)])
        spm = spm.map { $0.0 == "tokenizer.ggml.tokens" ? ($0.0, .strings(["<unk>", "<s>", "</s>", "<0xZZ>"]
            + (1..<256).map { String(format: "<0x%02X>", $0) } + ["▁"])) : $0 }
        #expect(try TestGGUF.loadError(spm) == .tokenizer(.malformedByteToken(id: 3, text: "<0xZZ>")))
    }
}

/// NFC against Foundation's canonical composition on text built to exercise decomposition,
/// reordering of marks, blocking, and Hangul.
@Suite struct TokenizerNFCTests {
    static func nfc(_ s: String) -> String {
        var scalars = s.unicodeScalars.map { $0.value }
        var work: [UInt32] = []
        UnicodeNFC.normalize(&scalars, work: &work)
        var out = ""
        for v in scalars { out.unicodeScalars.append(Unicode.Scalar(v)!) }
        return out
    }

    @Test func knownCases() {
        #expect(Self.nfc("e\u{301}") == "\u{E9}")
        #expect(Self.nfc("\u{1E0B}\u{323}") == "\u{1E0D}\u{307}")        // reordering, then composing
        #expect(Self.nfc("a\u{308}\u{301}") == "\u{E4}\u{301}")
        #expect(Self.nfc("\u{1100}\u{1161}\u{11A8}") == "\u{AC01}")       // Hangul L V T
        #expect(Self.nfc("\u{AC00}\u{11A8}") == "\u{AC01}")
        #expect(Self.nfc("\u{B47}\u{AC00}\u{11A8}e") == "\u{B47}\u{AC01}e")
        #expect(Self.nfc("\u{D4DB}\u{11A8}") == "\u{D4DB}\u{11A8}")       // LVT takes no second T
        #expect(Self.nfc("\u{1100}\u{301}\u{1161}") == "\u{1100}\u{301}\u{1161}")  // blocked
        #expect(Self.nfc("\u{301}e") == "\u{301}e")                       // nothing to join
        #expect(Self.nfc("\u{2126}") == "\u{3A9}")                        // singleton
        #expect(Self.nfc("\u{F900}") == "\u{8C48}")
        #expect(Self.nfc("a\u{315}\u{300}\u{5AE}b") == "\u{E0}\u{5AE}\u{315}b")
    }

    /// Foundation is the oracle here, without Hangul: on Linux it leaves U+AC00 U+11A8 uncomposed
    /// in some contexts (Python's unicodedata and the standard give U+AC01; see knownCases).
    @Test func matchesFoundationOnRandomText() {
        let pieces: [String] = ["a", "e", "o", "A", "\u{301}", "\u{300}", "\u{308}", "\u{323}", "\u{327}",
                                "\u{315}", "\u{5AE}", "\u{E9}", "\u{1E0B}", "\u{2126}", "\u{212B}", "\u{F900}", "\u{B47}", "\u{B3E}",
                                "\u{B57}", "\u{3099}", "\u{304B}", "\u{1D15E}", "\u{1D165}", "x", " ", "你"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let s = (0..<Int.random(in: 1...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            #expect(Self.nfc(s).unicodeScalars.elementsEqual(s.precomposedStringWithCanonicalMapping.unicodeScalars),
                    "\(s.unicodeScalars.map { String($0.value, radix: 16) }) -> \(Self.nfc(s).unicodeScalars.map { String($0.value, radix: 16) }) vs \(s.precomposedStringWithCanonicalMapping.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
