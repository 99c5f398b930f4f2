import ArgumentParser
import AutoGLM
import AutoGLMBundle
import Foundation

/// `autoglm deploy`: installs a signed bundle into a slots directory (A/B), as the daemon's
/// `POST /admin/bundles` does, and `--status` shows what the slots hold.
struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install a signed bundle into the inactive model slot, verify it (signature, hashes, golden tokens) and switch to it.")

    @Option(help: "The slots directory (model_slots_dir).") var slots: String
    @Option(name: .customLong("trusted"), help: "A trusted public key file; repeatable.") var trusted: [String] = []
    @Flag(name: .customLong("allow-downgrade"), help: "Accept a bundle that is not newer than the installed one.") var allowDowngrade = false
    @Flag(help: "Print the slots' state instead of deploying.") var status = false
    @Argument(help: "Bundle directory to deploy.") var bundle: String?

    func run() throws {
        guard !trusted.isEmpty else { throw ValidationError("give at least one --trusted public key") }
        let keys = try bundleCall { () throws(BundleError) in try trusted.map { path throws(BundleError) in try BundleTrustedKey(path: path) } }
        let slots = try bundleCall { () throws(BundleError) in try ModelSlots(fileSystem: PosixFileSystem(), directory: self.slots, trustedKeys: keys) }
        if status {
            try printStatus(slots)
            return
        }
        guard let bundle else { throw ValidationError("name the bundle directory to deploy (or pass --status)") }
        let outcome = try bundleCall { () throws(BundleError) in
            try slots.deploy(bundle: bundle, allowDowngrade: allowDowngrade) { (modelPath, manifest) throws(BundleError) in
                try BundleVerifier.checkGolden(manifest, modelPath: modelPath)
            }
        }
        print("deployed \(outcome.manifest.name) version \(outcome.manifest.version) into slot \(outcome.slot)"
            + (outcome.previous.map { " (previous: slot \($0))" } ?? "") + "; on trial until a daemon reaches READY on it")
    }

    private func printStatus(_ slots: ModelSlots<PosixFileSystem>) throws {
        let pointer = try bundleCall { () throws(BundleError) in try slots.pointer() }
        guard let pointer else {
            print("no model deployed")
            return
        }
        print("current: slot \(pointer.slot)" + (pointer.trial ? " (on trial, \(pointer.attempts) start(s))" : "")
            + (pointer.previous.map { ", previous: slot \($0)" } ?? "") + (pointer.reverted.map { "; reverted: \($0)" } ?? ""))
        for slot in ModelSlots<PosixFileSystem>.slotNames {
            do throws(BundleError) {
                let (manifest, record) = try slots.check(slot)
                print("slot \(slot): \(manifest.name) version \(manifest.version), signed by \(record.signer)")
            } catch {
                print("slot \(slot): \(error.description)")
            }
        }
    }
}
