@testable import AutoGLMServer
import AutoGLM
import Foundation
import Logging
import XCTest

/// A session acknowledged is a session on disk; checkpoints are private to the daemon's
/// uid; nothing in the directory can stop start-up. The disk failures here are real
/// ones (the directory replaced by a file: every create fails with ENOTDIR), so they go
/// through the same write path as a full or read-only disk.
extension CheckpointRecoveryTests {
    /// Every checkpoint write fails until `restoreDisk` (the directory moved aside).
    func breakDisk() throws {
        try FileManager.default.moveItem(atPath: directory, toPath: directory + ".aside")
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory))
    }

    func restoreDisk() throws {
        try FileManager.default.removeItem(atPath: directory)
        try FileManager.default.moveItem(atPath: directory + ".aside", toPath: directory)
    }

    func testASessionWhoseCheckpointCannotBeWrittenIsNotCreated() throws {
        let d = try daemon()
        try breakDisk()
        let refused = call(d, "POST", "/v1/sessions")
        XCTAssertEqual(refused.status, 507, "\(refused.json)")
        let error = try XCTUnwrap(refused.json["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "checkpoint_write_failed")
        XCTAssertEqual(error["type"] as? String, "server_error")
        XCTAssertTrue((error["message"] as? String ?? "").contains("not created"), "\(error)")
        XCTAssertEqual((call(d, "GET", "/v1/sessions").json["data"] as? [Any])?.count, 0, "no session may exist")

        try restoreDisk()
        // The refused attempts hold no slot and no per-uid quota (2 per uid).
        for _ in 0..<2 {
            let created = call(d, "POST", "/v1/sessions")
            XCTAssertEqual(created.status, 201)
            XCTAssertEqual(created.json["durable"] as? Bool, true)
        }
        XCTAssertEqual(metric(d, "autoglm_sessions_not_durable"), 0)
    }

    func testARequestWhoseCheckpointsFailIsServedAndItsSessionMarkedNotDurableUntilASaveSucceeds() throws {
        let d = try daemon()
        let session = try XCTUnwrap(call(d, "POST", "/v1/sessions").json["id"] as? String)
        try breakDisk()
        let withSession = Self.request.merging(["session_id": session]) { $1 }
        XCTAssertGreaterThan(try tokenIds(call(d, "POST", "/v1/chat/completions", withSession)).count, 10,
                             "a failing disk must not stop the answer")
        flush(d)
        let marked = call(d, "GET", "/v1/sessions/\(session)").json
        XCTAssertEqual(marked["durable"] as? Bool, false, "\(marked)")
        XCTAssertEqual(metric(d, "autoglm_sessions_not_durable"), 1)
        XCTAssertGreaterThan(metric(d, "autoglm_checkpoint_failures_total"), 0)

        // The disk comes back: the next checkpoint of the session is the retry.
        try restoreDisk()
        _ = try tokenIds(call(d, "POST", "/v1/chat/completions",
                              withSession.merging(["messages": [["role": "user", "content": "And then?"]]]) { $1 }))
        flush(d)
        XCTAssertEqual(call(d, "GET", "/v1/sessions/\(session)").json["durable"] as? Bool, true)
        XCTAssertEqual(metric(d, "autoglm_sessions_not_durable"), 0)
        let turns = call(d, "GET", "/v1/sessions/\(session)").json["tokens"] as? Int
        let restarted = try daemon()
        XCTAssertEqual(call(restarted, "GET", "/v1/sessions/\(session)").json["tokens"] as? Int, turns,
                       "both turns are on disk after the retry")
    }

    func testCheckpointsAreReadableByTheDaemonsUidOnly() throws {
        let d = try daemon()
        let session = try XCTUnwrap(call(d, "POST", "/v1/sessions").json["id"] as? String)
        flush(d)
        let file = directory + "/" + SessionCheckpoints.key(sessionId: session, ownerUid: Self.uid) + ".ckpt"
        XCTAssertEqual(try mode(directory), 0o700)
        XCTAssertEqual(try mode(file), 0o600)
    }

    func testADirectoryOthersMayWriteToOrOwnedByAnotherUidIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        XCTAssertEqual(chmod(directory, 0o777), 0)
        XCTAssertThrowsError(try daemon()) { XCTAssertTrue("\($0)".contains("may write to it"), "\($0)") }
        XCTAssertEqual(chmod(directory, 0o770), 0)
        XCTAssertThrowsError(try daemon()) { XCTAssertTrue("\($0)".contains("may write to it"), "\($0)") }

        // Readable by others (as an older version made it): tightened, and the daemon starts.
        XCTAssertEqual(chmod(directory, 0o755), 0)
        _ = try daemon()
        XCTAssertEqual(try mode(directory), 0o700)

        guard geteuid() == 0 else {
            print("skipped: the other-uid directory case needs root to chown (running as uid \(geteuid()))")
            return
        }
        XCTAssertEqual(chown(directory, 65534, 65534), 0)
        XCTAssertThrowsError(try daemon()) { XCTAssertTrue("\($0)".contains("owned by uid 65534"), "\($0)") }
    }

    func testAFifoASymlinkAndAQuarantineFileDoNotStopStartUp() throws {
        let first = try daemon()
        let session = try XCTUnwrap(call(first, "POST", "/v1/sessions").json["id"] as? String)
        flush(first)
        // Before: opening the FIFO blocked start-up for ever, and a file named quarantine
        // made it fail.
        XCTAssertEqual(mkfifo(directory + "/u4242_sess-fifo.ckpt", 0o600), 0)
        let key = SessionCheckpoints.key(sessionId: session, ownerUid: Self.uid)
        try FileManager.default.createSymbolicLink(atPath: directory + "/u4242_sess-link.ckpt",
                                                   withDestinationPath: directory + "/" + key + ".ckpt")
        try FileManager.default.removeItem(atPath: directory + "/quarantine")
        try Data("in the way".utf8).write(to: URL(fileURLWithPath: directory + "/quarantine"))

        let second = try daemon()
        XCTAssertEqual(call(second, "GET", "/health").status, 200)
        XCTAssertEqual(call(second, "GET", "/v1/sessions/\(session)").status, 200, "the real session is recovered")
        XCTAssertEqual(call(second, "GET", "/v1/sessions/sess-link").status, 404, "a symlink is not loaded")
        XCTAssertEqual(call(second, "GET", "/v1/sessions/sess-fifo").status, 404)
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/quarantine", isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertEqual(try String(contentsOfFile: directory + "/quarantine.blocker", encoding: .utf8), "in the way")
    }

    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }
}
