import Testing
@testable import AutoGLMCore

@Suite struct UntrustedTextTests {
    @Test func plainNamesAreQuotedUnchanged() {
        #expect(UntrustedText.quoted("blk.0.attn_q.weight") == "'blk.0.attn_q.weight'")
        #expect(UntrustedText.quoted("") == "''")
    }

    @Test func controlQuoteAndNonASCIIAreEscaped() {
        #expect(UntrustedText.quoted("a\0b\n\u{1B}[2J'\\") == #"'a\0b\n\x1b[2J\'\\'"#)
        #expect(UntrustedText.quoted("é\u{202E}") == #"'\u{e9}\u{202e}'"#)
    }

    @Test func longTextIsCutWithAnEllipsisAndItsLength() {
        let key = String(repeating: "\0", count: 24_252) + String(repeating: "k", count: 22_748)
        let q = UntrustedText.quoted(key)
        #expect(q.hasSuffix("'… (47000 bytes)"))
        // 120 escaped characters ("\0" is two) between the quotes.
        #expect(q.hasPrefix("'" + String(repeating: #"\0"#, count: 60) + "'…"))
        #expect(q.utf8.count < 150)
    }

    @Test func anEscapeIsNeverCutInHalf() {
        let q = UntrustedText.quoted(String(repeating: "x", count: 119) + "\u{1}")
        #expect(q == "'" + String(repeating: "x", count: 119) + "'… (120 bytes)")
    }

    @Test func errorsQuoteTheFileStrings() {
        let nasty = String(repeating: "\0", count: 5000)
        let messages = [
            CoreError.gguf(.unknownValueType(key: nasty, type: 13)).message,
            CoreError.gguf(.duplicateTensor(name: nasty)).message,
            CoreError.model(.unsupportedArchitecture(nasty)).message,
            CoreError.tokenizer(.duplicateToken(text: nasty, firstId: 1, secondId: 2)).message,
        ]
        for m in messages {
            #expect(!m.contains("\0"))
            #expect(m.utf8.count < 250, "\(m)")
            #expect(m.contains("… (5000 bytes)"))
        }
    }
}
