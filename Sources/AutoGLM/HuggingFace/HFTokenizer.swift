import AutoGLMCore
import Foundation

/// tokenizer.json (+ tokenizer_config.json, config.json) of a byte-level BPE model →
/// GGUF tokenizer metadata, following the rules of llama.cpp's converter and gguf-py's
/// SpecialVocab so the result tokenizes the same: token list and types, merges,
/// special token ids, add_bos/add_eos/add_sep, chat template.
public struct HFTokenizer {
    /// llama.cpp's token types.
    public enum TokenType: Int64 { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5 }
    /// The special token kinds SpecialVocab looks for, in its order.
    static let specialKinds = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]
    /// GGUF key per kind; `cls` has none in GGUF, so it is tracked but never written.
    static let idKeys = ["bos": "tokenizer.ggml.bos_token_id", "eos": "tokenizer.ggml.eos_token_id",
                         "unk": "tokenizer.ggml.unknown_token_id", "sep": "tokenizer.ggml.seperator_token_id",
                         "pad": "tokenizer.ggml.padding_token_id", "mask": "tokenizer.ggml.mask_token_id",
                         "eot": "tokenizer.ggml.eot_token_id", "eom": "tokenizer.ggml.eom_token_id"]
    static let addKeys = ["bos": "tokenizer.ggml.add_bos_token", "eos": "tokenizer.ggml.add_eos_token",
                          "sep": "tokenizer.ggml.add_sep_token"]

    public let tokens: [String]
    public let types: [TokenType]
    public let merges: [String]
    /// (kind, id) in the order they were found: the order they are written.
    public private(set) var specialIds: [(String, Int)] = []
    public private(set) var addSpecial: [(String, Bool)] = []
    public let chatTemplate: String?
    /// Llama only: tokenizer_config.json's add_prefix_space, written before the vocabulary.
    public let addSpacePrefix: Bool?
    /// tokenizer.json's normalizer flags (Lowercase, StripAccents, BertNormalizer), as gguf-py reads them.
    public private(set) var normalizerLowercase: Bool? = nil
    public private(set) var normalizerStripAccents: Bool? = nil
    let addedIds: [String: Int]

    public init(folder: URL, config: HFModelConfig) throws {
        let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
        let t = try HFJSON.object(at: tokenizerURL)!
        var tc = try HFJSON.object(at: folder.appendingPathComponent("tokenizer_config.json"), required: false)

        guard let model = t["model"] as? [String: Any], (model["type"] as? String) == "BPE" else {
            throw HFError.unsupportedTokenizer(reason: "model.type is not BPE (only byte-level BPE tokenizers are supported)")
        }
        guard Self.containsByteLevel(t["pre_tokenizer"]) else {
            throw HFError.unsupportedTokenizer(reason: "no ByteLevel pre-tokenizer (SentencePiece-style BPE is not supported)")
        }
        guard let vocab = model["vocab"] as? [String: Int] else {
            throw HFError.unsupportedTokenizer(reason: "model.vocab is not an object of token → id")
        }
        let added = (t["added_tokens"] as? [[String: Any]]) ?? []

        var byId: [Int: String] = [:]
        for (token, id) in vocab {
            guard id >= 0 else { throw HFError.unsupportedTokenizer(reason: "token \(quoted(token)) has id \(id)") }
            byId[id] = token
        }
        var addedIds: [String: Int] = [:]
        var addedSpecial: [Int: Bool] = [:]
        for a in added {
            guard let id = a["id"] as? Int, id >= 0, let content = a["content"] as? String else {
                throw HFError.unsupportedTokenizer(reason: "added token without id and content: \(a)")
            }
            byId[id] = content
            addedIds[content] = id
            addedSpecial[id] = (a["special"] as? Bool) ?? false
        }
        self.addedIds = addedIds
        let largest = byId.keys.max() ?? -1
        let vocabSize = config.vocabSize ?? (largest + 1)
        guard largest < vocabSize else {
            throw HFError.invalidConfigValue(key: "vocab_size", value: "\(vocabSize)", reason: "tokenizer has token id \(largest)")
        }
        var tokens: [String] = []
        var types: [TokenType] = []
        tokens.reserveCapacity(vocabSize)
        for i in 0..<vocabSize {
            guard let token = byId[i] else {
                tokens.append("[PAD\(i)]")
                types.append(.unused)
                continue
            }
            if addedIds[token] != nil {
                if addedSpecial[i] == true || Self.looksSpecial(token) {
                    tokens.append(token)
                    types.append(.control)
                } else {
                    // User-defined tokens are stored pre-normalized: SentencePiece's ▁ as a space.
                    tokens.append(token.replacingOccurrences(of: "\u{2581}", with: " "))
                    types.append(.userDefined)
                }
            } else {
                tokens.append(token)
                types.append(.normal)
            }
        }
        self.tokens = tokens
        self.types = types
        merges = try Self.merges(model["merges"])
        addSpacePrefix = config.family == .llama ? tc?["add_prefix_space"] as? Bool : nil
        // As in SpecialVocab, only a folder with a tokenizer_config.json has a chat template.
        if let tc, let template = tc["chat_template"] as? String {
            chatTemplate = template
        } else if tc != nil, let jinja = try? String(contentsOf: folder.appendingPathComponent("chat_template.jinja"), encoding: .utf8) {
            chatTemplate = jinja
        } else {
            chatTemplate = nil
        }

        // Special tokens, as SpecialVocab finds them: tokenizer.json's post-processor,
        // then tokenizer_config.json, then config.json; the first id found for a kind wins.
        if let normalizer = t["normalizer"] as? [String: Any] { readNormalizer(normalizer) }
        var kinds = Self.specialKinds
        // Without a tokenizer_config.json the post-processor still decides add_bos/add_eos,
        // but the names it would give BOS/EOS are not looked up (as in SpecialVocab).
        var scratch = tc ?? [:]
        applyPostProcessor(t["post_processor"] as? [String: Any], config: &scratch, kinds: &kinds)
        if tc != nil { tc = scratch }
        if let tc {
            for kind in kinds {
                if let add = tc["add_\(kind)_token"] as? Bool, !addSpecial.contains(where: { $0.0 == kind }) {
                    addSpecial.append((kind, add))
                }
                let entry = tc["\(kind)_token"]
                let content = (entry as? String) ?? ((entry as? [String: Any])?["content"] as? String)
                if let content, let id = added.first(where: { ($0["content"] as? String) == content })?["id"] as? Int {
                    setSpecial(kind, id)
                }
            }
        }
        for kind in kinds {
            if let id = config.raw["\(kind)_token_id"] as? Int { setSpecial(kind, id) }
        }
        if config.family.isGLM {
            // The GLM converters name these by content (absent tokens are simply not set
            // here); GLM-4's also names a BOS, which only matters when none was found.
            var named = [("eos", "<|endoftext|>"), ("eot", "<|user|>"), ("unk", "<|endoftext|>")]
            if config.family == .glm4 { named.append(("bos", "<|endoftext|>")) }
            for (kind, content) in named {
                if let id = addedIds[content] { setSpecial(kind, id) }
            }
        }
        for (kind, id) in specialIds where id >= vocabSize {
            throw HFError.invalidConfigValue(key: "\(kind)_token", value: "\(id)", reason: "not below the vocabulary size \(vocabSize)")
        }
    }

    mutating func readNormalizer(_ n: [String: Any]) {
        switch n["type"] as? String {
        case "Lowercase": normalizerLowercase = true
        case "StripAccents": normalizerStripAccents = true
        case "BertNormalizer":
            if let v = n["lowercase"] as? Bool { normalizerLowercase = v }
            if let v = n["strip_accents"] as? Bool { normalizerStripAccents = v }
        case "Sequence":
            for inner in (n["normalizers"] as? [[String: Any]]) ?? [] { readNormalizer(inner) }
        default: break
        }
    }

    mutating func setSpecial(_ kind: String, _ id: Int) {
        guard id >= 0, !specialIds.contains(where: { $0.0 == kind }) else { return }
        specialIds.append((kind, id))
    }

    mutating func setAdd(_ kind: String, _ value: Bool, overwrite: Bool = true) {
        if let i = addSpecial.firstIndex(where: { $0.0 == kind }) {
            if overwrite { addSpecial[i].1 = value }
        } else {
            addSpecial.append((kind, value))
        }
    }

    /// What SpecialVocab reads from tokenizer.json's post-processor: ByteLevel adds
    /// nothing; a TemplateProcessing whose single template starts with a special token
    /// adds it as BOS (naming it BOS when the config names none), one that ends with a
    /// special token adds it as EOS, and a special token between $A and $B in the pair
    /// template that is the SEP/EOS token means add_sep.
    mutating func applyPostProcessor(_ processor: [String: Any]?, config tc: inout [String: Any], kinds: inout [String]) {
        guard let processor else { return }
        func content(_ key: String) -> String? {
            let v = tc[key]
            return (v as? String) ?? ((v as? [String: Any])?["content"] as? String)
        }
        func specialId(_ item: [String: Any]?) -> String? { (item?["SpecialToken"] as? [String: Any])?["id"] as? String }
        func sequenceId(_ item: [String: Any]?) -> String? { (item?["Sequence"] as? [String: Any])?["id"] as? String }
        var bos = content("bos_token"), cls = content("cls_token"), eos = content("eos_token"), sep = content("sep_token")
        if bos == nil, let c = cls { tc["bos_token"] = c; bos = c }
        if eos == nil, let s = sep { tc["eos_token"] = s; eos = s }
        let processors = (processor["processors"] as? [[String: Any]]) ?? [processor]
        for p in processors {
            switch p["type"] as? String {
            case "ByteLevel":
                setAdd("bos", false, overwrite: false)
                setAdd("eos", false, overwrite: false)
            case "TemplateProcessing":
                let single = (p["single"] as? [[String: Any]]) ?? []
                var pair = (p["pair"] as? [[String: Any]]) ?? []
                var first: String? = nil, last: String? = nil
                if single.count > 1 {
                    first = specialId(single.first)
                    if let f = first {
                        if f != bos && f != cls {
                            if bos == nil { tc["bos_token"] = f; bos = f }
                            if cls == nil { tc["cls_token"] = f; cls = f }
                        }
                        setAdd("bos", f == bos || f == cls)
                    }
                    last = specialId(single.last)
                    if let l = last {
                        if l != eos {
                            if !kinds.contains("eot") {
                                kinds.append("eot"); tc["eot_token"] = eos as Any
                            } else if !kinds.contains("eom") {
                                kinds.append("eom"); tc["eom_token"] = eos as Any
                            }
                            tc["eos_token"] = l; eos = l
                        }
                        setAdd("eos", l == eos)
                    }
                }
                if !pair.isEmpty {
                    let start = first != nil && specialId(pair.first) == first ? 1 : 0
                    let stop = last != nil && specialId(pair.last) == last ? pair.count - 1 : pair.count
                    pair = start < stop ? Array(pair[start..<stop]) : []
                    if sequenceId(pair.first) == "A" && sequenceId(pair.last) == "B" && pair.count > 2 {
                        let middle = Array(pair[1..<(pair.count - 1)])
                        var addSep = false
                        if let entry = specialId(middle.first), entry == sep || entry == eos, last == nil { addSep = true }
                        if middle.count == 2, let entry = specialId(middle[1]), entry == sep || entry == eos { addSep = true }
                        setAdd("sep", addSep)
                        if addSep && sep == nil { tc["sep_token"] = eos as Any }
                    }
                }
            default:
                break
            }
        }
    }

    /// The GGUF tokenizer entries, in llama.cpp's order.
    public func metadata(pre: String) -> [GGUFMetadataEntry] {
        var m: [GGUFMetadataEntry] = []
        if let addSpacePrefix {
            m.append(GGUFMetadataEntry(key: "tokenizer.ggml.add_space_prefix", type: .bool, value: .bool(addSpacePrefix)))
        }
        m += [GGUFMetadataEntry(key: "tokenizer.ggml.model", type: .string, value: .string("gpt2")),
                 GGUFMetadataEntry(key: "tokenizer.ggml.pre", type: .string, value: .string(pre)),
                 GGUFMetadataEntry(key: "tokenizer.ggml.tokens", type: .array, value: .array(.string, tokens.map { .string($0) })),
                 GGUFMetadataEntry(key: "tokenizer.ggml.token_type", type: .array,
                                   value: .array(.int32, types.map { .int($0.rawValue) }))]
        if !merges.isEmpty {
            m.append(GGUFMetadataEntry(key: "tokenizer.ggml.merges", type: .array, value: .array(.string, merges.map { .string($0) })))
        }
        for (kind, id) in specialIds {
            if let key = Self.idKeys[kind] { m.append(GGUFMetadataEntry(key: key, type: .uint32, value: .int(Int64(id)))) }
        }
        for (kind, add) in addSpecial {
            if let key = Self.addKeys[kind] { m.append(GGUFMetadataEntry(key: key, type: .bool, value: .bool(add))) }
        }
        if let chatTemplate {
            m.append(GGUFMetadataEntry(key: "tokenizer.chat_template", type: .string, value: .string(chatTemplate)))
        }
        if let normalizerLowercase {
            m.append(GGUFMetadataEntry(key: "tokenizer.ggml.normalizer.lowercase", type: .bool, value: .bool(normalizerLowercase)))
        }
        if let normalizerStripAccents {
            m.append(GGUFMetadataEntry(key: "tokenizer.ggml.normalizer.strip_accents", type: .bool, value: .bool(normalizerStripAccents)))
        }
        return m
    }

    /// "a b" strings; the pair form (transformers ≥ 4.45) joined the same way, with a space
    /// inside a part written as U+0120 as gguf-py does.
    static func merges(_ value: Any?) throws -> [String] {
        guard let list = value as? [Any], !list.isEmpty else { return [] }
        if let strings = list as? [String] { return strings }
        guard let pairs = list as? [[String]], pairs.allSatisfy({ $0.count == 2 }) else {
            throw HFError.unsupportedTokenizer(reason: "model.merges is neither strings nor pairs of strings")
        }
        return pairs.map { pair in
            pair.map { $0.replacingOccurrences(of: " ", with: "\u{0120}") }.joined(separator: " ")
        }
    }

    static func containsByteLevel(_ value: Any?) -> Bool {
        guard let p = value as? [String: Any] else { return false }
        if (p["type"] as? String) == "ByteLevel" { return true }
        return ((p["pretokenizers"] as? [[String: Any]]) ?? []).contains { containsByteLevel($0) }
    }

    /// Added tokens that are control tokens by their look even when not marked special.
    static func looksSpecial(_ t: String) -> Bool {
        ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(t)
            || (t.hasPrefix("<|") && t.hasSuffix("|>"))
            || (t.hasPrefix("<\u{FF5C}") && t.hasSuffix("\u{FF5C}>"))
            || (t.hasPrefix("<unused") && t.hasSuffix(">"))
    }
}
