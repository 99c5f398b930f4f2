@testable import AutoGLMServer
import AutoGLM
import Foundation
import Logging
import Synchronization
import XCTest

/// The daemon's checkpoint paths end to end, without sockets: a daemon serves requests,
/// a second daemon on the same checkpoint directory (a restart) recovers the sessions,
/// and resumes give the tokens of the uninterrupted run.
final class CheckpointRecoveryTests: XCTestCase {
    static let uid: UInt32 = 4242
    nonisolated(unsafe) static let request: [String: Any] = [  // never mutated
        "messages": [["role": "user", "content": "And God said unto Moses"]], "max_tokens": 40,
        "temperature": 0.8, "top_k": 40, "seed": 7, "return_token_ids": true,
    ]

    var directory = ""

    override func setUp() {
        directory = NSTemporaryDirectory() + "autoglm-ckpt-test-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func daemon(everyTokens: Int = 4, kvType: String = "f32", budgetBytes: Int? = nil) throws -> Daemon {
        var config = DaemonConfig()
        config.backend = "emulation"
        config.context = 256
        config.checkpointDir = directory
        config.checkpointEveryTokens = everyTokens
        config.kvType = kvType
        if let budgetBytes { config.checkpointBudgetBytes = budgetBytes }
        let d = try Daemon(config: config, logger: Logger(label: "test"))
        d.service.setPhase(.ready)
        return d
    }

    func testUninterruptedSessionOutputEqualsPlainRequestAndSurvivesRestart() throws {
        let first = try daemon()
        let session = try XCTUnwrap(call(first, "POST", "/v1/sessions").json["id"] as? String)
        let plain = try tokenIds(call(first, "POST", "/v1/chat/completions", Self.request))
        let inSession = try tokenIds(call(first, "POST", "/v1/chat/completions", Self.request.merging(["session_id": session]) { $1 }))
        XCTAssertEqual(inSession, plain, "checkpointing must not change the tokens")
        XCTAssertGreaterThan(plain.count, 10)
        let before = try XCTUnwrap(call(first, "GET", "/v1/sessions/\(session)").json["tokens"] as? Int)
        flush(first)

        // A restart: same id, same owner, same history; the ended turn replays from any index.
        let second = try daemon()
        let got = call(second, "GET", "/v1/sessions/\(session)")
        XCTAssertEqual(got.status, 200)
        XCTAssertEqual(got.json["tokens"] as? Int, before)
        XCTAssertEqual(call(second, "GET", "/v1/sessions/\(session)", uid: Self.uid + 1).status, 404, "another uid must not see it")
        let replay = try tokenIds(call(second, "POST", "/v1/sessions/\(session)/resume", ["last_token_index": 4]))
        XCTAssertEqual(replay, Array(plain[5...]))
        XCTAssertGreaterThan(metric(second, "autoglm_sessions_recovered"), 0)
    }

    func testInterruptedRequestResumesAfterRestartWithTheUninterruptedTokens() throws {
        let first = try daemon()
        let plain = try tokenIds(call(first, "POST", "/v1/chat/completions", Self.request))
        let session = try XCTUnwrap(call(first, "POST", "/v1/sessions").json["id"] as? String)
        // The client goes away after 13 tokens: the engine cancels the request, which is
        // checkpointed as interrupted.
        let cut = call(first, "POST", "/v1/chat/completions",
                       Self.request.merging(["session_id": session, "stream": true]) { $1 }, cancelAfterTokens: 13)
        let received = cut.streamedIds
        XCTAssertGreaterThanOrEqual(received.count, 13)
        XCTAssertLessThan(received.count, plain.count)
        XCTAssertEqual(received, Array(plain[..<received.count]))
        waitUntilIdle(first, session)
        flush(first)
        XCTAssertGreaterThan(metric(first, "autoglm_checkpoint_writes_total"), 0)

        let second = try daemon()
        let rest = call(second, "POST", "/v1/sessions/\(session)/resume", ["last_token_index": received.count - 1, "stream": true])
        XCTAssertEqual(rest.status, 200)
        XCTAssertEqual(received + rest.streamedIds, plain)
        // The turn ended: the session's history now holds it, as after an uninterrupted turn.
        XCTAssertEqual(call(second, "GET", "/v1/sessions/\(session)").json["turns"] as? Int, 1)
    }

