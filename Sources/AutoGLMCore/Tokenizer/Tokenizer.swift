/// Text <-> token ids for a model, built from the vocabulary llama.cpp's converter stores in a GGUF
/// file (tokenizer.ggml.*). Two models are supported:
///
/// - "gpt2": byte-level BPE with merges (Llama-3, Qwen2, GLM-4, GPT-2), with the pre-tokenizer
///   split named by tokenizer.ggml.pre (see PreTokenizer and PreTokenizerNames);
/// - "llama": SentencePiece-style BPE with scores and `<0xXX>` byte fallback.
///
/// The ids match HF tokenizers' for the same vocabulary (`add_special_tokens=False`). Deviations,
/// all deliberate:
/// - Qwen2 vocabularies NFC-normalise text before splitting it, as their HF tokenizer does (llama.cpp
///   does not), so text that is not NFC tokenizes as HF does but does not decode back unchanged;
/// - "llama" vocabularies put the "▁" space prefix only in front of text that starts the input and
///   does not already start with a space, as HF's Metaspace(prepend_scheme: "first") does; llama.cpp
///   (and HF's legacy Llama tokenizer) put it before every text fragment, even one starting with a
///   space. `SpacePrefix.everyFragment` selects that behaviour;
/// - decoding is lossless: no clean-up of spaces before punctuation, control tokens render as
///   their text (callers stop at `isEndOfGeneration` before rendering).
///
/// All tables are built once in `init`; `encode` and `decode` only read them, so one tokenizer can
/// serve several threads.
public final class Tokenizer {
    public enum Model: Equatable {
        case byteLevelBPE
        case sentencePieceBPE
    }

    /// Where a "llama" (SentencePiece) vocabulary puts its "▁" space prefix.
    public enum SpacePrefix: Equatable {
        /// Only before text at the very start of the input, and only if that text does not already
        /// start with a space (HF Metaspace prepend_scheme "first", transformers' non-legacy Llama).
        case firstFragment
        /// Before the start of the input and after every special token, even before a space
        /// (llama.cpp's llm_tokenizer_spm, sentencepiece itself, HF legacy Llama).
        case everyFragment
    }

    /// tokenizer.ggml.token_type values.
    public enum TokenType: UInt8, Equatable {
        case undefined = 0
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    /// Ids are Int32, so the vocabulary must fit.
    public static let maxVocabularySize = Int(Int32.max)
    /// Token texts are indexed with 32-bit offsets.
    public static let maxVocabularyBytes = Int(Int32.max)
    /// Longest stretch of text (between special tokens) encoded as one piece: the encoders number
    /// symbols with 32-bit integers. Longer stretches are cut at a character boundary.
    static let maxFragmentBytes = 1 << 28

    public let model: Model
    public let vocabularySize: Int
    public let bosTokenId: Int32?
    public let eosTokenId: Int32?
    public let eotTokenId: Int32?
    public let eomTokenId: Int32?
    public let unknownTokenId: Int32?
    public let paddingTokenId: Int32?
    /// tokenizer.ggml.add_bos_token, or llama.cpp's default for the vocabulary when it is absent.
    public let addBosDefault: Bool
    /// tokenizer.ggml.add_space_prefix ("llama" vocabularies; default true). Always false for "gpt2".
    public let addSpacePrefix: Bool
    public let spacePrefix: SpacePrefix

    let tokenTypes: [TokenType]
    /// What each token stands for, back to back: token i is pieces[pieceStarts[i]..<pieceStarts[i+1]].
    let pieces: [UInt8]
    let pieceStarts: [Int32]
    let maxPieceLength: Int
    /// The text the encoder matches: raw bytes for byte-level vocabularies, "▁"-escaped text for
    /// SentencePiece ones.
    let index: TokenTextIndex
    let specials: SpecialTokenMatcher
    let endOfGeneration: [Bool]
    let encoder: Encoder

    enum Encoder {
        case byteLevel(ByteLevelBPE, PreTokenizer, normalizeNFC: Bool)
        case sentencePiece(SentencePieceBPE)
    }

