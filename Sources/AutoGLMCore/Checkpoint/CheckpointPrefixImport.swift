extension CheckpointDecoder {
    /// Puts a checkpoint's pages where a scheduler finds them: restored into a free
    /// sequence of the pool, registered in the prefix cache, and the sequence released.
    /// The full pages then stay cached (idle) until a request with the same tokens —
    /// the session's next turn, or its resumed request — attaches them instead of
    /// prefilling; the last, partly filled page is computed again (same numbers:
    /// prefill and decode agree bit for bit). Returns the positions now cached.
    public static func importIntoPrefixCache(_ d: DecodedCheckpoint, pages: [UInt8], pool: KVPagePool, priorityClass: UInt8,
                                             now: UInt64) throws(CoreError) -> Int {
        // Only full pages are cached.
        guard d.checkpoint.generation.kvPositions >= KVPageLayout.tokensPerPage else { return 0 }
        guard let s = pool.acquireSequence() else {
            throw .invalidArgument(name: "KV pool", value: "every sequence in use", reason: "importing a checkpoint needs a free one")
        }
        defer { pool.releaseSequence(s) }
        try restorePages(d, pages: pages, into: pool, sequence: s, now: now)
        d.checkpoint.tokens.withUnsafeBufferPointer {
            pool.registerFullPages(s, tokens: $0.baseAddress!, priorityClass: priorityClass, now: now)
        }
        return pool.length(s) / KVPageLayout.tokensPerPage * KVPageLayout.tokensPerPage
    }
}
