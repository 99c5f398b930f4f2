/// Random access to a checkpoint's bytes: a file (read on demand) or an array.
public protocol CheckpointSource {
    var size: Int { get }
    /// Exactly `count` bytes at `offset`; callers check the range against `size` first.
    func read(offset: Int, count: Int) throws(CoreError) -> [UInt8]
}

public struct ByteArrayCheckpointSource: CheckpointSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int { bytes.count }
    public func read(offset: Int, count: Int) throws(CoreError) -> [UInt8] { Array(bytes[offset..<(offset + count)]) }
}

/// Reads and validates a checkpoint against the running identity. Nothing from the file is
/// trusted: every length is checked against the file size and the format's limits before
/// anything is read or allocated, every section's CRC32C is checked, and every field
/// against what the running model accepts. The page bytes are only located here (their
/// CRC is checked when `restorePages` reads them), so a scan reads a few KB per file.
public enum CheckpointDecoder {
    public static func decode<S: CheckpointSource>(_ source: S, expecting id: CheckpointIdentity) throws(CoreError) -> DecodedCheckpoint {
        let size = source.size
        guard size >= CheckpointFormat.fileHeaderBytes else {
            throw .checkpoint(.truncated(what: "file header", needed: CheckpointFormat.fileHeaderBytes, available: size))
        }
        var header = CheckpointCursor(try source.read(offset: 0, count: CheckpointFormat.fileHeaderBytes), section: "file header")
        guard Array(try header.bytes(8, "magic")) == CheckpointFormat.magic else { throw .checkpoint(.badMagic) }
        let version = try header.u32("version")
        let sections = try header.u32("section count")
        let storedCRC = try header.u32("crc")
        let computedCRC = CRC32C.checksum(Array(header.bytes[0..<16]))
        guard storedCRC == computedCRC else {
            throw .checkpoint(.damaged(section: "file header", stored: storedCRC, computed: computedCRC))
        }
        guard version == CheckpointFormat.version else {
            throw .checkpoint(.unsupportedVersion(found: version, supported: CheckpointFormat.version))
        }
        guard sections == CheckpointFormat.sectionCount else {
            throw .checkpoint(.invalidField(name: "section count", value: "\(sections)", limit: "\(CheckpointFormat.sectionCount) in version 1"))
        }

        var offset = CheckpointFormat.fileHeaderBytes
        var payloads: [[UInt8]] = []
        var kv = (offset: 0, length: 0, crc: UInt32(0))
        for (tag, name) in CheckpointFormat.sectionOrder {
            guard size - offset >= CheckpointFormat.sectionHeaderBytes else {
                throw .checkpoint(.truncated(what: name + " header", needed: CheckpointFormat.sectionHeaderBytes, available: size - offset))
            }
            var h = CheckpointCursor(try source.read(offset: offset, count: CheckpointFormat.sectionHeaderBytes), section: name)
            let foundTag = try h.u32("tag")
            guard foundTag == tag else { throw .checkpoint(.unexpectedSection(found: foundTag, expected: name)) }
            let length = try h.u64("length")
            let crc = try h.u32("crc")
            offset += CheckpointFormat.sectionHeaderBytes
            guard length <= UInt64(size - offset) else {
                throw .checkpoint(.truncated(what: name, needed: length > UInt64(Int.max) ? Int.max : Int(length), available: size - offset))
            }
            let n = Int(length)
            if tag == CheckpointFormat.kvPages {
                kv = (offset, n, crc)
            } else {
                guard n <= CheckpointFormat.maxMetadataSectionBytes else {
                    throw .checkpoint(.invalidField(name: name + " length", value: "\(n)", limit: "at most \(CheckpointFormat.maxMetadataSectionBytes)"))
                }
                let payload = try source.read(offset: offset, count: n)
                let computed = CRC32C.checksum(payload)
                guard computed == crc else { throw .checkpoint(.damaged(section: name, stored: crc, computed: computed)) }
                payloads.append(payload)
            }
            offset += n
        }
        guard offset == size else { throw .checkpoint(.trailingBytes(count: size - offset)) }

        var head = CheckpointCursor(payloads[0], section: "HEAD")
        let key = try decodeHead(&head, expecting: id)
        let tokens = try decodeTokens(CheckpointCursor(payloads[1], section: "TOKN"), vocabularySize: id.vocabularySize)
        let sampler = try decodeSampler(CheckpointCursor(payloads[2], section: "SAMP"))
        var gen = CheckpointCursor(payloads[3], section: "GENS")
        let limit = tokens.count
        let promptCount = try gen.count("promptCount", limit: limit)
        let generatedCount = try gen.count("generatedCount", limit: limit)
        let maxNewTokens = try gen.count("maxNewTokens", limit: CheckpointFormat.maxTokens)
        let kvPositions = try gen.count("kvPositions", limit: limit)
        let pageCount = try gen.count("kvPageCount", limit: CheckpointFormat.maxTokens)
        let storageCode = try gen.u8("kvStorage")
        let finished = try gen.u8("finished")
        try gen.expectEnd()
        guard promptCount + generatedCount == tokens.count else {
            throw .checkpoint(.invalidField(name: "GENS.promptCount + generatedCount", value: "\(promptCount + generatedCount)",
                                            limit: "must equal the \(tokens.count) tokens"))
        }
        guard let storage = CheckpointKVStorage(rawValue: storageCode), storage == .native || id.kvType != .int8 else {
            throw .checkpoint(.invalidField(name: "GENS.kvStorage", value: "\(storageCode)", limit: "0 native, 1 int8 (f32/f16 pools)"))
        }
        guard finished <= 1 else { throw .checkpoint(.invalidField(name: "GENS.finished", value: "\(finished)", limit: "0 or 1")) }
        let checkpoint = SessionCheckpoint(
            sessionKey: key.key, saveCounter: key.counter, savedAt: key.savedAt, priority: key.priority, tokens: tokens,
            sampler: sampler,
            generation: GenerationSnapshot(promptCount: promptCount, generatedCount: generatedCount, maxNewTokens: maxNewTokens,
                                           kvPositions: kvPositions, finished: finished == 1),
            kvStorage: storage)
        guard pageCount == checkpoint.kvPageCount else {
            throw .checkpoint(.invalidField(name: "GENS.kvPageCount", value: "\(pageCount)", limit: "\(checkpoint.kvPageCount) for \(kvPositions) positions"))
        }
        let expectedKV = pageCount * CheckpointEncoder.storedPageBytes(
            layerCount: id.layerCount, kvDim: id.kvDim, kvHeadCount: id.kvHeadCount, pageBytes: id.pageBytes, storage: storage)
        guard kv.length == expectedKV else {
            throw .checkpoint(.invalidField(name: "KVPG length", value: "\(kv.length)", limit: "\(expectedKV) for \(pageCount) pages"))
        }
        return DecodedCheckpoint(checkpoint: checkpoint, kvOffset: kv.offset, kvLength: kv.length, kvCRC: kv.crc)
    }