    // MARK: loading

    public init(gguf: GGUFFile, spacePrefix: SpacePrefix = .firstFragment) throws(CoreError) {
        self.spacePrefix = spacePrefix
        guard let modelName = try Tokenizer.optionalString(gguf, Keys.model) else {
            throw .tokenizer(.missingVocabulary(key: Keys.model))
        }
        let kind: Model
        // Byte comparisons: String == is canonical equivalence, which Core does not need (and
        // Embedded Swift would have to link Unicode tables for).
        if modelName.utf8.elementsEqual("gpt2".utf8) {
            kind = .byteLevelBPE
        } else if modelName.utf8.elementsEqual("llama".utf8) {
            kind = .sentencePieceBPE
        } else {
            throw .tokenizer(.unsupportedModel(modelName))
        }

        guard let tokens = try gguf.stringArray(Keys.tokens) else { throw .tokenizer(.missingVocabulary(key: Keys.tokens)) }
        let n = tokens.count
        guard n > 0 else { throw .tokenizer(.emptyVocabulary) }
        guard n <= Tokenizer.maxVocabularySize else {
            throw .tokenizer(.vocabularyTooLarge(count: n, limit: Tokenizer.maxVocabularySize))
        }
        vocabularySize = n

        var types = [TokenType](repeating: .normal, count: n)
        if let raw = try gguf.intArray(Keys.tokenType) {
            guard raw.count == n else {
                throw .tokenizer(.inconsistentVocabulary(key: Keys.tokenType, count: raw.count, expected: n))
            }
            for i in 0..<n {
                guard raw[i] >= 0, raw[i] <= 6, let t = TokenType(rawValue: UInt8(raw[i])) else {
                    throw .tokenizer(.badTokenType(id: i, type: raw[i]))
                }
                types[i] = t
            }
        }
        var scores: [Float] = []
        if let s = try gguf.floatArray(Keys.scores) {
            guard s.count == n else { throw .tokenizer(.inconsistentVocabulary(key: Keys.scores, count: s.count, expected: n)) }
            scores = s
        }

        let bos = try Tokenizer.specialId(gguf, Keys.bos, n)
        let eos = try Tokenizer.specialId(gguf, Keys.eos, n)
        let eom = try Tokenizer.specialId(gguf, Keys.eom, n)
        let unk = try Tokenizer.specialId(gguf, Keys.unknown, n)
        let pad = try Tokenizer.specialId(gguf, Keys.padding, n)

        // Raw token text -> id. llama.cpp refuses a vocabulary with a repeated token; so do we.
        var totalBytes = 0
        for t in tokens { totalBytes += t.utf8.count }
        guard totalBytes <= Tokenizer.maxVocabularyBytes else {
            throw .tokenizer(.vocabularyTextTooLarge(bytes: totalBytes, limit: Tokenizer.maxVocabularyBytes))
        }
        var rawIndex = TokenTextIndex(expectedCount: n, expectedBytes: totalBytes)
        for i in 0..<n {
            let dup: Int32? = Tokenizer.withUTF8(tokens[i]) { rawIndex.insert($0, id: Int32(i)) }
            if let first = dup {
                throw .tokenizer(.duplicateToken(text: tokens[i], firstId: Int(first), secondId: i))
            }
        }

        // End-of-generation tokens, found by text as llama.cpp does (its converter does not list them
        // all). Tokens found this way count as control tokens, as llama.cpp forces them to.
        var eog = [Bool](repeating: false, count: n)
        for name in EndOfGenerationNames.all {
            if let id = rawIndex.lookup(Array(name.utf8)) {
                eog[Int(id)] = true
                if types[Int(id)] != .control { types[Int(id)] = .control }
            }
        }
        var eot = try Tokenizer.specialId(gguf, Keys.eot, n)
        if eot == nil {
            // llama.cpp takes the first such text it meets in a hash map; the smallest id is the
            // deterministic equivalent.
            for name in EndOfGenerationNames.endOfTurn {
                if let id = rawIndex.lookup(Array(name.utf8)), eot == nil || id < eot! { eot = id }
            }
        }
        for id in [eos, eot, eom] { if let id { eog[Int(id)] = true } }
        EndOfGenerationNames.applyWorkarounds(&eog, rawIndex)

        // Pre-tokenizer, add_bos and add_space_prefix defaults as llama.cpp's llama_vocab::load.
        var split = PreTokenizer.gpt2
        var ignoreMerges = false
        var nfc = false
        var bosDefault = false
        let spaceDefault: Bool
        if kind == .byteLevelBPE {
            let preName = try Tokenizer.optionalString(gguf, Keys.pre) ?? "default"
            guard let entry = PreTokenizerNames.resolve(preName) else { throw .tokenizer(.unknownPreTokenizer(preName)) }
            split = entry.split
            ignoreMerges = entry.ignoreMerges
            nfc = entry.normalizeNFC
            bosDefault = entry.addBosByDefault
            spaceDefault = false
        } else {
            bosDefault = true
            spaceDefault = try Tokenizer.optionalBool(gguf, Keys.addSpacePrefix) ?? true
        }
        let addBos = try Tokenizer.optionalBool(gguf, Keys.addBos) ?? bosDefault
        if addBos && bos == nil {
            throw .tokenizer(.missingSpecialToken(flag: Keys.addBos, idKey: Keys.bos))
        }

        // Pieces (what each token decodes to) and the encoder's text index.
        var pieceBytes: [UInt8] = []
        pieceBytes.reserveCapacity(totalBytes)
        var starts: [Int32] = []
        starts.reserveCapacity(n + 1)
        var longest = 0
        var specialList: [(Int32, [UInt8], Bool)] = []
        // Byte-level vocabularies: raw bytes of each token when its text is byte-level encoded.
        var decodedOK = [Bool](repeating: false, count: kind == .byteLevelBPE ? n : 0)
        for i in 0..<n {
            let start = pieceBytes.count
            starts.append(Int32(start))
            let text = tokens[i]
            switch types[i] {
            case .control, .unknown, .userDefined:
                pieceBytes.append(contentsOf: text.utf8)
                specialList.append((Int32(i), Array(text.utf8), types[i] == .userDefined))
            case .byte:
                guard let b = Tokenizer.parseByteToken(text) else {
                    throw .tokenizer(.malformedByteToken(id: i, text: text))
                }
                pieceBytes.append(b)
            case .normal, .unused, .undefined:
                // llama.cpp renders unused/undefined tokens as nothing; rendering their text keeps
                // decoding lossless and costs nothing.
                if kind == .byteLevelBPE {
                    if ByteLevelEncoding.decode(text, into: &pieceBytes) {
                        decodedOK[i] = true
                    } else {
                        pieceBytes.append(contentsOf: text.utf8)
                    }
                } else {
                    Tokenizer.appendUnescapingSpaces(text, to: &pieceBytes)
                }
            }
            longest = max(longest, pieceBytes.count - start)
        }
        starts.append(Int32(pieceBytes.count))

        let textIndex: TokenTextIndex
        let theEncoder: Encoder
        switch kind {
        case .sentencePieceBPE:
            textIndex = rawIndex
            var byteTokens = [Int32](repeating: -1, count: 256)
            for b in 0..<256 {
                if let id = rawIndex.lookup(Tokenizer.byteTokenText(UInt8(b))) { byteTokens[b] = id }
            }
            if scores.isEmpty { scores = [Float](repeating: 0, count: n) }
            theEncoder = .sentencePiece(SentencePieceBPE(scores: scores, byteTokens: byteTokens, unknownId: unk))
        case .byteLevelBPE:
            // Keyed by raw bytes. Byte-level-encoded texts go first, so that a token whose text is
            // not byte-level encoded (e.g. an added "a b" with a real space) never hides the
            // ordinary token with the same bytes ("aĠb") that merges produce.
            var modelIndex = TokenTextIndex(expectedCount: n, expectedBytes: pieceBytes.count)
            pieceBytes.withUnsafeBufferPointer { all in
                for i in 0..<n where decodedOK[i] {
                    modelIndex.insert(UnsafeBufferPointer(rebasing: all[Int(starts[i])..<Int(starts[i + 1])]), id: Int32(i))
                }
            }
            var key: [UInt8] = []
            for i in 0..<n where !decodedOK[i] {
                key.removeAll(keepingCapacity: true)
                if !ByteLevelEncoding.decode(tokens[i], into: &key) { key.append(contentsOf: tokens[i].utf8) }
                key.withUnsafeBufferPointer { _ = modelIndex.insert($0, id: Int32(i)) }
            }
            var byteTokens = [Int32](repeating: -1, count: 256)
            for b in 0..<256 {
                if let id = modelIndex.lookup([UInt8(b)]) { byteTokens[b] = id }
            }
            guard let merges = try gguf.stringArray(Keys.merges) else { throw .tokenizer(.missingVocabulary(key: Keys.merges)) }
            let bpe = try Tokenizer.loadMerges(merges, modelIndex, byteTokens, ignoreMerges: ignoreMerges)
            textIndex = modelIndex
            theEncoder = .byteLevel(bpe, split, normalizeNFC: nfc)
        }

        model = kind
        bosTokenId = bos
        eosTokenId = eos
        eotTokenId = eot
        eomTokenId = eom
        unknownTokenId = unk
        paddingTokenId = pad
        addBosDefault = addBos
        addSpacePrefix = spaceDefault
        tokenTypes = types
        endOfGeneration = eog
        pieces = pieceBytes
        pieceStarts = starts
        maxPieceLength = longest
        specials = SpecialTokenMatcher(specialList)
        index = textIndex
        encoder = theEncoder
    }

