import AutoGLM
import Foundation

/// manifest.sig: base64 of the 64-byte Ed25519 signature of manifest.json's exact bytes.
public enum BundleSignature {
    static let signatureBytes = 64

    static func fileText(_ signature: [UInt8]) -> [UInt8] { Array((Data(signature).base64EncodedString() + "\n").utf8) }

    static func parse(_ file: [UInt8]) throws(BundleError) -> [UInt8] {
        guard let text = String(bytes: file, encoding: .utf8),
              let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .signatureMalformed("not base64 text")
        }
        guard raw.count == signatureBytes else { throw .signatureMalformed("\(raw.count) bytes, an Ed25519 signature has \(signatureBytes)") }
        return Array(raw)
    }

    /// Signs `dir`/manifest.json, writing `dir`/manifest.sig durably.
    public static func sign<FS: DurableFileSystem>(_ fs: FS, directory: String, with key: BundleSigningKey) throws(BundleError) {
        guard let manifest = try BundleIO.readSmallFile(fs, directory + "/manifest.json", limit: BundleLimits.maxManifestBytes,
                                                        tooLarge: { .manifestTooLarge(bytes: $0, limit: BundleLimits.maxManifestBytes) })
        else { throw .manifestMissing }
        let signature = try key.signature(for: manifest)
        try BundleIO.writeDurably(fs, fileText(signature), to: directory + "/manifest.sig", directory: directory)
    }
}
