/// Turns a session into checkpoint bytes in two steps, so the engine thread does only the
/// cheap one:
///   1. `capturePages` (engine thread, between forward passes): copies the session's
///      pages out of the pool — the pool may change as soon as decoding goes on.
///   2. `encodeHead` (any thread): the header and metadata sections, and the KV section
///      header with the CRC32C of the captured pages. The file is head + pages.
public enum CheckpointEncoder {
    /// Bytes one page takes in the file.
    public static func storedPageBytes(layout: KVPageLayout, storage: CheckpointKVStorage) -> Int {
        storedPageBytes(layerCount: layout.layerCount, kvDim: layout.kvDim, kvHeadCount: layout.kvHeadCount,
                        pageBytes: layout.pageBytes, storage: storage)
    }

    static func storedPageBytes(layerCount: Int, kvDim: Int, kvHeadCount: Int, pageBytes: Int,
                                storage: CheckpointKVStorage) -> Int {
        switch storage {
        case .native: return pageBytes
        case .int8: return layerCount * 2 * KVPageLayout.tokensPerPage * (kvDim + 4 * kvHeadCount)
        }
    }

    static func int8RowsPerPage(_ layout: KVPageLayout) -> Int { layout.layerCount * 2 * KVPageLayout.tokensPerPage }
    static func int8RowBytes(_ layout: KVPageLayout) -> Int { layout.kvDim + 4 * layout.kvHeadCount }

    /// The pages holding positions 0..<positions of `sequence`, in page-table order.
    /// INT8 storage needs an f32 or f16 pool (an INT8 pool is stored natively).
    public static func capturePages(pool: KVPagePool, sequence: Int, positions: Int,
                                    storage: CheckpointKVStorage) throws(CoreError) -> [UInt8] {
        guard positions >= 0, positions <= pool.length(sequence) else {
            throw .invalidArgument(name: "checkpoint positions", value: "\(positions)",
                                   reason: "sequence \(sequence) holds KV for \(pool.length(sequence))")
        }
        guard storage == .native || pool.layout.type != .int8 else {
            throw .invalidArgument(name: "checkpoint KV storage", value: "int8", reason: "the pool is already INT8; store it natively")
        }
        let pages = (positions + KVPageLayout.tokensPerPage - 1) / KVPageLayout.tokensPerPage
        let pageBytes = storedPageBytes(layout: pool.layout, storage: storage)
        var out = [UInt8](repeating: 0, count: pages * pageBytes)
        let table = pool.pageTable(sequence)
        out.withUnsafeMutableBytes { dst in
            for i in 0..<pages {
                let src = UnsafeRawPointer(pool.page(table[i]))
                let to = dst.baseAddress! + i * pageBytes
                switch storage {
                case .native: to.copyMemory(from: src, byteCount: pageBytes)
                case .int8: quantizePage(src, layout: pool.layout, into: to)
                }
            }
        }
        return out
    }