    enum Keys {
        static let model = "tokenizer.ggml.model"
        static let pre = "tokenizer.ggml.pre"
        static let tokens = "tokenizer.ggml.tokens"
        static let tokenType = "tokenizer.ggml.token_type"
        static let merges = "tokenizer.ggml.merges"
        static let scores = "tokenizer.ggml.scores"
        static let bos = "tokenizer.ggml.bos_token_id"
        static let eos = "tokenizer.ggml.eos_token_id"
        static let eot = "tokenizer.ggml.eot_token_id"
        static let eom = "tokenizer.ggml.eom_token_id"
        static let unknown = "tokenizer.ggml.unknown_token_id"
        static let padding = "tokenizer.ggml.padding_token_id"
        static let addBos = "tokenizer.ggml.add_bos_token"
        static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    }

    private static func loadMerges(_ merges: [String], _ index: TokenTextIndex, _ byteTokens: [Int32],
                                   ignoreMerges: Bool) throws(CoreError) -> ByteLevelBPE {
        var table = TokenPairTable(expectedCount: merges.count)
        var left: [Int32] = [], right: [Int32] = [], result: [Int32] = []
        left.reserveCapacity(merges.count)
        right.reserveCapacity(merges.count)
        result.reserveCapacity(merges.count)
        var bytes: [UInt8] = []
        for (i, merge) in merges.enumerated() {
            var utf8Copy = merge
            let found: (Int32?, Int32?, Int32?)? = utf8Copy.withUTF8 { text in
                // llama.cpp splits at the first space after the first byte (a half may itself be " "
                // in vocabularies that are not byte-level encoded).
                var split = -1
                for k in 1..<max(1, text.count) where text[k] == 0x20 {
                    split = k
                    break
                }
                guard split > 0, split + 1 < text.count else { return nil }
                // Raw bytes of both halves back to back, so the merged token is the whole buffer.
                bytes.removeAll(keepingCapacity: true)
                let halves = [UnsafeBufferPointer(rebasing: text[0..<split]),
                              UnsafeBufferPointer(rebasing: text[(split + 1)...])]
                var leftCount = 0
                for (h, half) in halves.enumerated() {
                    if !ByteLevelEncoding.decode(half, into: &bytes) { bytes.append(contentsOf: half) }
                    if h == 0 { leftCount = bytes.count }
                }
                return bytes.withUnsafeBufferPointer { b in
                    let p = b.baseAddress!
                    return (index.lookup(p, leftCount), index.lookup(p + leftCount, b.count - leftCount),
                            index.lookup(p, b.count))
                }
            }
            guard let ids = found else { throw .tokenizer(.malformedMerge(index: i, merge: merge)) }
            guard let l = ids.0, let r = ids.1, let m = ids.2 else {
                let parts = Tokenizer.mergeHalves(merge)
                let missing = ids.0 == nil ? parts.0 : ids.1 == nil ? parts.1 : parts.0 + parts.1
                throw .tokenizer(.mergeNotInVocabulary(index: i, merge: merge, missing: missing))
            }
            if table.insertIfAbsent(l, r, value: Int32(left.count)) {
                left.append(l)
                right.append(r)
                result.append(m)
            }
        }
        return ByteLevelBPE(ranks: table, mergeLeft: left, mergeRight: right, mergeResult: result,
                            byteTokens: byteTokens, ignoreMerges: ignoreMerges)
    }

