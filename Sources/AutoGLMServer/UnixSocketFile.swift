import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The socket file's life: a stale file left by a crash is removed, a live daemon's is
/// not; after binding, the file gets its mode and group.
enum UnixSocketFile {
    /// `sockaddr_un` for a path, or an abstract name written "@name"; nil when too long.
    static func address(_ path: String) -> (sockaddr_un, socklen_t)? {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        var address = sockaddr_un()
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        return (address, socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)))
    }

    /// Readies `path` for bind: creates its directory, and removes a socket file nobody
    /// listens on (a crash's leftover). A live socket or a non-socket file is an error.
    static func prepare(_ path: String) throws {
        guard address(path) != nil else {
            throw ConfigError(message: "socket path \(path) is too long for a Unix socket (\(MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1) bytes max)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            // A directory we create is private: the socket's own mode opens what it should.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ConfigError(message: "\(path) exists and is not a socket; refusing to replace it")
        }
        if isListening(path) {
            throw ConfigError(message: "another daemon is already listening on \(path)")
        }
        guard unlink(path) == 0 else {
            throw ConfigError(message: "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a connect to `path` succeeds (someone is serving it).
    static func isListening(_ path: String) -> Bool {
        guard let (address, length) = address(path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) == 0 }
        }
    }

    /// Applies the configured mode and group to the bound socket file.
    static func setPermissions(_ path: String, mode: UInt16, group: String?) throws {
        if let group {
            let gid: gid_t
            if let number = gid_t(group) {
                gid = number
            } else if let entry = getgrnam(group) {
                gid = entry.pointee.gr_gid
            } else {
                throw ConfigError(message: "socket group \"\(group)\" does not exist")
            }
            guard chown(path, uid_t.max, gid) == 0 else {  // uid_t.max = (uid_t)-1: keep the owner
                throw ConfigError(message: "cannot give \(path) to group \(group): \(String(cString: strerror(errno)))")
            }
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw ConfigError(message: "cannot chmod \(path) to \(String(mode, radix: 8)): \(String(cString: strerror(errno)))")
        }
    }
}
