import AutoGLM
@testable import AutoGLMBundle
import Crypto
import DurableFileSystemTestSupport
import Testing

/// A/B slots over an in-memory file system: deploy, trial starts, reverts, and power loss
/// at every write of a deploy.
@Suite struct ModelSlotsTests {
    static let key = BundleSigningKey.generate()

    /// Plants a signed bundle of `size` pseudo-random "model" bytes at `dir`, durably.
    static func plantBundle(_ fs: PowerLossFileSystem, _ dir: String, version: UInt64, size: Int = 3000) throws {
        var rng = SamplerRNG(seed: version)
        let model = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let manifest = BundleManifest(name: "slots", version: version, model: "m.gguf",
                                      files: [BundleFile(path: "m.gguf", size: size, sha256: FileDigest.hex(SHA256.hash(data: model)))],
                                      modelFingerprint: "0", golden: [], createdBy: "test")
        let bytes = try BundleCreation.encode(manifest)
        try fs.makeDirectory(dir)
        fs.plantFile(dir + "/m.gguf", model)
        fs.plantFile(dir + "/manifest.json", bytes)
        fs.plantFile(dir + "/manifest.sig", BundleSignature.fileText(try key.signature(for: bytes)))
    }

    static func slots(_ fs: PowerLossFileSystem) throws -> ModelSlots<PowerLossFileSystem> {
        try ModelSlots(fileSystem: fs, directory: "/slots", trustedKeys: [key.publicKey])
    }

    /// A fresh file system holding signed bundles `/v1`, `/v2`, … and an empty slots directory.
    static func withBundles(_ versions: UInt64...) throws -> (PowerLossFileSystem, ModelSlots<PowerLossFileSystem>) {
        let fs = PowerLossFileSystem()
        for v in versions { try plantBundle(fs, "/v\(v)", version: v) }
        return (fs, try slots(fs))
    }

    static func noCanary(_: String, _: BundleManifest) throws(BundleError) {}

    @Test func deploySwitchesToTheNewSlotAndKeepsThePreviousOne() throws {
        let (fs, slots) = try Self.withBundles(1, 2)
        #expect(try slots.deploy(bundle: "/v1", canary: Self.noCanary).slot == "a")
        let second = try slots.deploy(bundle: "/v2", canary: Self.noCanary)
        #expect(second.slot == "b" && second.previous == "a")
        #expect(try slots.pointer() == SlotPointer(slot: "b", previous: "a", trial: true))
        #expect(fs.contents("/slots/b/m.gguf") == fs.contents("/v2/m.gguf"))
        #expect(slots.installedVersion() == 2)
    }

    @Test func anOlderVersionOrAFailedCanaryLeavesTheRunningSlot() throws {
        let (fs, slots) = try Self.withBundles(1, 2)
        _ = try slots.deploy(bundle: "/v2", canary: Self.noCanary)
        let before = try slots.pointer()
        #expect(refusal { () throws(BundleError) in try slots.deploy(bundle: "/v1", canary: Self.noCanary) } == .notNewer(version: 1, installed: 2))
        try Self.plantBundle(fs, "/v3", version: 3)
        let failing: (String, BundleManifest) throws(BundleError) -> Void = { _, _ throws(BundleError) in
            throw .goldenMismatch(index: 0, expected: [1], actual: [2])
        }
        #expect(refusal { () throws(BundleError) in try slots.deploy(bundle: "/v3", canary: failing) } != nil)
        #expect(try slots.pointer() == before)
        #expect(try slots.startup().manifest.version == 2)
        // An explicit downgrade is allowed.
        #expect(try slots.deploy(bundle: "/v1", allowDowngrade: true, canary: Self.noCanary).manifest.version == 1)
    }

    @Test func aSlotThatNeverReachesReadyIsAbandonedAfterItsTrialStarts() throws {
        let (_, slots) = try Self.withBundles(1, 2)
        _ = try slots.deploy(bundle: "/v1", canary: Self.noCanary)
        _ = try slots.startup()
        try slots.confirm()
        _ = try slots.deploy(bundle: "/v2", canary: Self.noCanary)
        for attempt in 1...ModelSlots<PowerLossFileSystem>.maxTrialStarts {
            let choice = try slots.startup()  // the daemon then crashes before READY
            #expect(choice.slot == "b" && choice.reverted == nil)
            #expect(try slots.pointer()?.attempts == attempt)
        }
        let back = try slots.startup()
        #expect(back.slot == "a" && back.manifest.version == 1)
        #expect(back.reverted?.contains("without reaching READY") == true)
        #expect(try slots.pointer()?.trial == false)
    }

    @Test func aConfirmedSlotIsNoLongerCounted() throws {
        let (_, slots) = try Self.withBundles(1)
        _ = try slots.deploy(bundle: "/v1", canary: Self.noCanary)
        _ = try slots.startup()
        try slots.confirm()
        for _ in 0..<10 { #expect(try slots.startup().slot == "a") }
        #expect(try slots.pointer()?.attempts == 0)
    }

    @Test func aDamagedSlotFallsBackToThePreviousOne() throws {
        let (fs, slots) = try Self.withBundles(1, 2)
        _ = try slots.deploy(bundle: "/v1", canary: Self.noCanary)
        _ = try slots.deploy(bundle: "/v2", canary: Self.noCanary)
        fs.plantFile("/slots/b/m.gguf", [1, 2, 3])  // bit rot shortened the model
        let choice = try slots.startup()
        #expect(choice.slot == "a")
        #expect(choice.reverted?.contains("slot b failed its check") == true)
    }

    /// Power fails at every write, rename and fsync of a deploy. After each, a start finds
    /// a complete slot whose every byte verifies: the old bundle or the new, never a mix.
    @Test(arguments: [2, 3]) func powerLossDuringADeployAlwaysStartsOnACompleteSlot(newVersion: UInt64) throws {
        var budget = 0
        var outcomes: [UInt64: Int] = [:]
        while true {
            let fs = PowerLossFileSystem()
            for v in 1...newVersion { try Self.plantBundle(fs, "/v\(v)", version: v) }
            let slots = try Self.slots(fs)
            for v in 1..<newVersion { _ = try slots.deploy(bundle: "/v\(v)", canary: Self.noCanary) }
            fs.operationsBeforeCrash = budget
            let finished = (try? slots.deploy(bundle: "/v\(newVersion)", canary: Self.noCanary)) != nil
            if finished && !fs.crashed { break }
            for seed in 0..<4 {
                var rng = SamplerRNG(seed: UInt64(budget * 7 + seed))
                let after = fs.copy()
                after.powerLoss(&rng, lucky: seed == 0)
                let restarted = try Self.slots(after)
                let choice = try restarted.startup()
                let full = try BundleVerifier.verify(after, directory: restarted.path(choice.slot), trustedKeys: [Self.key.publicKey],
                                                     options: BundleVerification(runGolden: false))
                #expect(full.manifest.version == newVersion || full.manifest.version == newVersion - 1)
                outcomes[full.manifest.version, default: 0] += 1
            }
            budget += 1
        }
        #expect(budget > 10, "a deploy is more than \(budget) file operations")
        // Both outcomes happen: the sweep reached the switch.
        #expect(outcomes.count == 2, "\(outcomes)")
    }
}
