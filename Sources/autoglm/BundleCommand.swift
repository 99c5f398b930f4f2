import ArgumentParser
import AutoGLM
import AutoGLMBundle
import Foundation

/// `autoglm bundle …`: signed model bundles (docs/bundles.md).
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Create, sign and verify signed model bundles (manifest, SHA-256 of every file, Ed25519 signature, golden tokens).",
        subcommands: [Create.self, Sign.self, Verify.self, Keygen.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a model (and optional files) into a new bundle directory and write its manifest.")

        @Option(help: "Path to the GGUF model.") var model: String
        @Option(name: .customLong("file"), help: "An extra file to include (chat template, prefixes, grammar); repeatable.")
        var files: [String] = []
        @Option(help: "A text file with one golden prompt per line (default: three built-in prompts).") var golden: String?
        @Option(name: .customLong("golden-tokens"), help: "Greedy tokens recorded per golden prompt.") var goldenTokens = 16
        @Option(help: "Bundle name (kept across updates).") var name: String
        @Option(help: "Bundle version: a deploy accepts only a newer one.") var version: UInt64
        @Option(help: "Output directory (must not exist).") var out: String
        @Flag(help: "Print the manifest as JSON.") var json = false

        func run() throws {
            var creation = BundleCreation(modelPath: model, name: name, version: version, output: out)
            creation.extraFiles = files
            creation.goldenTokenCount = goldenTokens
            if let golden {
                let text = try String(contentsOfFile: golden, encoding: .utf8)
                creation.goldenPrompts = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            }
            let progress = ProgressLine(label: "bundle create")
            let manifest = try bundleCall { () throws(BundleError) in try creation.create { progress.show($1, of: $2, $0) } }
            progress.finish()
            if json {
                print(try jsonText(manifest))
            } else {
                print("bundle \(manifest.name) version \(manifest.version) written to \(out): \(manifest.files.count) file(s), "
                    + "\(manifest.golden.count) golden prompt(s), model fingerprint \(manifest.modelFingerprint); sign it with `autoglm bundle sign`")
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a bundle's manifest with an Ed25519 private key (writes manifest.sig).")

        @Option(help: "Private key file (from `autoglm bundle keygen`).") var key: String
        @Argument(help: "Bundle directory.") var directory: String

        func run() throws {
            let signingKey = try bundleCall { () throws(BundleError) in try BundleSigningKey(path: key) }
            try bundleCall { () throws(BundleError) in try BundleSignature.sign(PosixFileSystem(), directory: directory, with: signingKey) }
            print("signed \(directory)/manifest.json with key \(signingKey.publicKey.id)")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a bundle: signature by a trusted key, paths, sizes, SHA-256, model fingerprint and golden tokens.")

        @Option(name: .customLong("trusted"), help: "A trusted public key file; repeatable.") var trusted: [String] = []
        @Option(name: .customLong("installed-version"), help: "Refuse a bundle not newer than this version.") var installedVersion: UInt64?
        @Flag(name: .customLong("allow-downgrade"), help: "Accept a bundle not newer than --installed-version.") var allowDowngrade = false
        @Flag(name: .customLong("no-golden"), help: "Skip loading the model (fingerprint and golden tokens).") var noGolden = false
        @Flag(help: "Print the result as JSON (also on failure).") var json = false
        @Argument(help: "Bundle directory.") var directory: String

        func run() throws {
            guard !trusted.isEmpty else { throw ValidationError("give at least one --trusted public key") }
            let options = BundleVerification(runGolden: !noGolden, installedVersion: installedVersion, allowDowngrade: allowDowngrade)
            let progress = ProgressLine(label: "bundle verify")
            let outcome = Result { () throws(BundleError) -> VerifiedBundle in
                let keys = try trusted.map { path throws(BundleError) in try BundleTrustedKey(path: path) }
                return try BundleVerifier.verify(PosixFileSystem(), directory: directory, trustedKeys: keys, options: options) {
                    progress.show($1, of: $2, $0)
                }
            }
            progress.finish()
            switch outcome {
            case .success(let verified):
                let m = verified.manifest
                if json {
                    print(try jsonText(VerifyReport(ok: true, name: m.name, version: m.version, signer: verified.signerKeyId,
                                                    hashed: verified.hashedFiles, golden: verified.goldenChecked)))
                } else {
                    print("OK: bundle \(m.name) version \(m.version), signed by key \(verified.signerKeyId); \(m.files.count) file(s) hashed; "
                        + (verified.goldenChecked ? "\(m.golden.count) golden prompt(s) reproduced exactly" : "golden prompts not run"))
                }
            case .failure(let error):
                if json { print(try jsonText(VerifyReport(ok: false, error: error.description, kind: error.kind))) }
                throw CLIError(description: "bundle refused: \(error.description)")
            }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key pair: PREFIX.key (private, mode 0600, keep it off the vehicle) and PREFIX.pub.")

        @Option(help: "Path prefix of the two files.") var out: String

        func run() throws {
            let key = BundleSigningKey.generate()
            for (path, text, mode) in [(out + ".key", key.fileText, 0o600), (out + ".pub", key.publicKey.fileText, 0o644)] {
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
                guard fd >= 0 else { throw CLIError(description: "\(path): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                guard fchmod(fd, mode_t(mode)) == 0, write(fd, text, text.utf8.count) == text.utf8.count, fsync(fd) == 0 else {
                    throw CLIError(description: "\(path): \(String(cString: strerror(errno)))")
                }
            }
            print("wrote \(out).key (private: keep it on the signing machine) and \(out).pub (key id \(key.publicKey.id))")
        }
    }
}

/// `bundle verify --json`.
struct VerifyReport: Encodable {
    var ok: Bool
    var name: String? = nil
    var version: UInt64? = nil
    var signer: String? = nil
    var hashed: Bool? = nil
    var golden: Bool? = nil
    var error: String? = nil
    var kind: String? = nil
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Runs a bundle call and turns its typed error into a one-line message.
func bundleCall<T>(_ body: () throws(BundleError) -> T) throws -> T {
    do throws(BundleError) { return try body() } catch { throw CLIError(description: error.description) }
}
