import AutoGLM
import Crypto
import Foundation

/// Ed25519 keys as one-line base64 text files. The private key signs manifests on the
/// build machine and never goes to the vehicle; the vehicle holds public keys only
/// (`trusted_keys`). A private key file readable by others is refused, as ssh does.
public struct BundleSigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    public static func generate() -> BundleSigningKey { BundleSigningKey(key: Curve25519.Signing.PrivateKey()) }

    public init(path: String) throws(BundleError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .keyInvalid(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & 0o077 == 0 else {
            throw .keyInvalid(path: path, reason: "private key is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        let raw = try readKeyFile(path)
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } catch {
            throw .keyInvalid(path: path, reason: "not an Ed25519 private key")
        }
    }

    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    public var publicKey: BundleTrustedKey { BundleTrustedKey(key: key.publicKey) }

    /// The file's text: base64 of the 32-byte private key, a newline.
    public var fileText: String { key.rawRepresentation.base64EncodedString() + "\n" }

    func signature(for bytes: [UInt8]) throws(BundleError) -> [UInt8] {
        do {
            return Array(try key.signature(for: bytes))
        } catch {
            throw .io(path: "manifest.json", reason: "signing failed: \(error)")
        }
    }
}

/// A public key that the vehicle trusts to sign bundles.
public struct BundleTrustedKey: Equatable, Sendable {
    let key: Curve25519.Signing.PublicKey

    public static func == (a: BundleTrustedKey, b: BundleTrustedKey) -> Bool { a.key.rawRepresentation == b.key.rawRepresentation }

    init(key: Curve25519.Signing.PublicKey) { self.key = key }

    public init(path: String) throws(BundleError) {
        let raw = try readKeyFile(path)
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw .keyInvalid(path: path, reason: "not an Ed25519 public key")
        }
    }

    /// The file's text: base64 of the 32-byte public key, a newline.
    public var fileText: String { key.rawRepresentation.base64EncodedString() + "\n" }

    /// Short id for logs: the first 8 bytes of the key's SHA-256, hex.
    public var id: String { FileDigest.hex(SHA256.hash(data: key.rawRepresentation).prefix(8)) }

    func verifies(_ signature: [UInt8], of bytes: [UInt8]) -> Bool { key.isValidSignature(signature, for: bytes) }
}

/// One line of base64 holding 32 bytes.
private func readKeyFile(_ path: String) throws(BundleError) -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw .keyInvalid(path: path, reason: "cannot be read")
    }
    guard data.count <= 256, let text = String(data: data, encoding: .utf8),
          let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
        throw .keyInvalid(path: path, reason: "expected one line of base64 holding a 32-byte Ed25519 key")
    }
    return raw
}
