import AutoGLM
import Crypto
import Foundation

/// The A/B model slots of a vehicle (docs/bundles.md): `DIR/a`, `DIR/b`, and `DIR/current`.
/// A deploy fills the inactive slot, verifies it (signature, hashes, canary) and only then
/// switches `current`; a start on a slot still on trial counts itself, and reverts after
/// `maxTrialStarts` starts that never reached READY. Generic over the file system so the
/// power-loss tests can crash it at every write.
public final class ModelSlots<FS: DurableFileSystem> {
    public static var slotNames: [String] { ["a", "b"] }
    public static var pointerName: String { "current" }
    /// Starts allowed on a slot on trial before the next start goes back.
    public static var maxTrialStarts: Int { 3 }

    let fs: FS
    public let directory: String
    let trustedKeys: [BundleTrustedKey]

    public init(fileSystem: FS, directory: String, trustedKeys: [BundleTrustedKey]) throws(BundleError) {
        fs = fileSystem
        self.directory = directory
        self.trustedKeys = trustedKeys
        if try BundleIO.entryKind(fs, directory) == nil {
            try BundleIO.call(directory) { () throws(CoreError) in try fs.makeDirectory(directory) }
        }
        for slot in Self.slotNames where try BundleIO.entryKind(fs, path(slot)) == nil {
            try BundleIO.call(path(slot)) { () throws(CoreError) in try fs.makeDirectory(path(slot)) }
        }
    }

    public func path(_ slot: String) -> String { directory + "/" + slot }

    public func pointer() throws(BundleError) -> SlotPointer? {
        guard let bytes = try BundleIO.readSmallFile(fs, directory + "/" + Self.pointerName, limit: 4096,
                                                     tooLarge: { .io(path: Self.pointerName, reason: "\($0) bytes, not a slot pointer") })
        else { return nil }
        return try SlotJSON.decode(SlotPointer.self, bytes, what: Self.pointerName)
    }

    func writePointer(_ p: SlotPointer) throws(BundleError) {
        try BundleIO.writeDurably(fs, try SlotJSON.encode(p), to: directory + "/" + Self.pointerName, directory: directory)
    }

    /// The signed manifest of `slot` checked against its deploy record: signature by a
    /// trusted key, record for these exact manifest bytes, every file present with its size.
    public func check(_ slot: String) throws(BundleError) -> (manifest: BundleManifest, record: SlotRecord) {
        let dir = path(slot)
        let (bytes, _) = try BundleVerifier.signedManifest(fs, directory: dir, trustedKeys: trustedKeys)
        let manifest = try BundleVerifier.decodeManifest(bytes)
        guard let recordBytes = try BundleIO.readSmallFile(fs, dir + "/" + BundlePath.slotRecord, limit: BundleLimits.maxManifestBytes,
                                                           tooLarge: { .io(path: BundlePath.slotRecord, reason: "\($0) bytes") })
        else { throw .io(path: dir, reason: "slot has no deploy record: its deploy never finished") }
        let record = try SlotJSON.decode(SlotRecord.self, recordBytes, what: BundlePath.slotRecord)
        guard record.manifestSha256 == FileDigest.hex(SHA256.hash(data: bytes)), record.files == manifest.files else {
            throw .io(path: dir, reason: "deploy record does not match the slot's manifest")
        }
        for file in manifest.files {
            try BundlePath.checkNoSymlinks(fs, file.path, in: dir)
            let size = try BundleIO.call(file.path) { () throws(CoreError) in try fs.size(dir + "/" + file.path) }
            guard size == file.size else { throw .sizeMismatch(file.path, manifest: file.size, actual: size) }
        }
        return (manifest, record)
    }

    /// The version running now, if any slot is deployed and valid.
    public func installedVersion() -> UInt64? {
        guard let p = try? pointer(), let (manifest, _) = try? check(p.slot) else { return nil }
        return manifest.version
    }
}

/// Slot files are small JSON documents.
enum SlotJSON {
    static func encode<T: Encodable>(_ value: T) throws(BundleError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return Array(try encoder.encode(value)) + [10] } catch { throw .io(path: "\(T.self)", reason: "cannot encode: \(error)") }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws(BundleError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch { throw .io(path: what, reason: "damaged: \(error)") }
    }
}