    /// Everything before the page bytes, ending with the KV section header.
    public static func encodeHead(_ c: SessionCheckpoint, identity id: CheckpointIdentity,
                                  pages: [UInt8]) -> [UInt8] {
        var file = CheckpointByteSink()
        file.raw(CheckpointFormat.magic, count: CheckpointFormat.magic.count)
        file.u32(CheckpointFormat.version)
        file.u32(CheckpointFormat.sectionCount)
        file.u32(CRC32C.checksum(file.bytes))

        var head = CheckpointByteSink()
        head.u64(id.modelFingerprint)
        head.u64(id.tokenizerHash)
        head.u8(backendCode(id.backend))
        head.u8(kvTypeCode(id.kvType))
        for v in [id.layerCount, id.kvDim, id.kvHeadCount, KVPageLayout.tokensPerPage, id.pageBytes, id.vocabularySize] {
            head.u32(UInt32(truncatingIfNeeded: v))
        }
        let key = Array(c.sessionKey.utf8.prefix(CheckpointFormat.maxSessionKeyBytes))
        head.u16(UInt16(key.count))
        head.raw(key, count: key.count)
        head.u64(c.saveCounter)
        head.u64(c.savedAt)
        head.u8(c.priority)
        appendSection(&file, CheckpointFormat.head, head.bytes)

        var tokens = CheckpointByteSink()
        tokens.u32(UInt32(c.tokens.count))
        for t in c.tokens { tokens.u32(UInt32(bitPattern: t)) }
        appendSection(&file, CheckpointFormat.tokens, tokens.bytes)

        var s = CheckpointByteSink()
        let sc = c.sampler.config
        s.f32(sc.temperature); s.u32(UInt32(truncatingIfNeeded: sc.topK)); s.f32(sc.topP); s.f32(sc.minP)
        s.f32(sc.repetitionPenalty); s.f32(sc.presencePenalty); s.f32(sc.frequencyPenalty)
        s.u32(UInt32(truncatingIfNeeded: sc.penaltyWindow)); s.u64(sc.seed)
        let r = c.sampler.rng.state
        s.u64(r.0); s.u64(r.1); s.u64(r.2); s.u64(r.3)
        appendSection(&file, CheckpointFormat.sampler, s.bytes)

        var g = CheckpointByteSink()
        let gen = c.generation
        for v in [gen.promptCount, gen.generatedCount, gen.maxNewTokens, gen.kvPositions, c.kvPageCount] {
            g.u32(UInt32(truncatingIfNeeded: v))
        }
        g.u8(c.kvStorage.rawValue)
        g.u8(gen.finished ? 1 : 0)
        appendSection(&file, CheckpointFormat.generation, g.bytes)

        file.u32(CheckpointFormat.kvPages)
        file.u64(UInt64(pages.count))
        file.u32(CRC32C.checksum(pages))
        return file.bytes
    }

    /// The whole file in one array (tests, small sessions).
    public static func encode(_ c: SessionCheckpoint, identity: CheckpointIdentity, pool: KVPagePool,
                              sequence: Int) throws(CoreError) -> [UInt8] {
        let pages = try capturePages(pool: pool, sequence: sequence, positions: c.generation.kvPositions, storage: c.kvStorage)
        return encodeHead(c, identity: identity, pages: pages) + pages
    }

    private static func appendSection(_ file: inout CheckpointByteSink, _ tag: UInt32, _ payload: [UInt8]) {
        file.u32(tag)
        file.u64(UInt64(payload.count))
        file.u32(CRC32C.checksum(payload))
        file.raw(payload, count: payload.count)
    }

    static func backendCode(_ b: Backend) -> UInt8 {
        switch b {
        case .reference: return 0
        case .emulation: return 1
        case .neon: return 2
        }
    }

    static func kvTypeCode(_ t: KVCacheType) -> UInt8 {
        switch t {
        case .f32: return 0
        case .f16: return 1
        case .int8: return 2
        }
    }

    /// Each (layer, K|V, slot) row of an f32/f16 page as INT8 per head with its f32 scale,
    /// the rounding KVRowCodec uses for the INT8 cache.
    private static func quantizePage(_ page: UnsafeRawPointer, layout: KVPageLayout, into out: UnsafeMutableRawPointer) {
        let rowOut = int8RowBytes(layout)
        for row in 0..<int8RowsPerPage(layout) {
            let src = page + row * layout.rowBytes
            let q = (out + row * rowOut).assumingMemoryBound(to: Int8.self)
            let scalesAt = out + row * rowOut + layout.kvDim
            for head in 0..<layout.kvHeadCount {
                let first = head * layout.headDim
                var absMax: Float = 0
                for i in 0..<layout.headDim { absMax = max(absMax, abs(element(src, layout.type, first + i))) }
                let scale = absMax / KVRowCodec.int8Max
                scalesAt.storeBytes(of: scale.bitPattern, toByteOffset: head * 4, as: UInt32.self)
                for i in 0..<layout.headDim {
                    let x = element(src, layout.type, first + i)
                    q[first + i] = scale == 0 ? 0 : Int8((x / scale).rounded())
                }
            }
        }
    }

    @inline(__always)
    static func element(_ row: UnsafeRawPointer, _ type: KVCacheType, _ i: Int) -> Float {
        switch type {
        case .f32: return row.load(fromByteOffset: i * 4, as: Float.self)
        case .f16: return HalfFloat.toFloat(row.load(fromByteOffset: i * 2, as: UInt16.self))
        case .int8: return 0  // never stored as INT8 twice (capturePages refuses)
        }
    }
}
