import CAutoGLMSys

/// The few file operations a crash-consistent write needs, behind a protocol so tests can
/// put a file system that loses power in its place (Tests/…/PowerLossFileSystem). Used
/// through generics only (Embedded Swift).
public protocol DurableFileSystem: AnyObject {
    associatedtype Handle
    func create(_ path: String) throws(CoreError) -> Handle
    func append(_ handle: Handle, _ bytes: UnsafeRawBufferPointer) throws(CoreError)
    /// Data written through `handle` is durable when this returns.
    func sync(_ handle: Handle) throws(CoreError)
    func close(_ handle: Handle)
    func rename(_ from: String, _ to: String) throws(CoreError)
    /// Renames and creations in `directory` are durable when this returns.
    func syncDirectory(_ directory: String) throws(CoreError)
    func remove(_ path: String) throws(CoreError)
    func makeDirectory(_ path: String) throws(CoreError)
    /// Entry names (not paths), in no particular order.
    func list(_ directory: String) throws(CoreError) -> [String]
    func size(_ path: String) throws(CoreError) -> Int
    /// Exactly `count` bytes at `offset`, or an error if the file is shorter.
    func read(_ path: String, offset: Int, count: Int) throws(CoreError) -> [UInt8]
    /// What `path` is, without opening it or following a symlink: anything the directory
    /// holds is inspected before it is read, since opening a FIFO can block forever.
    func entryKind(_ path: String) throws(CoreError) -> FileEntryKind
}

/// What a directory entry is (lstat's answer).
public enum FileEntryKind: Equatable {
    case regularFile, directory, symbolicLink
    /// A FIFO, socket or device.
    case special
}

/// The real thing, over POSIX calls from the C shim. Checkpoints hold conversations, so
/// the files are created 0600 and directories 0700, whatever the umask; files are opened
/// without following symlinks and without blocking.

public final class PosixFileSystem: DurableFileSystem {
    public init() {}

    public func create(_ path: String) throws(CoreError) -> Int32 {
        let fd = path.withCString { aglm_create_private_file($0) }
        guard fd >= 0 else { throw .io(.createFailed(path: path, errno: -fd)) }
        return fd
    }

    public func append(_ handle: Int32, _ bytes: UnsafeRawBufferPointer) throws(CoreError) {
        let r = aglm_write_all(handle, bytes.baseAddress, bytes.count)
        guard r == 0 else { throw .io(.writeFailed(path: "fd \(handle)", errno: -r)) }
    }

    public func sync(_ handle: Int32) throws(CoreError) {
        let r = aglm_fsync(handle)
        guard r == 0 else { throw .io(.syncFailed(path: "fd \(handle)", errno: -r)) }
    }

    public func close(_ handle: Int32) { _ = aglm_close(handle) }

    public func rename(_ from: String, _ to: String) throws(CoreError) {
        let r = from.withCString { f in to.withCString { t in aglm_rename(f, t) } }
        guard r == 0 else { throw .io(.renameFailed(from: from, to: to, errno: -r)) }
    }

    public func syncDirectory(_ directory: String) throws(CoreError) {
        let fd = directory.withCString { aglm_open_readonly($0) }
        guard fd >= 0 else { throw .io(.openFailed(path: directory, errno: -fd)) }
        defer { _ = aglm_close(fd) }
        let r = aglm_fsync(fd)
        guard r == 0 else { throw .io(.syncFailed(path: directory, errno: -r)) }
    }

    public func remove(_ path: String) throws(CoreError) {
        let r = path.withCString { aglm_unlink($0) }
        guard r == 0 else { throw .io(.removeFailed(path: path, errno: -r)) }
    }

    public func makeDirectory(_ path: String) throws(CoreError) {
        let r = path.withCString { aglm_make_private_directory($0) }
        guard r == 0 else { throw .io(.createFailed(path: path, errno: -r)) }
    }

    public func list(_ directory: String) throws(CoreError) -> [String] {
        guard let dir = directory.withCString({ aglm_directory_open($0) }) else {
            throw .io(.openFailed(path: directory, errno: aglm_errno()))
        }
        defer { aglm_directory_close(dir) }
        var names: [String] = []
        while let name = aglm_directory_next(dir) { names.append(String(cString: name)) }
        return names
    }

    public func size(_ path: String) throws(CoreError) -> Int {
        let fd = path.withCString { aglm_open_private_file($0) }
        guard fd >= 0 else { throw .io(.openFailed(path: path, errno: -fd)) }
        defer { _ = aglm_close(fd) }
        let n = aglm_file_size(fd)
        guard n >= 0 else { throw .io(.statFailed(path: path, errno: Int32(-n))) }
        return Int(n)
    }

    public func read(_ path: String, offset: Int, count: Int) throws(CoreError) -> [UInt8] {
        let fd = path.withCString { aglm_open_private_file($0) }
        guard fd >= 0 else { throw .io(.openFailed(path: path, errno: -fd)) }
        defer { _ = aglm_close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        let n = out.withUnsafeMutableBytes { aglm_read_at(fd, $0.baseAddress, count, Int64(offset)) }
        guard n >= 0 else { throw .io(.readFailed(path: path, errno: Int32(-n))) }
        guard Int(n) == count else { throw .checkpoint(.truncated(what: path, needed: count, available: Int(n))) }
        return out
    }

    public func entryKind(_ path: String) throws(CoreError) -> FileEntryKind {
        switch path.withCString({ aglm_entry_kind($0) }) {
        case 1: return .regularFile
        case 2: return .directory
        case 3: return .symbolicLink
        case let r where r < 0: throw .io(.statFailed(path: path, errno: -r))
        default: return .special
        }
    }
}
