import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who may talk to the daemon: on the Unix socket the kernel tells the peer's uid and
/// gid (SO_PEERCRED), checked against the allowed lists; the loopback TCP listener is a
/// development opt-in and its peers count as the daemon's own user.
struct PeerAccess: Sendable {
    let allowedUids: Set<UInt32>
    let allowedGids: Set<UInt32>

    /// Empty lists mean the daemon's own uid only.
    init(allowedUids: [UInt32], allowedGids: [UInt32]) {
        if allowedUids.isEmpty && allowedGids.isEmpty {
            self.allowedUids = [getuid()]
        } else {
            self.allowedUids = Set(allowedUids)
        }
        self.allowedGids = Set(allowedGids)
    }

    func allows(_ peer: PeerIdentity) -> Bool {
        allowedUids.contains(peer.uid) || allowedGids.contains(peer.gid)
    }

    /// `struct ucred` of <sys/socket.h>: what getsockopt(SO_PEERCRED) fills in.
    struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The peer of a connection; nil when the kernel does not say (then nothing is allowed).
    func identify(_ channel: Channel) -> PeerIdentity? {
        guard case .unixDomainSocket = channel.localAddress else {
            return PeerIdentity(pid: 0, uid: getuid(), gid: getgid())
        }
        guard let provider = channel as? SocketOptionProvider else { return nil }
        // On the event loop the option is read at once, so the future is already done.
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        let box = IdentityBox()
        future.whenSuccess { box.identity = PeerIdentity(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
        return box.identity
    }

    // @unchecked: written and read on the event loop, within identify(_:).
    private final class IdentityBox: @unchecked Sendable {
        var identity: PeerIdentity?
    }
}
