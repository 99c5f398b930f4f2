/// Problems with the vocabulary in a GGUF file, or with ids handed to the tokenizer.
public enum TokenizerError: Error, Equatable {
    case missingVocabulary(key: String)
    case unsupportedModel(String)
    case unknownPreTokenizer(String)
    case malformedMerge(index: Int, merge: String)
    case inconsistentVocabulary(key: String, count: Int, expected: Int)
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// A special-token id key (e.g. tokenizer.ggml.bos_token_id) names no token.
    case specialTokenOutOfRange(key: String, id: Int, vocabularySize: Int)
    case emptyVocabulary
    case vocabularyTooLarge(count: Int, limit: Int)
    case vocabularyTextTooLarge(bytes: Int, limit: Int)
    case duplicateToken(text: String, firstId: Int, secondId: Int)
    case badTokenType(id: Int, type: Int)
    /// A token of type 6 (byte) whose text is not "<0xXX>".
    case malformedByteToken(id: Int, text: String)
    /// A merge whose halves, or whose result, are not tokens of the vocabulary.
    case mergeNotInVocabulary(index: Int, merge: String, missing: String)
    /// e.g. tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is absent.
    case missingSpecialToken(flag: String, idKey: String)

    public var message: String {
        switch self {
        case .missingVocabulary(let key): return "missing vocabulary key \(quoted(key))"
        case .unsupportedModel(let m): return "unsupported tokenizer model \(quoted(m)) (supported: gpt2, llama)"
        case .unknownPreTokenizer(let p):
            return "unknown pre-tokenizer \(quoted(p)) (supported: "
                + PreTokenizerNames.supported.joined(separator: ", ") + ")"
        case .malformedMerge(let i, let m): return "merge \(i) \(quoted(m)) is not two tokens separated by one space"
        case .inconsistentVocabulary(let key, let count, let expected):
            return "\(quoted(key)) has \(count) entries, the vocabulary has \(expected)"
        case .tokenOutOfRange(let id, let n): return "token id \(id) is outside the vocabulary (0..<\(n))"
        case .specialTokenOutOfRange(let key, let id, let n):
            return "\(quoted(key)) = \(id) is outside the vocabulary (0..<\(n))"
        case .emptyVocabulary: return "'tokenizer.ggml.tokens' is empty"
        case .vocabularyTooLarge(let count, let limit): return "vocabulary has \(count) tokens, the limit is \(limit)"
        case .vocabularyTextTooLarge(let bytes, let limit):
            return "the token texts take \(bytes) bytes, the limit is \(limit)"
        case .duplicateToken(let text, let a, let b): return "token \(quoted(text)) appears twice (ids \(a) and \(b))"
        case .badTokenType(let id, let type): return "token \(id) has type \(type) (valid: 0...6)"
        case .malformedByteToken(let id, let text): return "byte token \(id) is \(quoted(text)), expected '<0xXX>'"
        case .mergeNotInVocabulary(let i, let m, let missing):
            return "merge \(i) \(quoted(m)) uses or makes \(quoted(missing)), which is not in the vocabulary"
        case .missingSpecialToken(let flag, let idKey): return "\(quoted(flag)) is true but \(quoted(idKey)) is not set"
        }
    }
}
