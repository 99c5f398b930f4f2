import AutoGLM
import Crypto

/// What a deploy did.
public struct DeployOutcome: Sendable {
    public let slot: String
    public let previous: String?
    public let manifest: BundleManifest
}

extension ModelSlots {
    /// Installs `bundle` into the inactive slot and switches to it. `canary` runs the
    /// golden prompts on the copied model (GoldenTokens in production; tests inject one).
    /// On any failure `current` is unchanged: the running slot stays.
    public func deploy(bundle: String, allowDowngrade: Bool = false,
                       canary: (String, BundleManifest) throws(BundleError) -> Void) throws(BundleError) -> DeployOutcome {
        // Untrusted input is checked before a byte is copied: signature, paths, version.
        let (sourceBytes, _) = try BundleVerifier.signedManifest(fs, directory: bundle, trustedKeys: trustedKeys)
        let incoming = try BundleVerifier.decodeManifest(sourceBytes)
        let current = try pointer()
        if let current, let (running, _) = try? check(current.slot), incoming.version <= running.version, !allowDowngrade {
            throw .notNewer(version: incoming.version, installed: running.version)
        }
        let target = current.map { $0.slot == "a" ? "b" : "a" } ?? "a"
        // The target may be the rollback slot: stop pointing at it before it is cleared.
        if let current, current.previous != nil {
            try writePointer(SlotPointer(slot: current.slot, previous: nil, trial: current.trial, attempts: current.attempts))
        }
        try clear(target)
        for name in [BundlePath.manifest, BundlePath.signature] + incoming.files.map(\.path) {
            _ = try BundleCopy.copy(fs, from: bundle + "/" + name, to: path(target) + "/" + name)
        }
        try BundleIO.call(path(target)) { () throws(CoreError) in try fs.syncDirectory(path(target)) }
        // The copy is what runs: verify it, not the source (which may change meanwhile).
        let verified = try BundleVerifier.verify(fs, directory: path(target), trustedKeys: trustedKeys,
                                                 options: BundleVerification(runGolden: false))
        try canary(verified.modelPath, verified.manifest)
        let copiedManifest = try BundleIO.call(path(target)) { () throws(CoreError) in
            try fs.read(path(target) + "/" + BundlePath.manifest, offset: 0, count: try fs.size(path(target) + "/" + BundlePath.manifest))
        }
        let record = SlotRecord(manifestSha256: FileDigest.hex(SHA256.hash(data: copiedManifest)), version: verified.manifest.version,
                                files: verified.manifest.files, signer: verified.signerKeyId)
        try BundleIO.writeDurably(fs, try SlotJSON.encode(record), to: path(target) + "/" + BundlePath.slotRecord, directory: path(target))
        try writePointer(SlotPointer(slot: target, previous: current?.slot, trial: true))
        return DeployOutcome(slot: target, previous: current?.slot, manifest: verified.manifest)
    }

    /// Empties a slot; its record goes first, so a half-cleared slot is never "deployed".
    func clear(_ slot: String) throws(BundleError) {
        let dir = path(slot)
        let names = try BundleIO.call(dir) { () throws(CoreError) in try fs.list(dir) }
        for name in names.filter({ $0 == BundlePath.slotRecord }) + names.filter({ $0 != BundlePath.slotRecord }) {
            try BundleIO.call(dir + "/" + name) { () throws(CoreError) in try fs.remove(dir + "/" + name) }
        }
        try BundleIO.call(dir) { () throws(CoreError) in try fs.syncDirectory(dir) }
    }
}
