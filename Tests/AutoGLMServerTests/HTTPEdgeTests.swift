@testable import AutoGLMServer
import Foundation
import Logging
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// HTTP behaviours clients rely on, over a real Unix socket and raw bytes: a request
/// followed by shutdown(SHUT_WR) is answered, and `Expect: 100-continue` is honoured.
final class HTTPEdgeTests: XCTestCase {
    /// Long enough for a loaded machine; a missing answer fails the test at this bound.
    static let readTimeoutSeconds = 10

    private var socketPath = ""
    private var server: HTTPServer?

    override func setUp() async throws {
        socketPath = NSTemporaryDirectory() + "autoglm-http-\(UUID().uuidString.prefix(8)).sock"
        var config = DaemonConfig()
        config.backend = "emulation"
        config.context = 64
        config.socketPath = socketPath
        let daemon = try Daemon(config: config, logger: Logger(label: "test"))
        daemon.service.setPhase(.ready)
        server = try await HTTPServer(config: config, service: daemon.service, logger: Logger(label: "test"))
    }

    override func tearDown() async throws {
        await server?.close()
    }

    func testARequestFollowedByAHalfCloseIsAnswered() throws {
        let fd = try connect()
        defer { close(fd) }
        send(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(shutdown(fd, Int32(SHUT_WR)), 0)
        let answer = readAll(fd)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), "no answer after the client's half-close: \(answer.debugDescription)")
        XCTAssertTrue(answer.contains("\"ready\""), answer)
    }

    func testExpect100ContinueIsAnsweredBeforeTheBody() throws {
        let fd = try connect()
        defer { close(fd) }
        let body = #"{"prompt": "In the beginning"}"#
        send(fd, "POST /v1/tokenize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Expect: 100-continue\r\nConnection: close\r\n\r\n")
        let interim = readHead(fd)
        XCTAssertTrue(interim.hasPrefix("HTTP/1.1 100 Continue"), "the client waits for this before sending: \(interim.debugDescription)")
        send(fd, body)
        let answer = readAll(fd)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertTrue(answer.contains("\"tokens\""), answer)
    }

    // MARK: raw socket

    private func connect() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(connected, 0, "connect \(socketPath): errno \(errno)")
        var timeout = timeval(tv_sec: Self.readTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    private func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, bytes.count)
    }

    /// Everything until the daemon closes (or the read timeout).
    private func readAll(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One response head, byte by byte (nothing after it is consumed).
    private func readHead(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while !out.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), read(fd, &byte, 1) == 1 { out.append(byte) }
        return String(decoding: out, as: UTF8.self)
    }
}