    /// The two halves of a merge as written (for error messages).
    private static func mergeHalves(_ merge: String) -> (String, String) {
        let b = Array(merge.utf8)
        var split = 1
        while split < b.count && b[split] != 0x20 { split += 1 }
        return (String(decoding: b[0..<min(split, b.count)], as: UTF8.self),
                String(decoding: b[min(split + 1, b.count)...], as: UTF8.self))
    }

    // MARK: helpers

    private static func optionalString(_ g: GGUFFile, _ key: String) throws(CoreError) -> String? {
        guard let v = g.metadata[key] else { return nil }
        guard let s = v.asString else { throw .gguf(.wrongValueType(key: key, expected: "a string")) }
        return s
    }

    private static func optionalBool(_ g: GGUFFile, _ key: String) throws(CoreError) -> Bool? {
        guard let v = g.metadata[key] else { return nil }
        guard let b = v.asBool else { throw .gguf(.wrongValueType(key: key, expected: "a bool")) }
        return b
    }

    private static func specialId(_ g: GGUFFile, _ key: String, _ n: Int) throws(CoreError) -> Int32? {
        guard let v = g.metadata[key] else { return nil }
        guard let id = v.asInt else {
            if case .uint64(let u) = v { throw .tokenizer(.specialTokenOutOfRange(key: key, id: Int(truncatingIfNeeded: u), vocabularySize: n)) }
            throw .gguf(.wrongValueType(key: key, expected: "an integer"))
        }
        guard id >= 0, id < n else { throw .tokenizer(.specialTokenOutOfRange(key: key, id: id, vocabularySize: n)) }
        return Int32(id)
    }

    private static func withUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var copy = s
        return copy.withUTF8 { body($0) }
    }

    /// "<0xXX>" -> XX (either case of hex digit).
    static func parseByteToken(_ text: String) -> UInt8? {
        let b = Array(text.utf8)
        guard b.count == 6, b[0] == 0x3C, b[1] == 0x30, b[2] == 0x78, b[5] == 0x3E,
              let hi = hexValue(b[3]), let lo = hexValue(b[4]) else { return nil }
        return hi << 4 | lo
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// The text of the byte token for `b`, "<0xXX>" with upper-case hex as SentencePiece writes it.
    static func byteTokenText(_ b: UInt8) -> [UInt8] {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        return [0x3C, 0x30, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)], 0x3E]
    }

    private static func appendUnescapingSpaces(_ text: String, to out: inout [UInt8]) {
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            if i + 2 < b.count && b[i] == 0xE2 && b[i + 1] == 0x96 && b[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
    }

    static func startsWithSpace(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        if p.count >= 1 && p[0] == 0x20 { return true }
        return p.count >= 3 && p[0] == 0xE2 && p[1] == 0x96 && p[2] == 0x81
    }
}
