import Testing
@testable import AutoGLMCore

/// The page pool on its own: copy-on-write, pinning, the prefix cache's eviction order.
@Suite struct KVPagePoolTests {
    final class PoolFixture {
        let storage: UnsafeMutableRawPointer
        let pool: KVPagePool
        init(pages: Int, sequences: Int = 8) throws {
            let model = try Model(path: Fixtures.path("models/llama-f32.gguf"))
            let layout = try KVPageLayout(config: model.config, type: .f32)
            storage = .allocate(byteCount: pages * layout.pageBytes, alignment: 64)
            storage.initializeMemory(as: UInt8.self, repeating: 0, count: pages * layout.pageBytes)
            pool = KVPagePool(layout: layout, pageCount: pages, sequenceCapacity: sequences, maxContext: 128,
                              storage: storage, fingerprint: 99)
        }
        deinit { storage.deallocate() }
    }

    static func pageTokens(_ seed: Int32) -> [Int32] { (0..<16).map { seed * 100 + $0 } }

    /// One idle cached page holding `tokens`, registered at `now` by `priority`.
    static func cachePage(_ pool: KVPagePool, _ tokens: [Int32], priority: RequestPriority, now: UInt64) {
        let s = pool.acquireSequence()!
        #expect(pool.reserve(s, from: 0, to: 16, now: now))
        tokens.withUnsafeBufferPointer { pool.registerFullPages(s, tokens: $0.baseAddress!, priorityClass: priority.rawValue, now: now) }
        pool.releaseSequence(s)
    }

    static func hit(_ pool: KVPagePool, _ tokens: [Int32], times: Int, now: UInt64) {
        for _ in 0..<times {
            let s = pool.acquireSequence()!
            let reused = tokens.withUnsafeBufferPointer { pool.attachCachedPrefix(s, tokens: $0, limit: 16, priorityClass: 0, now: now) }
            #expect(reused == 16)
            pool.releaseSequence(s)
        }
    }

    static func isCached(_ pool: KVPagePool, _ tokens: [Int32]) -> Bool {
        tokens.withUnsafeBufferPointer {
            pool.findCached(key: KVPagePool.chainHash(pool.fingerprint, $0.baseAddress!), tokens: $0.baseAddress!) != nil
        }
    }

    @Test func forkSharesPagesUntilAWriteCopiesThem() throws {
        let f = try PoolFixture(pages: 4)
        let pool = f.pool
        let s = pool.acquireSequence()!
        #expect(pool.reserve(s, from: 0, to: 10, now: 0))
        let original = pool.pageTable(s)[0]
        pool.page(original).storeBytes(of: 0xAB, as: UInt8.self)
        let fork = pool.fork(s)!
        #expect(pool.pageTable(fork)[0] == original && pool.refCounts[Int(original)] == 2)
        // Appending position 10 to the fork writes into the shared page: it gets a copy.
        #expect(pool.reserve(fork, from: 10, to: 11, now: 0))
        let copy = pool.pageTable(fork)[0]
        #expect(copy != original)
        #expect(pool.page(copy).load(as: UInt8.self) == 0xAB, "the copy carries the shared positions")
        #expect(pool.refCounts[Int(original)] == 1 && pool.refCounts[Int(copy)] == 1)
        // The original is alone again: it writes in place.
        #expect(pool.reserve(s, from: 10, to: 11, now: 0))
        #expect(pool.pageTable(s)[0] == original)
    }

    @Test func runningOutIsAnAnswerNotACrash() throws {
        let f = try PoolFixture(pages: 3)
        let pool = f.pool
        let a = pool.acquireSequence()!
        #expect(pool.reserve(a, from: 0, to: 48, now: 0))
        let b = pool.acquireSequence()!
        #expect(!pool.reserve(b, from: 0, to: 1, now: 0))
        #expect(pool.referencedPageCount == 3)
        pool.releaseSequence(a)
        #expect(pool.reserve(b, from: 0, to: 1, now: 0))
    }