    /// Reads the page bytes and checks their CRC32C.
    public static func readPages<S: CheckpointSource>(_ d: DecodedCheckpoint, from source: S) throws(CoreError) -> [UInt8] {
        guard d.kvOffset >= 0, d.kvLength >= 0, d.kvOffset <= source.size, d.kvLength <= source.size - d.kvOffset else {
            throw .checkpoint(.truncated(what: "KVPG", needed: d.kvLength, available: max(0, source.size - d.kvOffset)))
        }
        let bytes = try source.read(offset: d.kvOffset, count: d.kvLength)
        let computed = CRC32C.checksum(bytes)
        guard computed == d.kvCRC else { throw .checkpoint(.damaged(section: "KVPG", stored: d.kvCRC, computed: computed)) }
        return bytes
    }

    /// Reads the pages (CRC checked) and writes them into fresh pages of `sequence`,
    /// positions 0..<kvPositions.
    public static func restorePages<S: CheckpointSource>(_ d: DecodedCheckpoint, from source: S, into pool: KVPagePool,
                                                         sequence: Int, now: UInt64) throws(CoreError) {
        try restorePages(d, pages: try readPages(d, from: source), into: pool, sequence: sequence, now: now)
    }

    /// Writes page bytes returned by `readPages` into fresh pages of `sequence`.
    public static func restorePages(_ d: DecodedCheckpoint, pages bytes: [UInt8], into pool: KVPagePool,
                                    sequence: Int, now: UInt64) throws(CoreError) {
        let c = d.checkpoint
        let stored = CheckpointEncoder.storedPageBytes(layout: pool.layout, storage: c.kvStorage)
        guard bytes.count == c.kvPageCount * stored else {
            throw .checkpoint(.invalidField(name: "KVPG length", value: "\(bytes.count)", limit: "\(c.kvPageCount * stored)"))
        }
        guard c.generation.kvPositions <= pool.pagesPerSequence * KVPageLayout.tokensPerPage else {
            throw .checkpoint(.invalidField(name: "GENS.kvPositions", value: "\(c.generation.kvPositions)",
                                            limit: "context of \(pool.pagesPerSequence * KVPageLayout.tokensPerPage)"))
        }
        pool.claimSequence(sequence)
        guard pool.reserve(sequence, from: 0, to: c.generation.kvPositions, now: now) else {
            throw .invalidArgument(name: "KV pool", value: "\(pool.obtainablePageCount) pages obtainable",
                                   reason: "restoring needs \(c.kvPageCount)")
        }
        let table = pool.pageTable(sequence)
        bytes.withUnsafeBytes { src in
            for i in 0..<c.kvPageCount {
                let from = src.baseAddress! + i * stored
                let page = pool.page(table[i])
                switch c.kvStorage {
                case .native: page.copyMemory(from: from, byteCount: stored)
                case .int8: dequantizePage(from, layout: pool.layout, into: page)
                }
            }
        }
    }

