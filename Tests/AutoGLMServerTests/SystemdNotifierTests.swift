@testable import AutoGLMServer
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class SystemdNotifierTests: XCTestCase {
    /// A datagram socket standing in for systemd's notify socket.
    func withNotifySocket(_ body: (String, () -> String?) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        guard let (address, length) = UnixSocketFile.address(path) else { return XCTFail("path too long") }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        let bound = withUnsafePointer(to: address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        XCTAssertEqual(bound, 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try body(path) {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
        }
    }

    func testSendsStatesToNotifySocket() throws {
        try withNotifySocket { path, receive in
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
            XCTAssertTrue(notifier.notify("READY=1"))
            XCTAssertEqual(receive(), "READY=1")
            let watchdog = try XCTUnwrap(WatchdogPinger(notifier: notifier, environment: ["WATCHDOG_USEC": "1000000"]))
            watchdog.pingIfDue()
            watchdog.pingIfDue()  // within the interval: no second ping
            XCTAssertTrue(notifier.notify("STOPPING=1"))
            XCTAssertEqual(receive(), "WATCHDOG=1")
            XCTAssertEqual(receive(), "STOPPING=1")
        }
    }

    func testSilentWithoutSystemd() {
        let notifier = SystemdNotifier(environment: [:])
        XCTAssertFalse(notifier.notify("READY=1"))
        XCTAssertNil(WatchdogPinger(notifier: notifier, environment: ["WATCHDOG_USEC": "1000"]))
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x"])
        XCTAssertNil(WatchdogPinger(notifier: other, environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"]))
    }
}
