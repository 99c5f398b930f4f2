import AutoGLM
import Foundation

/// `autoglm bundle create`: copies the model and optional files into a new directory,
/// hashes the copies, records the model's fingerprint and its golden tokens, and writes
/// manifest.json. Signing is a separate step (`BundleSignature.sign`), so that the
/// private key can stay on another machine.
public struct BundleCreation {
    public var modelPath: String
    public var extraFiles: [String] = []
    public var goldenPrompts: [String] = []
    public var goldenTokenCount = 16
    public var name: String
    public var version: UInt64
    public var output: String

    public init(modelPath: String, name: String, version: UInt64, output: String) {
        self.modelPath = modelPath
        self.name = name
        self.version = version
        self.output = output
    }

    /// Golden prompts used when none are given: short, neutral, and enough to tell two
    /// quantizations of one model apart.
    public static let defaultGoldenPrompts = ["The", "Hello, my name is", "1, 2, 3,"]

    /// A failed creation removes the directory it made: no half bundle is left to sign.
    public func create(progress: ((String, Int, Int) -> Void)? = nil) throws(BundleError) -> BundleManifest {
        let fs = PosixFileSystem()
        guard try BundleIO.entryKind(fs, output) == nil else { throw .alreadyExists(output) }
        do throws(BundleError) {
            return try fill(fs, progress: progress)
        } catch {
            try? FileManager.default.removeItem(atPath: output)
            throw error
        }
    }

    private func fill(_ fs: PosixFileSystem, progress: ((String, Int, Int) -> Void)?) throws(BundleError) -> BundleManifest {
        guard (1...BundleLimits.maxGoldenTokens).contains(goldenTokenCount) else {
            throw .manifestInvalid("golden token count must be 1…\(BundleLimits.maxGoldenTokens)")
        }
        try BundleIO.call(output) { () throws(CoreError) in try fs.makeDirectory(output) }
        var files: [BundleFile] = []
        for source in ([modelPath] + extraFiles).map({ URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }) {
            let name = try BundlePath.validated((source as NSString).lastPathComponent)
            guard !files.contains(where: { $0.path == name }) else { throw .manifestInvalid("two files named \(UntrustedText.quoted(name))") }
            let size = try BundleCopy.copy(fs, from: source, to: output + "/" + name) { progress?("copy " + name, $0, $1) }
            let digest = try FileDigest.sha256(fs, path: output + "/" + name, size: size) { progress?("hash " + name, $0, $1) }
            files.append(BundleFile(path: name, size: size, sha256: digest))
        }
        try BundleIO.call(output) { () throws(CoreError) in try fs.syncDirectory(output) }
        let modelName = files[0].path
        let prompts = goldenPrompts.isEmpty ? Self.defaultGoldenPrompts : goldenPrompts
        let run = try GoldenTokens.run(modelPath: output + "/" + modelName, prompts: prompts,
                                       counts: Array(repeating: goldenTokenCount, count: prompts.count))
        let manifest = BundleManifest(name: name, version: version, model: modelName, files: files, modelFingerprint: run.fingerprint,
                                      golden: zip(prompts, run.tokens).map { GoldenPrompt(prompt: $0, tokens: $1) },
                                      createdBy: "autoglm \(AutoGLMVersion.current)")
        try BundleIO.writeDurably(fs, try Self.encode(manifest), to: output + "/manifest.json", directory: output)
        return manifest
    }

    static func encode(_ manifest: BundleManifest) throws(BundleError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(manifest)) + [10]
        } catch {
            throw .manifestInvalid("cannot encode: \(error)")
        }
    }
}

/// Copies a file in fixed chunks through the durable file system (fsynced at the end).
enum BundleCopy {
    static func copy<FS: DurableFileSystem>(_ fs: FS, from source: String, to destination: String,
                                            progress: ((Int, Int) -> Void)? = nil) throws(BundleError) -> Int {
        guard let kind = try BundleIO.entryKind(fs, source) else { throw .fileMissing(source) }
        guard kind == .regularFile else { throw .notARegularFile(source) }
        let size = try BundleIO.call(source) { () throws(CoreError) in try fs.size(source) }
        try BundleIO.call(destination) { () throws(CoreError) in
            let h = try fs.create(destination)
            defer { fs.close(h) }
            var done = 0
            while done < size {
                let chunk = try fs.read(source, offset: done, count: min(BundleLimits.hashChunkBytes, size - done))
                try BundleIO.append(fs, h, chunk)
                done += chunk.count
                progress?(done, size)
            }
            try fs.sync(h)
        }
        return size
    }
}
