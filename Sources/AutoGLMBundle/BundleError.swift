import AutoGLM

/// Why a bundle was refused. Every case says what was checked and what was found, so an
/// engineer reading a vehicle's log can tell tampering from a broken download.
public enum BundleError: Error, Equatable, CustomStringConvertible {
    case notADirectory(String)
    case alreadyExists(String)
    case manifestMissing
    case manifestTooLarge(bytes: Int, limit: Int)
    case manifestInvalid(String)
    case unsupportedFormat(Int)
    case signatureMissing
    case signatureMalformed(String)
    /// No trusted key verifies the manifest: it was edited, or signed by another key.
    case signatureNotTrusted(trustedKeys: Int)
    case unsafePath(String, reason: String)
    case fileMissing(String)
    case notARegularFile(String)
    case sizeMismatch(String, manifest: Int, actual: Int)
    case hashMismatch(String, manifest: String, actual: String)
    case fingerprintMismatch(manifest: String, actual: String)
    case goldenMismatch(index: Int, expected: [Int32], actual: [Int32])
    case notNewer(version: UInt64, installed: UInt64)
    case keyInvalid(path: String, reason: String)
    case io(path: String, reason: String)
    case model(String)

    /// A short, stable word for metrics labels and `--json` output.
    public var kind: String {
        switch self {
        case .notADirectory, .alreadyExists, .io: return "io"
        case .manifestMissing, .manifestTooLarge, .manifestInvalid, .unsupportedFormat: return "manifest"
        case .signatureMissing, .signatureMalformed, .signatureNotTrusted: return "signature"
        case .unsafePath: return "path"
        case .fileMissing, .notARegularFile, .sizeMismatch, .hashMismatch: return "file"
        case .fingerprintMismatch, .model: return "model"
        case .goldenMismatch: return "golden"
        case .notNewer: return "version"
        case .keyInvalid: return "key"
        }
    }

    public var description: String {
        switch self {
        case .notADirectory(let p): return "bundle \(UntrustedText.quoted(p)) is not a directory"
        case .alreadyExists(let p): return "\(UntrustedText.quoted(p)) already exists; choose a new output directory"
        case .manifestMissing: return "bundle has no manifest.json"
        case .manifestTooLarge(let bytes, let limit): return "manifest.json is \(bytes) bytes; the limit is \(limit)"
        case .manifestInvalid(let why): return "manifest.json is not a valid manifest: \(why)"
        case .unsupportedFormat(let v):
            return "manifest format \(v) is not supported (this build reads format \(BundleLimits.formatVersion))"
        case .signatureMissing: return "bundle is not signed: manifest.sig is missing"
        case .signatureMalformed(let why): return "manifest.sig is malformed: \(why)"
        case .signatureNotTrusted(let n):
            return "manifest signature does not verify with any of the \(n) trusted key(s): the manifest was edited or signed by another key"
        case .unsafePath(let p, let why): return "file path \(UntrustedText.quoted(p)) refused: \(why)"
        case .fileMissing(let p): return "file \(UntrustedText.quoted(p)) named by the manifest is missing"
        case .notARegularFile(let p): return "\(UntrustedText.quoted(p)) is not a regular file (a symlink, directory or device)"
        case .sizeMismatch(let p, let m, let a): return "file \(UntrustedText.quoted(p)) is \(a) bytes; the manifest says \(m)"
        case .hashMismatch(let p, let m, let a): return "file \(UntrustedText.quoted(p)) has SHA-256 \(a); the manifest says \(m)"
        case .fingerprintMismatch(let m, let a): return "model fingerprint is \(a); the manifest says \(m)"
        case .goldenMismatch(let i, let e, let a):
            return "golden prompt \(i) produced \(a.prefix(12).map(String.init).joined(separator: " "))…; the manifest expects \(e.prefix(12).map(String.init).joined(separator: " "))…"
        case .notNewer(let v, let installed):
            return "bundle version \(v) is not newer than the installed version \(installed) (a downgrade must be allowed explicitly)"
        case .keyInvalid(let p, let why): return "key file \(UntrustedText.quoted(p)): \(why)"
        case .io(let p, let why): return "\(UntrustedText.quoted(p)): \(why)"
        case .model(let why): return "model: \(why)"
        }
    }
}
