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

    /// What decode(encode(text)) gives. Lossless, except for one thing inherent in HF's
    /// SentencePiece ids: text that starts with a space gets no "▁" prefix, so it encodes exactly
    /// like the same text without that space, and decoding removes the first space.
    private func expectedRoundTrip(_ text: String, _ tokenizer: Tokenizer) -> String {
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
