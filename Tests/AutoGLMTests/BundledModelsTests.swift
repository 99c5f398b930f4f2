import Foundation
import Testing
@testable import AutoGLM

@Suite struct BundledModelsTests {
    /// A fresh directory with `files` (relative paths) created empty, removed by the caller.
    func makeTree(_ files: [String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bundled-\(UUID().uuidString)")
        for file in files {
            let url = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: url.path, contents: Data())
        }
        return root
    }

    @Test func installLayoutIsFoundFromTheBinary() throws {
        let prefix = try makeTree(["bin/autoglm", "share/autoglm/models/default.gguf"])
        defer { try? FileManager.default.removeItem(at: prefix) }
        let dirs = BundledModels.searchDirectories(executable: prefix.appendingPathComponent("bin/autoglm"), environment: [:])
        #expect(BundledModels.directory(in: dirs)?.path == prefix.appendingPathComponent("share/autoglm/models").path)
    }

    @Test func sourceTreeIsFoundFromTheBuildDirectory() throws {
        let repo = try makeTree([".build/x86_64-unknown-linux-gnu/release/autoglm", "Models/default.gguf"])
        defer { try? FileManager.default.removeItem(at: repo) }
        let exe = repo.appendingPathComponent(".build/x86_64-unknown-linux-gnu/release/autoglm")
        let dirs = BundledModels.searchDirectories(executable: exe, environment: [:])
        #expect(BundledModels.directory(in: dirs)?.path == repo.appendingPathComponent("Models").path)
    }

    @Test func environmentComesFirst() throws {
        let prefix = try makeTree(["bin/autoglm", "share/autoglm/models/default.gguf", "elsewhere/default.gguf"])
        defer { try? FileManager.default.removeItem(at: prefix) }
        let elsewhere = prefix.appendingPathComponent("elsewhere").path
        let dirs = BundledModels.searchDirectories(executable: prefix.appendingPathComponent("bin/autoglm"),
                                                   environment: ["AUTOGLM_MODELS": elsewhere])
        #expect(BundledModels.directory(in: dirs)?.path == elsewhere)
    }

    /// The binary on PATH is a symlink to PREFIX/bin/autoglm: the search must start from
    /// the link's target, not from the PATH directory nor from the working directory.
    @Test func bareNameOnPathResolvesThroughTheSymlink() throws {
        let tree = try makeTree(["prefix/bin/autoglm", "onpath/.keep"])
        defer { try? FileManager.default.removeItem(at: tree) }
        let real = tree.appendingPathComponent("prefix/bin/autoglm")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: real.path)
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("onpath/autoglm").path,
                                                   withDestinationPath: real.path)
        let found = ExecutableLocation.fromArgument("autoglm", environment: ["PATH": "/nonexistent:" + tree.appendingPathComponent("onpath").path])
        #expect(found.resolvingSymlinksInPath().path == real.resolvingSymlinksInPath().path)
    }

    @Test func currentExecutableIsAnAbsoluteExistingFile() {
        let exe = ExecutableLocation.current()
        #expect(exe.path.hasPrefix("/"))
        #expect(FileManager.default.fileExists(atPath: exe.path))
    }
}
