import Foundation
import DurableFileSystemTestSupport
import Testing
@testable import AutoGLMCore

/// The store when the disk refuses writes, and when the directory holds what a checkpoint
/// file should never be: a FIFO, a symlink, a file where the quarantine directory goes.
@Suite struct CheckpointStoreHostileDirectoryTests {
    static let enospc: Int32 = 28
    static let erofs: Int32 = 30

    @Test func aFailedSaveKeepsThePreviousFileAndTheNextSaveRetries() throws {
        let fs = PowerLossFileSystem()
        let store = try CheckpointStore(fileSystem: fs, directory: "/ck")
        let (_, versions) = try CheckpointStoreTests.versions()
        let (c0, head0, pages0) = versions[0]
        try store.save(c0, head: head0, pages: pages0)

        fs.failingErrno = Self.enospc
        let (c1, head1, pages1) = versions[1]
        #expect(throws: CoreError.self) { try store.save(c1, head: head1, pages: pages1) }
        #expect(store.entries["sess-a"]?.saveCounter == c0.saveCounter, "the index must describe the file on disk")
        let keptWhole = fs.contents("/ck/sess-a.ckpt") == head0 + pages0
        #expect(keptWhole, "a failed save must leave the previous checkpoint as it was")
        #expect(fs.contents("/ck/sess-a.ckpt.tmp") == nil)

        // A read-only disk refuses a new session's first file: nothing is indexed.
        fs.failingErrno = Self.erofs
        var fresh = c0
        fresh.sessionKey = "sess-new"
        #expect(throws: CoreError.self) { try store.save(fresh, head: head0, pages: pages0) }
        #expect(store.entries["sess-new"] == nil)

        fs.failingErrno = nil
        let (c2, head2, pages2) = versions[2]
        try store.save(c2, head: head2, pages: pages2)
        #expect(store.entries["sess-a"]?.saveCounter == c2.saveCounter)
        let retried = fs.contents("/ck/sess-a.ckpt") == head2 + pages2
        #expect(retried)
    }

    @Test func fifosSymlinksAndDirectoriesNamedCkptAreSkippedNotOpened() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = PosixFileSystem()
        let store = try CheckpointStore(fileSystem: fs, directory: dir)
        let (s, versions) = try CheckpointStoreTests.versions()
        let (c, head, pages) = versions[1]
        try store.save(c, head: head, pages: pages)

        // Opening this FIFO for reading would wait for a writer forever.
        #expect(mkfifo(dir + "/fifo.ckpt", 0o600) == 0)
        // A valid checkpoint outside the directory, reached through a symlink: not loaded.
        let outside = dir + "-outside.ckpt"
        defer { unlink(outside) }
        var linked = c
        linked.sessionKey = "link"
        try Data(CheckpointEncoder.encodeHead(linked, identity: CheckpointCodecTests.identity(s), pages: pages) + pages)
            .write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.ckpt", withDestinationPath: outside)
        try FileManager.default.createDirectory(atPath: dir + "/dir.ckpt", withIntermediateDirectories: false)

        let (valid, quarantined) = try store.scan(expecting: CheckpointCodecTests.identity(s))
        #expect(valid.map(\.checkpoint.sessionKey) == ["sess-a"])
        #expect(quarantined.isEmpty, "a skipped entry is not evidence of damage: it stays where it is")
        #expect(store.skipped == [.init(file: "dir.ckpt", kind: .directory), .init(file: "fifo.ckpt", kind: .special),
                                  .init(file: "link.ckpt", kind: .symbolicLink)])
        #expect(store.entries.keys.sorted() == ["sess-a"])
        // Read through the store's file system, a symlink is refused rather than followed.
        #expect(throws: CoreError.self) { _ = try fs.read(dir + "/link.ckpt", offset: 0, count: 4) }
    }

    @Test func aFileWhereTheQuarantineDirectoryGoesIsMovedAsideAndQuarantineWorks() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: dir + "/quarantine"))
        try Data("taken".utf8).write(to: URL(fileURLWithPath: dir + "/quarantine.blocker"))

        let store = try CheckpointStore(fileSystem: PosixFileSystem(), directory: dir)
        #expect(store.movedAside == dir + "/quarantine.blocker.1", "the first name was taken: a fresh one")
        #expect(try String(contentsOfFile: dir + "/quarantine.blocker.1", encoding: .utf8) == "not a directory")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: dir + "/quarantine", isDirectory: &isDirectory) && isDirectory.boolValue)

        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir + "/bad.ckpt"))
        let (s, _) = try CheckpointStoreTests.versions()
        let (_, quarantined) = try store.scan(expecting: CheckpointCodecTests.identity(s))
        #expect(quarantined.map(\.file) == ["bad.ckpt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/quarantine").count == 1)
    }

    @Test func filesAre0600AndANewDirectory0700() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try CheckpointStore(fileSystem: PosixFileSystem(), directory: dir)
        let (_, versions) = try CheckpointStoreTests.versions()
        let (c, head, pages) = versions[0]
        try store.save(c, head: head, pages: pages)
        #expect(try Self.mode(dir) == 0o700)
        #expect(try Self.mode(dir + "/quarantine") == 0o700)
        #expect(try Self.mode(dir + "/sess-a.ckpt") == 0o600)
    }

    static func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A path that does not exist yet, in the temporary directory.
    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "autoglm-store-test-\(UUID().uuidString)"
    }
}
