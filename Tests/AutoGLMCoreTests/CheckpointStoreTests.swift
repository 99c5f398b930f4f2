import Foundation
import DurableFileSystemTestSupport
import Testing
@testable import AutoGLMCore

/// The crash-consistent store over a file system that loses power at every possible
/// moment of three successive saves.
@Suite struct CheckpointStoreTests {
    /// Three checkpoints of one session, each a real encoding of a different moment.
    static func versions() throws -> (InferenceState, [(SessionCheckpoint, [UInt8], [UInt8])]) {
        let s = try CheckpointCodecTests.state()
        let g = try ResumableGeneration(state: s, sequence: 1, prompt: CheckpointCodecTests.prompt,
                                        sampling: CheckpointCodecTests.seeded, maxNewTokens: 40)
        var out: [(SessionCheckpoint, [UInt8], [UInt8])] = []
        for (i, k) in [3, 19, 36].enumerated() {
            CheckpointCodecTests.run(g, upTo: k)
            let c = g.checkpoint(sessionKey: "sess-a", saveCounter: UInt64(i + 1), savedAt: UInt64(i), priority: 1)
            let (head, pages) = try g.encode(c, identity: CheckpointCodecTests.identity(s))
            out.append((c, head, pages))
        }
        return (s, out)
    }

    /// Saves the versions in order until the power goes after `budget` operations; then
    /// the machine restarts `restarts` times from the same crash with different luck.
    static func sweep(honoursFsync: Bool) throws -> (crashes: Int, loaded: Int, quarantined: Int) {
        let (s, versions) = try versions()
        let identity = CheckpointCodecTests.identity(s)
        let files = versions.map { $0.1 + $0.2 }
        var totals = (crashes: 0, loaded: 0, quarantined: 0)
        var budget = 0
        while true {
            let fs = PowerLossFileSystem()
            fs.honoursFsync = honoursFsync
            let store = try CheckpointStore(fileSystem: fs, directory: "/ck")
            fs.operationsBeforeCrash = budget
            var completed = 0
            for (c, head, pages) in versions {
                do { try store.save(c, head: head, pages: pages); completed += 1 } catch { break }
            }
            if completed == versions.count && !fs.crashed { break }
            totals.crashes += 1
            for seed in 0..<6 {
                var rng = SamplerRNG(seed: UInt64(budget * 31 + seed))
                let copy = fs.copy()
                copy.powerLoss(&rng, lucky: seed == 0)
                let after = try CheckpointStore(fileSystem: copy, directory: "/ck")
                let (valid, quarantined) = try after.scan(expecting: identity)
                totals.quarantined += quarantined.count
                #expect(valid.count <= 1)
                if let d = valid.first {
                    // The scan checked everything but the pages; their CRC is checked when
                    // they are first used, and a failure there quarantines the file too.
                    let source = try after.source(forKey: "sess-a")
                    do throws(CoreError) {
                        try CheckpointDecoder.restorePages(d, from: source, into: s.kvPool, sequence: 0, now: 0)
                    } catch {
                        s.kvPool.releaseSequence(0)
                        #expect(!honoursFsync, "damaged pages behind an honest fsync: \(error.message)")
                        try after.quarantine(key: "sess-a", error: error)
                        totals.quarantined += 1
                        #expect(try after.scan(expecting: identity).valid.isEmpty)
                        continue
                    }
                    s.kvPool.releaseSequence(0)
                    let index = files.firstIndex(of: copy.contents("/ck/sess-a.ckpt")!)
                    #expect(index != nil, "a file that is none of the saved versions was loaded (crash at op \(budget))")
                    if honoursFsync, let index {
                        // Never older than the last save that returned; at most the one in flight.
                        #expect(index + 1 >= completed && index <= completed, "version \(index + 1) after \(completed) saves")
                    }
                    totals.loaded += 1
                } else if honoursFsync {
                    #expect(completed == 0, "a completed save was lost (crash at op \(budget))")
                }
                if honoursFsync { #expect(quarantined.isEmpty) }
                // Whatever happened, a second start-up finds a clean directory.
                #expect(try after.scan(expecting: identity).quarantined.isEmpty)
            }
            budget += 1
        }
        return totals
    }

    @Test func honestDiskKeepsTheLastCompletedSaveOrTheOneInFlight() throws {
        let t = try Self.sweep(honoursFsync: true)
        #expect(t.crashes > 50, "the power went at every operation of three saves")
        #expect(t.loaded > 0)
    }

    @Test func lyingDiskNeverGetsADamagedCheckpointLoaded() throws {
        let t = try Self.sweep(honoursFsync: false)
        // With fsync ignored, torn and reordered files do reach the final name; the CRCs
        // must have caught them (the loop above asserts nothing else was loaded).
        #expect(t.quarantined > 0, "the lying disk produced no damaged file: the test proves nothing")
        #expect(t.loaded > 0)
    }

    @Test func budgetEvictsLowPriorityThenOldest() throws {
        let fs = PowerLossFileSystem()
        let store = try CheckpointStore(fileSystem: fs, directory: "/ck")
        let (s, versions) = try Self.versions()
        let identity = CheckpointCodecTests.identity(s)
        let (c0, head, pages) = versions[0]
        let size = head.count + pages.count
        for (key, priority, savedAt) in [("old-low", 0, 1), ("new-low", 0, 5), ("old-high", 2, 0), ("busy-low", 0, 0)] {
            var c = c0
            c.sessionKey = key
            c.priority = UInt8(priority)
            c.savedAt = UInt64(savedAt)
            try store.save(c, head: CheckpointEncoder.encodeHead(c, identity: identity, pages: pages), pages: pages)
        }
        #expect(store.entries.count == 4)
        let evicted = try store.enforceBudget(2 * size + size / 2, keep: ["busy-low"])
        #expect(evicted == ["old-low", "new-low"])
        #expect(Set(store.entries.keys) == ["old-high", "busy-low"])
        #expect(fs.contents("/ck/old-low.ckpt") == nil)
    }

    @Test func quarantinedFilesAreMovedAsideWithTheirKind() throws {
        let fs = PowerLossFileSystem()
        let store = try CheckpointStore(fileSystem: fs, directory: "/ck")
        let (s, versions) = try Self.versions()
        let (c, head, pages) = versions[1]
        try store.save(c, head: head, pages: pages)
        var other = c
        other.sessionKey = "sess-b"
        var bytes = CheckpointEncoder.encodeHead(other, identity: CheckpointCodecTests.identity(s), pages: pages) + pages
        bytes[40] ^= 0x40  // inside HEAD: the scan itself must see it
        let h = try fs.create("/ck/sess-b.ckpt")
        let written: Bool = bytes.withUnsafeBytes { b in (try? fs.append(h, b)) != nil }
        #expect(written)
        let (valid, quarantined) = try store.scan(expecting: CheckpointCodecTests.identity(s))
        #expect(valid.map(\.checkpoint.sessionKey) == ["sess-a"])
        #expect(quarantined.map(\.file) == ["sess-b.ckpt"])
        let movedIntact = fs.contents("/ck/quarantine/sess-b.ckpt.damaged") == bytes
        #expect(movedIntact, "the damaged file is kept, byte for byte, in quarantine/")
        #expect(fs.contents("/ck/sess-b.ckpt") == nil)
    }
}
