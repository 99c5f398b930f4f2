import CAutoGLMSys
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// sd_notify(3) without libsystemd: one datagram of "KEY=VALUE" lines to the socket
/// named by NOTIFY_SOCKET (a path, or an abstract name written with a leading "@").
/// Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var isActive: Bool { socketPath != nil }

    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let path = socketPath else { return false }
        guard let (address, length) = UnixSocketFile.address(path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), addr, length)
            }
        }
        return sent == message.count
    }
}

/// Sends WATCHDOG=1 at half the interval systemd asked for (WATCHDOG_USEC). Called from
/// the engine loop, so the pings stop when the engine hangs and systemd restarts us.
public final class WatchdogPinger: Sendable {
    let notifier: SystemdNotifier
    let intervalNanoseconds: UInt64
    private let lastPing = Atomic<UInt64>(0)

    /// nil when systemd asked for no watchdog (or for another process: WATCHDOG_PID).
    public init?(notifier: SystemdNotifier, environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard notifier.isActive, let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        self.notifier = notifier
        intervalNanoseconds = usec * 1000 / 2
    }

    public func pingIfDue() {
        let now = aglm_monotonic_ns()
        guard now - lastPing.load(ordering: .relaxed) >= intervalNanoseconds else { return }
        lastPing.store(now, ordering: .relaxed)
        notifier.notify("WATCHDOG=1")
    }
}
