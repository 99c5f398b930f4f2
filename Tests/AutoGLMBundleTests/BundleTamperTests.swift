import AutoGLM
@testable import AutoGLMBundle
import Foundation
import Testing

/// Issue 19's tampering cases: each is refused with its own error, before the model runs.
@Suite struct BundleTamperTests {
    @Test func aSignedBundleVerifiesWithItsGoldenTokens() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        let verified = try f.verify(dir)
        #expect(verified.hashedFiles && verified.goldenChecked)
        #expect(verified.signerKeyId == f.key.publicKey.id)
        let m = try f.manifest(dir)
        #expect(m.golden.count == 2 && m.golden.allSatisfy { $0.tokens.count == 6 })
        // The manifest's hash is the file's SHA-256 as an independent tool computes it.
        let expected = try sha256sum(dir + "/" + m.model)
        #expect(m.files[0].sha256 == expected)
    }

    @Test func aFlippedByteInTheModelIsAHashMismatch() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try f.modify(dir + "/glm4-q8_0.gguf") { $0[$0.count / 2] ^= 0x01 }
        guard case .hashMismatch(let path, _, _)? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
            Issue.record("a flipped byte passed"); return
        }
        #expect(path == "glm4-q8_0.gguf")
    }

    @Test func aTruncatedModelIsASizeMismatch() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try f.modify(dir + "/glm4-q8_0.gguf") { $0.removeLast(1000) }
        guard case .sizeMismatch(_, let m, let a)? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
            Issue.record("a truncated model passed"); return
        }
        #expect(m - a == 1000)
    }

    @Test func anEditedManifestFailsTheSignature() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        // Raise the version without re-signing (the classic replay-as-new).
        try f.modify(dir + "/manifest.json") { bytes in
            let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 9")
            bytes = Array(text.utf8)
        }
        #expect(refusal { () throws(BundleError) in try f.verify(dir) } == .signatureNotTrusted(trustedKeys: 1))
    }

    @Test func aSignatureByAnUntrustedKeyIsRefused() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        let stranger = BundleSigningKey.generate()
        try BundleSignature.sign(PosixFileSystem(), directory: dir, with: stranger)
        #expect(refusal { () throws(BundleError) in try f.verify(dir) } == .signatureNotTrusted(trustedKeys: 1))
        // With the stranger's key trusted as well, the same bundle passes: the key decides.
        _ = try f.verify(dir, keys: f.trusted + [stranger.publicKey], options: BundleVerification(runGolden: false))
    }

    @Test func aMissingOrMalformedSignatureIsRefused() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try f.modify(dir + "/manifest.sig") { $0 = Array("AAAA\n".utf8) }
        guard case .signatureMalformed? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
            Issue.record("a 3-byte signature passed"); return
        }
        try FileManager.default.removeItem(atPath: dir + "/manifest.sig")
        #expect(refusal { () throws(BundleError) in try f.verify(dir) } == .signatureMissing)
    }

    @Test func aReplayedOlderVersionIsRefusedUnlessADowngradeIsAllowed() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b", version: 4)
        #expect(refusal { () throws(BundleError) in
            try f.verify(dir, options: BundleVerification(runGolden: false, installedVersion: 4))
        } == .notNewer(version: 4, installed: 4))
        _ = try f.verify(dir, options: BundleVerification(runGolden: false, installedVersion: 5, allowDowngrade: true))
        _ = try f.verify(dir, options: BundleVerification(runGolden: false, installedVersion: 3))
    }

    @Test func goldenTokensOfAnotherQuantizationAreRefused() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let q8 = try f.bundle("q8", model: "glm4-q8_0.gguf", tokens: 12)
        let f16 = try f.bundle("f16", model: "glm4-f16.gguf", tokens: 12)
        let other = try f.manifest(f16).golden
        try #require(other != (try f.manifest(q8)).golden, "the fixture's F16 and Q8_0 files give the same greedy tokens")
        // The signer vouches for the Q8_0 file with the F16 file's tokens.
        try f.resign(q8) { $0.golden = other }
        guard case .goldenMismatch? = refusal({ () throws(BundleError) in try f.verify(q8) }) else {
            Issue.record("golden tokens of another quantization passed"); return
        }
    }

    @Test func anotherModelWithItsOwnHashFailsTheFingerprint() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try FileManager.default.removeItem(atPath: dir + "/glm4-q8_0.gguf")
        try FileManager.default.copyItem(atPath: BundleFixture.model("llama-q8_0.gguf"), toPath: dir + "/glm4-q8_0.gguf")
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/glm4-q8_0.gguf")[.size] as! Int
        let hash = try sha256sum(dir + "/glm4-q8_0.gguf")
        try f.resign(dir) { $0.files[0] = BundleFile(path: "glm4-q8_0.gguf", size: size, sha256: hash) }
        guard case .fingerprintMismatch? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
            Issue.record("another model passed"); return
        }
    }

    @Test func aSymlinkPointingOutsideTheBundleIsRefused() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        let outside = f.root + "/outside.gguf"
        try FileManager.default.moveItem(atPath: dir + "/glm4-q8_0.gguf", toPath: outside)
        try FileManager.default.createSymbolicLink(atPath: dir + "/glm4-q8_0.gguf", withDestinationPath: outside)
        #expect(refusal { () throws(BundleError) in try f.verify(dir) } == .notARegularFile("glm4-q8_0.gguf"))
    }

    @Test func pathsLeadingOutOfTheBundleAreRefusedBeforeAnyFileIsOpened() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        for bad in ["../outside.gguf", "/etc/passwd", "a/../../x", "", "manifest.sig", "sub/model.gguf"] {
            try f.resign(dir) { $0.files.append(BundleFile(path: bad, size: 1, sha256: String(repeating: "0", count: 64))) }
            guard case .unsafePath(let p, _)? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
                Issue.record("path \(bad) passed"); continue
            }
            #expect(p == bad)
            try f.resign(dir) { $0.files.removeLast() }
        }
    }

    @Test func aHugeManifestIsRefusedUnread() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try f.modify(dir + "/manifest.json") { $0 += [UInt8](repeating: 32, count: BundleLimits.maxManifestBytes) }
        guard case .manifestTooLarge(let bytes, let limit)? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
            Issue.record("a 1 MiB manifest passed"); return
        }
        #expect(bytes > limit)
    }

    @Test func aSignedButMalformedManifestNamesTheField() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try f.resign(dir) { $0.format = 2 }
        #expect(refusal { () throws(BundleError) in try f.verify(dir) } == .unsupportedFormat(2))
        try f.resign(dir) { $0.format = 1 }
        try f.modify(dir + "/manifest.json") { bytes in
            bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"name\" : \"fixture\"", with: "\"name\" : 7").utf8)
        }
        try BundleSignature.sign(PosixFileSystem(), directory: dir, with: f.key)
        guard case .manifestInvalid(let why)? = refusal({ () throws(BundleError) in try f.verify(dir) }) else {
            Issue.record("a numeric name passed"); return
        }
        #expect(why.contains("name"))
    }

    @Test func aMissingFileIsNamed() throws {
        let f = try BundleFixture()
        defer { f.remove() }
        let dir = try f.bundle("b")
        try FileManager.default.removeItem(atPath: dir + "/glm4-q8_0.gguf")
        #expect(refusal { () throws(BundleError) in try f.verify(dir) } == .fileMissing("glm4-q8_0.gguf"))
    }
}

/// SHA-256 by coreutils: independent of the code under test.
func sha256sum(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    p.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return String(text.prefix(64))
}
