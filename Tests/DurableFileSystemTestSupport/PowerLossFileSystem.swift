import AutoGLMCore

/// An in-memory file system that can lose power. It keeps, per file, the durable bytes
/// (what fsync made safe) and the writes since, in 512-byte sectors; and for the
/// directory, the durable entries and the renames/creations/removals since the last
/// directory fsync. `powerLoss` keeps what was durable plus a random subset of everything
/// that was not — sectors torn apart, directory operations dropped or applied out of
/// order — which is what a disk with a volatile cache may leave behind.
///
/// `honoursFsync = false` models a device that acknowledges fsync without flushing:
/// nothing ever becomes durable, so after a power loss anything may be missing.
public final class PowerLossFileSystem: DurableFileSystem {
    public init() {}

    public struct PowerLost: Error {}
    public static let sectorBytes = 512

    struct Inode {
        var durable: [UInt8] = []
        var current: [UInt8] = []
        /// Sector writes since the last fsync: (offset, bytes).
        var pending: [(Int, [UInt8])] = []
    }
    enum DirectoryOperation {
        case link(String, Int)
        case unlink(String)
        case rename(String, String)
    }

    public var honoursFsync = true
    /// A full (ENOSPC, 28) or read-only (EROFS, 30) disk: while set, creating and writing
    /// files fail with this errno and change nothing.
    public var failingErrno: Int32? = nil
    /// Entries that are not regular files (planted FIFOs, symlinks), by path.
    private var specialKinds: [String: FileEntryKind] = [:]
    /// Mutating operations left before the power goes (nil: never).
    public var operationsBeforeCrash: Int? = nil
    public private(set) var crashed = false
    public private(set) var operations = 0

    private var inodes: [Int: Inode] = [:]
    private var nextInode = 1
    private var directory: [String: Int] = [:]
    private var durableDirectory: [String: Int] = [:]
    private var pendingDirectory: [DirectoryOperation] = []
    private var directories: Set<String> = []

    /// Counts a mutating operation; the one that reaches the limit does not happen.
    private func tick(_ what: String) throws(CoreError) {
        if crashed { throw .io(.writeFailed(path: "power lost before " + what, errno: 5)) }
        if let left = operationsBeforeCrash, left <= 0 {
            crashed = true
            throw .io(.writeFailed(path: "power lost at " + what, errno: 5))
        }
        operationsBeforeCrash = operationsBeforeCrash.map { $0 - 1 }
        operations += 1
    }

    public func create(_ path: String) throws(CoreError) -> Int {
        if let e = failingErrno { throw .io(.createFailed(path: path, errno: e)) }
        try tick("create " + path)
        let id = nextInode
        nextInode += 1
        inodes[id] = Inode()
        directory[path] = id
        pendingDirectory.append(.link(path, id))
        return id
    }

    public func append(_ handle: Int, _ bytes: UnsafeRawBufferPointer) throws(CoreError) {
        // One tick per sector: power can go in the middle of a long write.
        if let e = failingErrno { throw .io(.writeFailed(path: "inode \(handle)", errno: e)) }
        var start = 0
        while start < bytes.count {
            try tick("write")
            let end = min(bytes.count, start + Self.sectorBytes)
            let offset = inodes[handle]!.current.count
            let chunk = Array(bytes[start..<end])
            inodes[handle]!.current += chunk
            inodes[handle]!.pending.append((offset, chunk))
            start = end
        }
    }

    public func sync(_ handle: Int) throws(CoreError) {
        try tick("fsync")
        guard honoursFsync else { return }
        inodes[handle]!.durable = inodes[handle]!.current
        inodes[handle]!.pending = []
    }

    public func close(_ handle: Int) {}

    public func rename(_ from: String, _ to: String) throws(CoreError) {
        try tick("rename")
        guard let id = directory[from] else { throw .io(.renameFailed(from: from, to: to, errno: 2)) }
        directory[from] = nil
        directory[to] = id
        pendingDirectory.append(.rename(from, to))
    }

    public func syncDirectory(_ path: String) throws(CoreError) {
        try tick("fsync directory")
        guard honoursFsync else { return }
        durableDirectory = directory
        pendingDirectory = []
    }

