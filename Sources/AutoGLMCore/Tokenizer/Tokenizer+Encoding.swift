/// Text → ids: special tokens first, then pre-tokenizer splits merged by BPE.
extension Tokenizer {
    // MARK: encoding

    /// Token ids for `text`. `addBos` prepends the BOS token (if the vocabulary has one); callers
    /// usually pass `addBosDefault`. With `parseSpecial`, control tokens written in the text (e.g.
    /// "<|im_start|>") become their ids; without it they are tokenized as plain text. User-defined
    /// tokens are always matched (llama.cpp and HF treat them as words of the vocabulary).
    public func encode(_ text: String, addBos: Bool = false, parseSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        if addBos, let bos = bosTokenId { out.append(bos) }
        let bytes = Array(text.utf8)
        out.reserveCapacity(out.count + bytes.count / 3 + 4)
        var scratch = EncodeScratch()
        bytes.withUnsafeBufferPointer { p in
            var fragmentStart = 0
            var i = 0
            while i < p.count {
                if specials.count > 0, let (id, length) = specials.match(p, at: i, parseSpecial: parseSpecial) {
                    if i > fragmentStart { encodeFragment(p, fragmentStart..<i, &scratch, &out) }
                    out.append(id)
                    i += length
                    fragmentStart = i
                } else {
                    i += 1
                }
            }
            if fragmentStart < p.count { encodeFragment(p, fragmentStart..<p.count, &scratch, &out) }
        }
        return out
    }

    struct EncodeScratch {
        var scalars: [UInt32] = []
        var classes: [ScalarClass] = []
        var offsets: [Int] = []
        var ends: [Int] = []
        var bpe = ByteLevelBPE.Scratch()
        var spm = SentencePieceBPE.Scratch()
        var normalized: [UInt8] = []
        var nfcWork: [UInt32] = []
    }

    func encodeFragment(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ s: inout EncodeScratch,
                                _ out: inout [Int32]) {
        var start = range.lowerBound
        while range.upperBound - start > Tokenizer.maxFragmentBytes {
            var cut = start + Tokenizer.maxFragmentBytes
            while cut > start && p[cut] & 0xC0 == 0x80 { cut -= 1 }  // not inside a character
            encodePiece(p, start..<cut, &s, &out)
            start = cut
        }
        encodePiece(p, start..<range.upperBound, &s, &out)
    }

    func encodePiece(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ s: inout EncodeScratch,
                             _ out: inout [Int32]) {
        switch encoder {
        case .sentencePiece(let spm):
            let fragment = UnsafeBufferPointer(rebasing: p[range])
            var prefix = addSpacePrefix
            if prefix && spacePrefix == .firstFragment {
                prefix = range.lowerBound == 0 && !Tokenizer.startsWithSpace(fragment)
            }
            spm.encode(fragment, prefixSpace: prefix, index: index, scratch: &s.spm, into: &out)
        case .byteLevel(let bpe, let split, let nfc):
            s.scalars.removeAll(keepingCapacity: true)
            s.classes.removeAll(keepingCapacity: true)
            s.offsets.removeAll(keepingCapacity: true)
            var i = range.lowerBound
            while i < range.upperBound {
                let len = min(UTF8Scan.sequenceLength(lead: p[i]), range.upperBound - i)
                let scalar = UTF8Scan.scalar(p, at: i, length: len)
                s.scalars.append(scalar)
                s.classes.append(ScalarClass(scalar))
                s.offsets.append(i)
                i += len
            }
            s.offsets.append(range.upperBound)
            let needsNFC = nfc && s.scalars.withUnsafeBufferPointer { UnicodeNFC.mayChange($0) }
            if !needsNFC {
                splitAndMerge(p, split, bpe, &s, &out)
                return
            }
            // Normalise, then tokenize the re-encoded text instead of the input bytes.
            UnicodeNFC.normalize(&s.scalars, work: &s.nfcWork)
            s.normalized.removeAll(keepingCapacity: true)
            s.classes.removeAll(keepingCapacity: true)
            s.offsets.removeAll(keepingCapacity: true)
            for scalar in s.scalars {
                s.offsets.append(s.normalized.count)
                s.classes.append(ScalarClass(scalar))
                UTF8Scan.append(scalar, to: &s.normalized)
            }
            s.offsets.append(s.normalized.count)
            let text = s.normalized
            text.withUnsafeBufferPointer { splitAndMerge($0, split, bpe, &s, &out) }
        }
    }

    /// Pre-tokenizes the scalars in `s` (offsets into `p`) and runs BPE on each piece.
    func splitAndMerge(_ p: UnsafeBufferPointer<UInt8>, _ split: PreTokenizer, _ bpe: ByteLevelBPE,
                               _ s: inout EncodeScratch, _ out: inout [Int32]) {
        // Second references to the buffers so `s` can be mutated while they are read.
        let scalars = s.scalars, classes = s.classes
        scalars.withUnsafeBufferPointer { sc in
            classes.withUnsafeBufferPointer { cl in split.split(sc, cl, ends: &s.ends) }
        }
        var previous = 0
        for k in 0..<s.ends.count {
            let end = s.ends[k]
            let word = UnsafeBufferPointer(rebasing: p[s.offsets[previous]..<s.offsets[end]])
            bpe.encode(word, index: index, scratch: &s.bpe, into: &out)
            previous = end
        }
    }
}
