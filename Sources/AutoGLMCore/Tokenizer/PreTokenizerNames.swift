/// tokenizer.ggml.pre values (as llama.cpp's converter writes them) and the split each one means.
enum PreTokenizerNames {
    struct Entry {
        let name: String
        let split: PreTokenizer
        /// Whether a pre-token that is itself in the vocabulary is emitted as is (see ByteLevelBPE).
        let ignoreMerges: Bool
        /// Whether the HF tokenizer NFC-normalises text first (Qwen2 does; llama.cpp never does).
        var normalizeNFC = false
        /// llama.cpp's add_bos default when tokenizer.ggml.add_bos_token is absent (true for Llama-3).
        var addBosByDefault = false
    }

    static let entries: [Entry] = [
        // llama.cpp falls back to its "default" split for a missing or "default" pre; here that is
        // the GPT-2 split, the closest of the supported ones.
        Entry(name: "default", split: .gpt2, ignoreMerges: false),
        Entry(name: "gpt2", split: .gpt2, ignoreMerges: false),
        Entry(name: "gpt-2", split: .gpt2, ignoreMerges: false),   // llama.cpp's name for GPT-2
        Entry(name: "llama-bpe", split: .llama3, ignoreMerges: true, addBosByDefault: true),
        Entry(name: "llama3", split: .llama3, ignoreMerges: true, addBosByDefault: true),
        Entry(name: "llama-v3", split: .llama3, ignoreMerges: true, addBosByDefault: true),
        // GLM-4 splits like Llama-3 (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_CHATGLM4). Like Llama-3 its
        // vocabulary comes from tiktoken, which looks a whole pre-token up before merging, and its HF
        // tokenizer sets ignore_merges accordingly; llama.cpp does not for GLM-4. HF's ids are the
        // reference here, so it is on.
        Entry(name: "glm4", split: .llama3, ignoreMerges: true),
        Entry(name: "chatglm-bpe", split: .llama3, ignoreMerges: true),
        Entry(name: "qwen2", split: .qwen2, ignoreMerges: false, normalizeNFC: true),
        Entry(name: "deepseek-r1-qwen", split: .qwen2, ignoreMerges: false, normalizeNFC: true),
    ]

    static var supported: [String] { entries.map { $0.name } }

    static func resolve(_ name: String) -> Entry? {
        for e in entries where e.name.utf8.elementsEqual(name.utf8) { return e }
        return nil
    }
}