    @Test func pinnedPagesAreNeverEvicted() throws {
        let f = try PoolFixture(pages: 2)
        let pool = f.pool
        let tokens = Self.pageTokens(1)
        Self.cachePage(pool, tokens, priority: .background, now: 0)
        #expect(pool.pinnedPageCount == 0)
        #expect(tokens.withUnsafeBufferPointer { pool.pin($0) } == 16)
        #expect(pool.pinnedPageCount == 1)
        let s = pool.acquireSequence()!
        #expect(!pool.reserve(s, from: 0, to: 32, now: 1), "one free page; the other is pinned")
        #expect(Self.isCached(pool, tokens))
        tokens.withUnsafeBufferPointer { pool.unpin($0) }
        #expect(pool.pinnedPageCount == 0)
        #expect(pool.reserve(s, from: 0, to: 32, now: 1))
        #expect(!Self.isCached(pool, tokens))
    }

    /// Eviction order: an expired page first whatever its class; then by
    /// weight(priority) × (1 + hits) — a never-hit critical page outlives a never-hit
    /// background one (the seeds' hits × class would score both 0).
    @Test func evictionOrderFollowsExpiryPriorityAndHits() throws {
        let f = try PoolFixture(pages: 4)
        let pool = f.pool
        pool.evictionPolicy.ttlNanoseconds = 100_000_000_000
        let second: UInt64 = 1_000_000_000
        let expiredCritical = Self.pageTokens(1), background = Self.pageTokens(2)
        let critical = Self.pageTokens(3), hotBackground = Self.pageTokens(4)
        Self.cachePage(pool, expiredCritical, priority: .critical, now: 0)
        Self.cachePage(pool, background, priority: .background, now: 150 * second)
        Self.cachePage(pool, critical, priority: .critical, now: 150 * second)
        Self.cachePage(pool, hotBackground, priority: .background, now: 150 * second)
        Self.hit(pool, hotBackground, times: 5, now: 150 * second)
        #expect(pool.freeCount == 0 && pool.cachedIdlePageCount == 4)

        let order = [expiredCritical, background, critical, hotBackground]
        let s = pool.acquireSequence()!
        for (n, victim) in order.enumerated() {
            #expect(pool.reserve(s, from: 16 * n, to: 16 * (n + 1), now: 160 * second))
            #expect(!Self.isCached(pool, victim), "eviction \(n)")
            for later in order[(n + 1)...] { #expect(Self.isCached(pool, later), "eviction \(n) kept a later page") }
        }
        #expect(pool.evictions == 4)
    }

    @Test func recentPagesOutliveOldOnesAndDeeperChainPagesGoFirst() throws {
        var policy = PrefixEvictionPolicy()
        policy.halfLifeNanoseconds = 10
        let recent = policy.score(hits: 1, priorityClass: 0, lastUse: 95, now: 100)
        let old = policy.score(hits: 1, priorityClass: 0, lastUse: 10, now: 100)
        #expect(recent > old)

        // Two pages of one chain, same hits and time: the child (depth 1) goes first.
        let f = try PoolFixture(pages: 3)
        let pool = f.pool
        let chain = Self.pageTokens(5) + Self.pageTokens(6)
        let s = pool.acquireSequence()!
        #expect(pool.reserve(s, from: 0, to: 32, now: 0))
        chain.withUnsafeBufferPointer { pool.registerFullPages(s, tokens: $0.baseAddress!, priorityClass: 1, now: 0) }
        pool.releaseSequence(s)
        let t = pool.acquireSequence()!
        #expect(pool.reserve(t, from: 0, to: 32, now: 0))  // one free page, then one eviction
        let reader = pool.acquireSequence()!
        pool.releaseSequence(t)
        let reused = chain.withUnsafeBufferPointer { pool.attachCachedPrefix(reader, tokens: $0, limit: 32, priorityClass: 0, now: 0) }
        #expect(reused == 16, "the parent page survived, the child was evicted")
    }
}
