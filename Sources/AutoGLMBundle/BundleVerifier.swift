import AutoGLM
import Foundation

/// What `BundleVerifier.verify` checks beyond the signature and the paths.
public struct BundleVerification: Sendable {
    /// Size and SHA-256 of every file (deploy time: yes; start-up: the slot's record instead).
    public var hashFiles = true
    /// Load the model, compare its fingerprint and run the golden prompts.
    public var runGolden = true
    /// The installed version: the bundle must be newer unless `allowDowngrade`.
    public var installedVersion: UInt64? = nil
    public var allowDowngrade = false

    public init(hashFiles: Bool = true, runGolden: Bool = true, installedVersion: UInt64? = nil, allowDowngrade: Bool = false) {
        self.hashFiles = hashFiles
        self.runGolden = runGolden
        self.installedVersion = installedVersion
        self.allowDowngrade = allowDowngrade
    }
}

/// A bundle that passed: what it is and which checks ran.
public struct VerifiedBundle: Sendable {
    public let manifest: BundleManifest
    public let directory: String
    /// Id of the trusted key whose signature verified.
    public let signerKeyId: String
    public let hashedFiles: Bool
    public let goldenChecked: Bool

    public var modelPath: String { directory + "/" + manifest.model }
}

/// Checks a bundle directory in the order that reads the least untrusted data first: the
/// manifest's size, its signature (before parsing a byte of it), then the paths, sizes,
/// hashes, and last the model itself (fingerprint and golden tokens).
public enum BundleVerifier {
    public static func verify<FS: DurableFileSystem>(
        _ fs: FS, directory: String, trustedKeys: [BundleTrustedKey], options: BundleVerification = BundleVerification(),
        progress: ((String, Int, Int) -> Void)? = nil
    ) throws(BundleError) -> VerifiedBundle {
        guard try BundleIO.entryKind(fs, directory) == .directory else { throw .notADirectory(directory) }
        let (bytes, signer) = try signedManifest(fs, directory: directory, trustedKeys: trustedKeys)
        let manifest = try decodeManifest(bytes)
        if let installed = options.installedVersion, manifest.version <= installed, !options.allowDowngrade {
            throw .notNewer(version: manifest.version, installed: installed)
        }
        for file in manifest.files {
            let path = directory + "/" + file.path
            try BundlePath.checkNoSymlinks(fs, file.path, in: directory)
            let size = try BundleIO.call(path) { () throws(CoreError) in try fs.size(path) }
            guard size == file.size else { throw .sizeMismatch(file.path, manifest: file.size, actual: size) }
            if options.hashFiles {
                let digest = try FileDigest.sha256(fs, path: path, size: size) { progress?(file.path, $0, $1) }
                guard digest == file.sha256 else { throw .hashMismatch(file.path, manifest: file.sha256, actual: digest) }
            }
        }
        if options.runGolden { try checkGolden(manifest, modelPath: directory + "/" + manifest.model) }
        return VerifiedBundle(manifest: manifest, directory: directory, signerKeyId: signer.id,
                              hashedFiles: options.hashFiles, goldenChecked: options.runGolden)
    }

    /// manifest.json's bytes and the trusted key that signed them.
    static func signedManifest<FS: DurableFileSystem>(_ fs: FS, directory: String,
                                                      trustedKeys: [BundleTrustedKey]) throws(BundleError) -> ([UInt8], BundleTrustedKey) {
        guard let bytes = try BundleIO.readSmallFile(fs, directory + "/manifest.json", limit: BundleLimits.maxManifestBytes,
                                                     tooLarge: { .manifestTooLarge(bytes: $0, limit: BundleLimits.maxManifestBytes) })
        else { throw .manifestMissing }
        guard let sigFile = try BundleIO.readSmallFile(fs, directory + "/manifest.sig", limit: BundleLimits.maxSignatureFileBytes,
                                                       tooLarge: { _ in .signatureMalformed("larger than \(BundleLimits.maxSignatureFileBytes) bytes") })
        else { throw .signatureMissing }
        let signature = try BundleSignature.parse(sigFile)
        guard let signer = trustedKeys.first(where: { $0.verifies(signature, of: bytes) }) else {
            throw .signatureNotTrusted(trustedKeys: trustedKeys.count)
        }
        return (bytes, signer)
    }

    /// Parses signed bytes and checks every field against the limits.
    static func decodeManifest(_ bytes: [UInt8]) throws(BundleError) -> BundleManifest {
        let manifest: BundleManifest
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .manifestInvalid(describe(error))
        } catch {
            throw .manifestInvalid("\(error)")
        }
        guard manifest.format == BundleLimits.formatVersion else { throw .unsupportedFormat(manifest.format) }
        guard !manifest.name.isEmpty, manifest.name.utf8.count <= BundleLimits.maxNameBytes else {
            throw .manifestInvalid("name must be 1…\(BundleLimits.maxNameBytes) bytes")
        }
        guard !manifest.files.isEmpty, manifest.files.count <= BundleLimits.maxFiles else {
            throw .manifestInvalid("files must list 1…\(BundleLimits.maxFiles) files")
        }
        var seen = Set<String>()
        for file in manifest.files {
            _ = try BundlePath.validated(file.path)
            guard seen.insert(file.path).inserted else { throw .manifestInvalid("file \(UntrustedText.quoted(file.path)) is listed twice") }
            guard file.size >= 0, file.sha256.utf8.count == 64, file.sha256.utf8.allSatisfy(isLowerHex) else {
                throw .manifestInvalid("file \(UntrustedText.quoted(file.path)): size must be ≥ 0 and sha256 64 lower-case hex digits")
            }
        }
        guard seen.contains(manifest.model) else { throw .manifestInvalid("model \(UntrustedText.quoted(manifest.model)) is not among the files") }
        guard manifest.golden.count <= BundleLimits.maxGoldenPrompts,
              manifest.golden.allSatisfy({ $0.tokens.count <= BundleLimits.maxGoldenTokens && $0.prompt.utf8.count <= BundleLimits.maxGoldenPromptBytes })
        else {
            throw .manifestInvalid("at most \(BundleLimits.maxGoldenPrompts) golden prompts of \(BundleLimits.maxGoldenPromptBytes) bytes and \(BundleLimits.maxGoldenTokens) tokens")
        }
        return manifest
    }

    public static func checkGolden(_ manifest: BundleManifest, modelPath: String) throws(BundleError) {
        let run = try GoldenTokens.run(modelPath: modelPath, prompts: manifest.golden.map(\.prompt),
                                       counts: manifest.golden.map { max($0.tokens.count, 1) })
        guard run.fingerprint == manifest.modelFingerprint else {
            throw .fingerprintMismatch(manifest: manifest.modelFingerprint, actual: run.fingerprint)
        }
        for (i, (golden, actual)) in zip(manifest.golden, run.tokens).enumerated() where golden.tokens != actual {
            throw .goldenMismatch(index: i, expected: golden.tokens, actual: actual)
        }
    }

    private static func isLowerHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 102) }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch error {
        case .keyNotFound(let key, let c): return "missing field \(key.stringValue)\(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type\(path(c)): \(c.debugDescription)"
        case .dataCorrupted(let c): return "not JSON\(path(c)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