    func testDamagedCheckpointIsQuarantinedAndTheSessionReportedLost() throws {
        let first = try daemon()
        let session = try XCTUnwrap(call(first, "POST", "/v1/sessions").json["id"] as? String)
        _ = try tokenIds(call(first, "POST", "/v1/chat/completions", Self.request.merging(["session_id": session]) { $1 }))
        flush(first)
        let name = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".ckpt") })
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: directory + "/" + name))
        bytes[40] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: directory + "/" + name))

        let second = try daemon()
        let lost = call(second, "POST", "/v1/sessions/\(session)/resume", ["last_token_index": -1])
        XCTAssertEqual(lost.status, 410)
        XCTAssertEqual((lost.json["error"] as? [String: Any])?["code"] as? String, "session_lost")
        XCTAssertEqual(metric(second, "autoglm_checkpoints_quarantined_total"), 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/quarantine"), [name + ".damaged"])
        XCTAssertEqual(call(second, "GET", "/health").status, 200)
    }

    func testDiskBudgetEvictsTheOldestSessionThatIsNotRunning() throws {
        // One session's file after a 40-token turn holds 4 KV pages of 96 KiB: the budget
        // fits one, not two.
        let first = try daemon(budgetBytes: 600_000)
        var ids: [String] = []
        for _ in 0..<2 {
            let id = try XCTUnwrap(call(first, "POST", "/v1/sessions").json["id"] as? String)
            _ = try tokenIds(call(first, "POST", "/v1/chat/completions", Self.request.merging(["session_id": id]) { $1 }))
            flush(first)
            ids.append(id)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".ckpt") }
        XCTAssertEqual(files, [SessionCheckpoints.key(sessionId: ids[1], ownerUid: Self.uid) + ".ckpt"],
                       "the first session, idle, went when the second one's turn was saved")

        let second = try daemon(budgetBytes: 600_000)
        XCTAssertEqual(call(second, "GET", "/v1/sessions/\(ids[0])").status, 404)
        XCTAssertEqual(call(second, "GET", "/v1/sessions/\(ids[1])").status, 200)
    }

    func testCheckpointsWithTheSingleEngineAreAConfigError() {
        var config = DaemonConfig()
        config.checkpointDir = directory
        config.engine = .single
        XCTAssertThrowsError(try config.validateCheckpoints())
        config.engine = .batched
        config.checkpointKV = "int4"
        XCTAssertThrowsError(try config.validateCheckpoints())
    }

    // MARK: helpers

    func flush(_ d: Daemon) { d.service.checkpoints?.writer.flush() }

    func waitUntilIdle(_ d: Daemon, _ session: String) {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if d.service.sessions.get(session, uid: Self.uid)?.busy == false && d.engine.load.running == 0 { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTFail("the session stayed busy")
    }

    func metric(_ d: Daemon, _ name: String) -> Double {
        let text = call(d, "GET", "/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last!) ?? -1
        }
        return -1
    }

    func tokenIds(_ r: TestSink) throws -> [Int] {
        XCTAssertEqual(r.status, 200, "\(r.json)")
        let choice = try XCTUnwrap((r.json["choices"] as? [[String: Any]])?.first)
        return try XCTUnwrap(choice["token_ids"] as? [Int])
    }

    func call(_ d: Daemon, _ method: String, _ path: String, _ body: [String: Any]? = nil, uid: UInt32 = CheckpointRecoveryTests.uid,
                      cancelAfterTokens: Int? = nil) -> TestSink {
        let sink = TestSink(cancelAfterTokens: cancelAfterTokens)
        let data = body.map { try! JSONSerialization.data(withJSONObject: $0) } ?? Data()
        d.service.handle(APIRequest(method: method, path: path, body: Array(data), peer: PeerIdentity(pid: 1, uid: uid, gid: uid)),
                         sink: sink)
        XCTAssertTrue(sink.done.wait(timeout: .now() + 120) == .success, "no answer to \(method) \(path)")
        return sink
    }
}

/// A response sink that records what the handler sent and signals the end.
final class TestSink: ResponseSink, @unchecked Sendable {
    let cancellation = CancellationFlag()
    let done = DispatchSemaphore(value: 0)
    let cancelAfterTokens: Int?
    private let lock = NSLock()
    private(set) var status = 0
    private(set) var json: [String: Any] = [:]
    private(set) var text = ""
    private(set) var streamedIds: [Int] = []

    init(cancelAfterTokens: Int?) { self.cancelAfterTokens = cancelAfterTokens }

    func setEndpoint(_ name: String) {}

    func sendJSON(status: Int, _ object: Any) {
        lock.withLock {
            self.status = status
            json = object as? [String: Any] ?? [:]
        }
        done.signal()
    }

    func sendText(status: Int, contentType: String, _ text: String) {
        lock.withLock {
            self.status = status
            self.text = text
        }
        done.signal()
    }

    func startEventStream() { lock.withLock { status = 200 } }

    func sendEvent(_ payload: String) {
        guard !cancellation.isCancelled else { return }  // the client is gone
        let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:]
        let count: Int = lock.withLock {
            for choice in object["choices"] as? [[String: Any]] ?? [] {
                if let id = choice["token_id"] as? Int { streamedIds.append(id) }
            }
            return streamedIds.count
        }
        if let limit = cancelAfterTokens, count >= limit, !cancellation.isCancelled {
            cancellation.cancel()
            done.signal()  // the client is gone: it reads nothing more
        }
    }

    func endEventStream() {
        if !cancellation.isCancelled { done.signal() }
    }
}