    private static func decodeHead(_ h: inout CheckpointCursor, expecting id: CheckpointIdentity) throws(CoreError)
        -> (key: String, counter: UInt64, savedAt: UInt64, priority: UInt8) {
        let fingerprint = try h.u64("modelFingerprint")
        let tokenizer = try h.u64("tokenizerHash")
        let backend = try h.u8("backend")
        let kvType = try h.u8("kvType")
        guard fingerprint == id.modelFingerprint else {
            throw .checkpoint(.mismatch(what: "model", checkpoint: "fingerprint " + hex(fingerprint), running: "fingerprint " + hex(id.modelFingerprint)))
        }
        guard tokenizer == id.tokenizerHash else {
            throw .checkpoint(.mismatch(what: "tokenizer", checkpoint: "hash " + hex(tokenizer), running: "hash " + hex(id.tokenizerHash)))
        }
        guard backend == CheckpointEncoder.backendCode(id.backend) else {
            throw .checkpoint(.mismatch(what: "backend", checkpoint: "code \(backend)", running: id.backend.name))
        }
        guard kvType == CheckpointEncoder.kvTypeCode(id.kvType) else {
            throw .checkpoint(.mismatch(what: "KV type", checkpoint: "code \(kvType)", running: id.kvType.name))
        }
        let fields: [(String, Int)] = [("layerCount", id.layerCount), ("kvDim", id.kvDim), ("kvHeadCount", id.kvHeadCount),
                                       ("tokensPerPage", KVPageLayout.tokensPerPage), ("pageBytes", id.pageBytes),
                                       ("vocabularySize", id.vocabularySize)]
        for (name, running) in fields {
            let v = try h.u32(name)
            guard Int(v) == running else { throw .checkpoint(.mismatch(what: name, checkpoint: "\(v)", running: "\(running)")) }
        }
        let keyLength = Int(try h.u16("sessionKey length"))
        guard keyLength <= CheckpointFormat.maxSessionKeyBytes else {
            throw .checkpoint(.invalidField(name: "HEAD.sessionKey length", value: "\(keyLength)", limit: "at most \(CheckpointFormat.maxSessionKeyBytes)"))
        }
        let keyBytes = try h.bytes(keyLength, "sessionKey")
        // Keys become file names: only a safe subset is accepted back.
        for b in keyBytes where !isKeyByte(b) {
            throw .checkpoint(.invalidField(name: "HEAD.sessionKey", value: "byte \(b)", limit: "letters, digits, '-', '_', '.'"))
        }
        let counter = try h.u64("saveCounter")
        let savedAt = try h.u64("savedAt")
        let priority = try h.u8("priority")
        try h.expectEnd()
        return (String(decoding: keyBytes, as: UTF8.self), counter, savedAt, priority)
    }

