@testable import AutoGLMServer
import XCTest

final class DaemonConfigTests: XCTestCase {
    func testParsesEveryKindOfKey() throws {
        let c = try DaemonConfig.parse(toml: """
            model = "/models/m.gguf"
            threads = 3
            pin_threads = true
            sessions = 2
            socket_path = "/run/autoglm/a.sock"
            socket_mode = "0640"
            socket_group = "autoglm"
            allowed_uids = [1000, 1001]
            allowed_gids = [44]
            tcp_port = 8080
            max_body_bytes = 4096
            drain_timeout_ms = 500
            """)
        XCTAssertEqual(c.model, "/models/m.gguf")
        XCTAssertEqual(c.threads, 3)
        XCTAssertTrue(c.pinThreads)
        XCTAssertFalse(DaemonConfig().pinThreads)
        XCTAssertEqual(c.sessions, 2)
        XCTAssertEqual(c.socketMode, 0o640)
        XCTAssertEqual(c.allowedUids, [1000, 1001])
        XCTAssertEqual(c.allowedGids, [44])
        XCTAssertEqual(c.tcpPort, 8080)
        XCTAssertEqual(c.limits.maxBodyBytes, 4096)
        XCTAssertEqual(c.limits.drainTimeoutMilliseconds, 500)
    }

    func testBoardProfilesAreValidConfigs() throws {
        let platforms = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Platforms")
        let files = try FileManager.default.contentsOfDirectory(atPath: platforms.path).filter { $0.hasSuffix(".toml") }
        XCTAssertGreaterThanOrEqual(files.count, 4)
        for file in files {
            let c = try DaemonConfig.load(path: platforms.appendingPathComponent(file).path)
            XCTAssertNotNil(c.socketPath, file)
            XCTAssertGreaterThan(c.memoryBudgetBytes, 0, file)
        }
    }

    func testRejectsUnknownKeysWrongTypesAndRanges() {
        for (toml, fragment) in [("thredas = 2", "unknown key"), ("threads = \"two\"", "must be an integer"),
                                 ("threads = -1", "outside"), ("pin_threads = 1", "true or false"), ("socket_mode = \"0999\"", "octal"),
                                 ("allowed_uids = [-5]", "not a uid"), ("max_body_bytes = 10", "outside"),
                                 ("model = [", "not valid TOML")] {
            XCTAssertThrowsError(try DaemonConfig.parse(toml: toml), toml) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(toml): \(error)")
            }
        }
    }

    func testDefaultSocketPathIsInTheRuntimeDirectory() {
        XCTAssertEqual(DaemonConfig.defaultSocketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"]),
                       "/run/user/1000/autoglm.sock")
        XCTAssertEqual(DaemonConfig.defaultSocketPath(environment: [:]), "/tmp/autoglm-\(getuid())/autoglm.sock")
        var c = DaemonConfig()
        c.socketPath = "$XDG_RUNTIME_DIR/autoglm.sock"
        XCTAssertEqual(c.resolvedSocketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/7"]), "/run/user/7/autoglm.sock")
    }

    func testTCPNeedsAllowInsecureTCPAndNeverServesWithCheckpoints() throws {
        var c = try DaemonConfig.parse(toml: "tcp_port = 8080")
        XCTAssertThrowsError(try c.validateListeners()) { XCTAssertTrue("\($0)".contains("allow_insecure_tcp = true"), "\($0)") }
        c = try DaemonConfig.parse(toml: "tcp_port = 8080\nallow_insecure_tcp = true")
        XCTAssertTrue(c.allowInsecureTCP)
        XCTAssertNoThrow(try c.validateListeners())
        c.checkpointDir = "/var/lib/autoglm"
        XCTAssertThrowsError(try c.validateListeners()) { XCTAssertTrue("\($0)".contains("checkpoint_dir"), "\($0)") }
        XCTAssertNoThrow(try DaemonConfig().validateListeners(), "no TCP, nothing to allow")
    }

    func testSystemdUnitCarriesTheGivenOptionsWithAbsolutePathsAndNothingElse() {
        let args = SystemdUnit.serviceArguments(
            ["--model", "models/m.gguf", "--systemd-unit", "--threads", "2", "--config=../etc/a.toml", "--socket", "/run/a.sock",
             "--checkpoint-dir", "state"], workingDirectory: "/home/me/work")
        XCTAssertEqual(args, ["--model", "/home/me/work/models/m.gguf", "--threads", "2", "--config=/home/me/etc/a.toml",
                              "--socket", "/run/a.sock", "--checkpoint-dir", "/home/me/work/state"])
        XCTAssertEqual(SystemdUnit.serviceArguments(["--systemd-unit"], workingDirectory: "/x"), [], "no invented config path")
        XCTAssertEqual(SystemdUnit.quoted("/opt/my models/m%1$.gguf"), "\"/opt/my models/m%%1$$.gguf\"")
        XCTAssertEqual(SystemdUnit.quoted("--context=512"), "--context=512")
    }
}
