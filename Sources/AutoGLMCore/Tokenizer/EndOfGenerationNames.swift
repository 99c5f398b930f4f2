/// Token texts llama.cpp treats as end of generation (llama_vocab::impl::load, "maintain a list of
/// tokens that cause end-of-generation"): converters do not record them all in the GGUF metadata,
/// so llama.cpp recognises them by text, and so do we to stop where llama.cpp stops.
enum EndOfGenerationNames {
    /// Texts llama.cpp takes as the EOT token when tokenizer.ggml.eot_token_id is absent.
    static let endOfTurn = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
        "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]

    /// Every text that makes a token end generation: llama.cpp's EOG list plus the FIM pad, repo and
    /// file-separator tokens it also adds.
    static let all = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
        // FIM pad / repo / file separator
        "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
        "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
        "<|file_sep|>",
    ]

    /// llama.cpp's two exceptions: with "<|return|>" and "<|call|>" (gpt-oss) or "<|calls|>" and
    /// "<|flush|>" (solar-open) present, "<|end|>" only ends a message, not generation; with
    /// "<|tool_response>" (Gemma 4) present, "</s>" is not an end either.
    static func applyWorkarounds(_ eog: inout [Bool], _ index: TokenTextIndex) {
        func id(_ text: String) -> Int? {
            guard let i = index.lookup(Array(text.utf8)), eog[Int(i)] else { return nil }
            return Int(i)
        }
        let call = id("<|call|>") ?? id("<|calls|>")
        if let end = id("<|end|>"), call != nil, id("<|return|>") != nil || id("<|flush|>") != nil {
            eog[end] = false
        }
        if let s = id("</s>"), id("<|tool_response>") != nil {
            eog[s] = false
        }
    }
}