    public func remove(_ path: String) throws(CoreError) {
        try tick("unlink")
        guard directory[path] != nil else { throw .io(.removeFailed(path: path, errno: 2)) }
        directory[path] = nil
        pendingDirectory.append(.unlink(path))
    }

    public func makeDirectory(_ path: String) throws(CoreError) { directories.insert(path) }

    public func entryKind(_ path: String) throws(CoreError) -> FileEntryKind {
        if directories.contains(path) { return .directory }
        guard directory[path] != nil else { throw .io(.statFailed(path: path, errno: 2)) }
        return specialKinds[path] ?? .regularFile
    }

    /// Puts a FIFO, symlink or directory entry at `path` (reading it would be a test failure).
    public func plant(_ path: String, kind: FileEntryKind) {
        let id = nextInode
        nextInode += 1
        inodes[id] = Inode()
        directory[path] = id
        durableDirectory[path] = id
        specialKinds[path] = kind
    }

    /// Puts a regular file with `bytes` at `path`, durably.
    public func plantFile(_ path: String, _ bytes: [UInt8]) {
        let id = nextInode
        nextInode += 1
        inodes[id] = Inode(durable: bytes, current: bytes, pending: [])
        directory[path] = id
        durableDirectory[path] = id
    }

    public func list(_ path: String) throws(CoreError) -> [String] {
        let prefix = path + "/"
        return directory.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }
    }

    public func size(_ path: String) throws(CoreError) -> Int {
        guard let id = directory[path] else { throw .io(.openFailed(path: path, errno: 2)) }
        return inodes[id]!.current.count
    }

    public func read(_ path: String, offset: Int, count: Int) throws(CoreError) -> [UInt8] {
        guard let id = directory[path] else { throw .io(.openFailed(path: path, errno: 2)) }
        let data = inodes[id]!.current
        guard offset >= 0, count >= 0, offset + count <= data.count else {
            throw .checkpoint(.truncated(what: path, needed: count, available: max(0, data.count - offset)))
        }
        return Array(data[offset..<(offset + count)])
    }

    /// An independent file system in the same state (to crash the same moment many ways).
    public func copy() -> PowerLossFileSystem {
        let c = PowerLossFileSystem()
        c.honoursFsync = honoursFsync
        c.inodes = inodes
        c.nextInode = nextInode
        c.directory = directory
        c.durableDirectory = durableDirectory
        c.pendingDirectory = pendingDirectory
        c.directories = directories
        c.specialKinds = specialKinds
        c.failingErrno = failingErrno
        return c
    }

    /// The bytes a path holds now (tests compare whole files).
    public func contents(_ path: String) -> [UInt8]? { directory[path].map { inodes[$0]!.current } }

    /// The machine comes back: durable state plus a random subset of the rest
    /// (`lucky`: all of the rest, in order — the cache happened to be flushed).
    public func powerLoss(_ rng: inout SamplerRNG, lucky: Bool = false) {
        var ops = pendingDirectory
        if !honoursFsync && !lucky { ops.shuffle(using: &rng) }
        var survivors = durableDirectory
        for op in ops where lucky || rng.next() & 1 == 0 {
            switch op {
            case .link(let name, let id): survivors[name] = id
            case .unlink(let name): survivors[name] = nil
            case .rename(let from, let to):
                if let id = survivors[from] { survivors[from] = nil; survivors[to] = id }
            }
        }
        for (id, var inode) in inodes {
            var data = inode.durable
            let pending = lucky ? inode.pending : inode.pending.shuffled(using: &rng)
            for (offset, chunk) in pending where lucky || rng.next() % 3 != 0 {
                // A sector lands whole, torn (a prefix), or not at all.
                let kept = !lucky && rng.next() % 4 == 0 ? Int(rng.next() % UInt64(chunk.count)) : chunk.count
                if data.count < offset + kept { data += [UInt8](repeating: 0, count: offset + kept - data.count) }
                for i in 0..<kept { data[offset + i] = chunk[i] }
            }
            inode = Inode(durable: data, current: data, pending: [])
            inodes[id] = inode
        }
        directory = survivors
        durableDirectory = survivors
        pendingDirectory = []
        crashed = false
        operationsBeforeCrash = nil
    }
}

extension SamplerRNG: RandomNumberGenerator {}