    public static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
    }

    private static func decodeTokens(_ cursor: CheckpointCursor, vocabularySize: Int) throws(CoreError) -> [Int32] {
        var t = cursor
        let count = try t.count("count", limit: CheckpointFormat.maxTokens)
        try t.need(count * 4, "ids")
        var tokens = [Int32](repeating: 0, count: count)
        for i in 0..<count {
            let id = Int32(bitPattern: try t.u32("ids"))
            guard id >= 0, Int(id) < vocabularySize else {
                throw .checkpoint(.invalidField(name: "TOKN.ids[\(i)]", value: "\(id)", limit: "vocabulary of \(vocabularySize)"))
            }
            tokens[i] = id
        }
        try t.expectEnd()
        return tokens
    }

    private static func decodeSampler(_ cursor: CheckpointCursor) throws(CoreError) -> SamplerSnapshot {
        var s = cursor
        var c = SamplerConfig()
        c.temperature = try s.f32("temperature")
        c.topK = Int(try s.u32("topK"))
        c.topP = try s.f32("topP")
        c.minP = try s.f32("minP")
        c.repetitionPenalty = try s.f32("repetitionPenalty")
        c.presencePenalty = try s.f32("presencePenalty")
        c.frequencyPenalty = try s.f32("frequencyPenalty")
        c.penaltyWindow = Int(try s.u32("penaltyWindow"))
        c.seed = try s.u64("seed")
        let state = (try s.u64("rng0"), try s.u64("rng1"), try s.u64("rng2"), try s.u64("rng3"))
        try s.expectEnd()
        let config: SamplerConfig
        do { config = try c.validated() } catch {
            throw .checkpoint(.invalidField(name: "SAMP", value: error.message, limit: "a valid sampler config"))
        }
        let rng: SamplerRNG
        do { rng = try SamplerRNG(state: state) } catch {
            throw .checkpoint(.invalidField(name: "SAMP.rng", value: "0, 0, 0, 0", limit: "a non-zero xoshiro256** state"))
        }
        return SamplerSnapshot(config: config, rng: rng)
    }

    private static func dequantizePage(_ src: UnsafeRawPointer, layout: KVPageLayout, into page: UnsafeMutableRawPointer) {
        let rowIn = CheckpointEncoder.int8RowBytes(layout)
        for row in 0..<CheckpointEncoder.int8RowsPerPage(layout) {
            let q = (src + row * rowIn).assumingMemoryBound(to: Int8.self)
            let scales = src + row * rowIn + layout.kvDim
            let dst = page + row * layout.rowBytes
            for head in 0..<layout.kvHeadCount {
                let scale = Float(bitPattern: scales.loadUnaligned(fromByteOffset: head * 4, as: UInt32.self))
                for i in (head * layout.headDim)..<((head + 1) * layout.headDim) {
                    let x = Float(q[i]) * scale
                    switch layout.type {
                    case .f32: dst.storeBytes(of: x, toByteOffset: i * 4, as: Float.self)
                    case .f16: dst.storeBytes(of: HalfFloat.fromFloat(x), toByteOffset: i * 2, as: UInt16.self)
                    case .int8: break  // refused by decode
                    }
                }
            }
        }
    }
}
