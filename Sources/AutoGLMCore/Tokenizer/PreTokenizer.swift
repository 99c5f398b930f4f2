/// The regex splits byte-level BPE vocabularies are trained with, hand-written (Core has no regex
/// engine). Each `match` function returns where the regex's leftmost match starting at `i` ends,
/// following the alternatives in order with the regex engine's backtracking (HF tokenizers runs
/// them with Oniguruma, `Split(..., behavior: isolated)`):
///
/// gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
///         |\s*[\r\n]+|\s+(?!\S)|\s+                       (Llama-3, GLM-4)
/// qwen2:  as llama3 with \p{N} for \p{N}{1,3}
///
/// Every code point matches some alternative at its own position, so the matches tile the text.
/// `\s` is Unicode White_Space, ' ' is only U+0020.
enum PreTokenizer: Equatable {
    case gpt2
    case llama3
    case qwen2

    /// Writes the end (scalar index, exclusive) of each piece of `s` into `ends`.
    func split(_ s: UnsafeBufferPointer<UInt32>, _ cls: UnsafeBufferPointer<ScalarClass>, ends: inout [Int]) {
        ends.removeAll(keepingCapacity: true)
        var i = 0
        while i < s.count {
            let e: Int
            switch self {
            case .gpt2: e = PreTokenizer.matchGPT2(s, cls, i)
            case .llama3: e = PreTokenizer.matchLlama3(s, cls, i, maxDigits: 3)
            case .qwen2: e = PreTokenizer.matchLlama3(s, cls, i, maxDigits: 1)
            }
            ends.append(e)
            i = e
        }
    }

    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20

    @inline(__always)
    private static func isCRLF(_ c: UInt32) -> Bool { c == 0x0A || c == 0x0D }

    /// End of the run of `cls == k` starting at `i` (`i` itself is assumed to be in the run).
    @inline(__always)
    private static func run(_ cls: UnsafeBufferPointer<ScalarClass>, from i: Int, _ k: ScalarClass) -> Int {
        var j = i
        while j < cls.count && cls[j] == k { j += 1 }
        return j
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-sensitive or with Oniguruma's (?i) folding (which also folds
    /// U+017F LATIN SMALL LETTER LONG S to 's'). Returns the end or nil.
    @inline(__always)
    private static func contraction(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, ignoreCase: Bool) -> Int? {
        guard s[i] == apostrophe, i + 1 < s.count else { return nil }
        @inline(__always) func fold(_ c: UInt32) -> UInt32 {
            guard ignoreCase else { return c }
            if c >= 0x41 && c <= 0x5A { return c + 0x20 }
            if c == 0x17F { return 0x73 }  // ſ folds to s
            return c
        }
        let a = fold(s[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        default: break
        }
        guard i + 2 < s.count else { return nil }
        let b = fold(s[i + 2])
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return i + 3 }  // re ve ll
        return nil
    }

    /// `\s+(?!\S)|\s+` at a whitespace code point: the whole run if it reaches the end of the text,
    /// else the run without its last code point (left for the next piece, e.g. " word"), but never
    /// less than one code point.
    @inline(__always)
    private static func whitespaceRun(_ cls: UnsafeBufferPointer<ScalarClass>, _ i: Int) -> Int {
        let e = run(cls, from: i, .whitespace)
        if e == cls.count || e - i == 1 { return e }
        return e - 1
    }

    static func matchGPT2(_ s: UnsafeBufferPointer<UInt32>, _ cls: UnsafeBufferPointer<ScalarClass>, _ i: Int) -> Int {
        if let e = contraction(s, i, ignoreCase: false) { return e }
        let c = cls[i]
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional leading U+0020, then a run of one class.
        if s[i] == space && i + 1 < s.count && cls[i + 1] != .whitespace {
            return run(cls, from: i + 1, cls[i + 1])
        }
        if c != .whitespace { return run(cls, from: i, c) }
        return whitespaceRun(cls, i)
    }

    static func matchLlama3(_ s: UnsafeBufferPointer<UInt32>, _ cls: UnsafeBufferPointer<ScalarClass>, _ i: Int,
                            maxDigits: Int) -> Int {
        let n = s.count
        if let e = contraction(s, i, ignoreCase: true) { return e }
        let c = cls[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`: one optional code point that is not CR/LF, letter or number
        // (a space, tab, apostrophe, bracket, ...) glued to the letters after it.
        if c == .letter { return run(cls, from: i, .letter) }
        if c != .number && !isCRLF(s[i]) && i + 1 < n && cls[i + 1] == .letter {
            return run(cls, from: i + 1, .letter)
        }
        // `\p{N}{1,3}` (or `\p{N}`)
        if c == .number {
            var j = i + 1
            while j < n && j - i < maxDigits && cls[j] == .number { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = -1
        if c == .other {
            start = i
        } else if s[i] == space && i + 1 < n && cls[i + 1] == .other {
            start = i + 1
        }
        if start >= 0 {
            var j = run(cls, from: start, .other)
            while j < n && isCRLF(s[j]) { j += 1 }
            return j
        }
        // Whitespace from here on. `\s*[\r\n]+`: the run up to and including its last CR/LF.
        let e = run(cls, from: i, .whitespace)
        var k = e - 1
        while k >= i && !isCRLF(s[k]) { k -= 1 }
        if k >= i { return k + 1 }
        return whitespaceRun(cls, i)
    }
}
