/// Problems with the vocabulary in a GGUF file, or with ids handed to the tokenizer.
public enum TokenizerError: Error, Equatable {
    case missingVocabulary(key: String)
    case unsupportedModel(String)
    case unknownPreTokenizer(String)
    case malformedMerge(index: Int, merge: String)
    case inconsistentVocabulary(key: String, count: Int, expected: Int)
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var message: String {
        switch self {
        case .missingVocabulary(let key): return "missing vocabulary key '\(key)'"
        case .unsupportedModel(let m): return "unsupported tokenizer model '\(m)' (supported: gpt2, llama)"
        case .unknownPreTokenizer(let p):
            return "unknown pre-tokenizer '\(p)' (supported: default, llama-bpe, llama3, qwen2, glm4, chatglm-bpe, gpt2)"
        case .malformedMerge(let i, let m): return "merge \(i) '\(m)' is not two tokens separated by one space"
        case .inconsistentVocabulary(let key, let count, let expected):
            return "'\(key)' has \(count) entries, the vocabulary has \(expected)"
        case .tokenOutOfRange(let id, let n): return "token id \(id) is outside the vocabulary (0..<\(n))"
        }
    }
}
