import AutoGLM
@testable import AutoGLMBundle
import Foundation

/// A signed bundle of a tiny fixture model in a fresh temporary directory, and helpers
/// that damage it the ways an attacker or a bad download would.
struct BundleFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func model(_ name: String) -> String { repository.appendingPathComponent("Tests/Fixtures/models/\(name)").path }

    let root: String
    let key = BundleSigningKey.generate()
    var trusted: [BundleTrustedKey] { [key.publicKey] }

    init() throws {
        root = NSTemporaryDirectory() + "autoglm-bundle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Creates and signs a bundle of `model` at `root/name`.
    @discardableResult
    func bundle(_ name: String, model: String = "glm4-q8_0.gguf", version: UInt64 = 1, tokens: Int = 6) throws -> String {
        var creation = BundleCreation(modelPath: Self.model(model), name: "fixture", version: version, output: root + "/" + name)
        creation.goldenPrompts = ["In the beginning", "Hello"]
        creation.goldenTokenCount = tokens
        _ = try creation.create()
        try BundleSignature.sign(PosixFileSystem(), directory: root + "/" + name, with: key)
        return root + "/" + name
    }

    func verify(_ dir: String, keys: [BundleTrustedKey]? = nil, options: BundleVerification = BundleVerification()) throws(BundleError) -> VerifiedBundle {
        try BundleVerifier.verify(PosixFileSystem(), directory: dir, trustedKeys: keys ?? trusted, options: options)
    }

    func manifest(_ dir: String) throws -> BundleManifest {
        try JSONDecoder().decode(BundleManifest.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json")))
    }

    /// Rewrites the manifest and signs it again with the trusted key: the signer itself
    /// vouches for a wrong manifest, so only the later checks can catch it.
    func resign(_ dir: String, _ edit: (inout BundleManifest) -> Void) throws {
        var m = try manifest(dir)
        edit(&m)
        try Data(try BundleCreation.encode(m)).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        try BundleSignature.sign(PosixFileSystem(), directory: dir, with: key)
    }

    func modify(_ path: String, _ edit: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        edit(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// The refusal a call ended in, or nil if it passed.
func refusal<T>(_ body: () throws(BundleError) -> T) -> BundleError? {
    do throws(BundleError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
