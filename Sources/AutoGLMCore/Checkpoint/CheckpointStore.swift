/// A directory of session checkpoints, one file per session (`KEY.ckpt`), written
/// crash-consistently: the bytes go to `KEY.ckpt.tmp`, which is fsynced, renamed over
/// `KEY.ckpt`, and then the directory is fsynced. After a crash at any point the
/// directory holds the previous complete file or the new complete one, never a mix —
/// provided the file system honours fsync; when it does not, the CRCs catch the damage
/// and `scan` quarantines the file.
///
/// Files that fail validation are moved to `quarantine/NAME.KIND` (never deleted: they
/// are evidence) and reported; they are never loaded. Entries that are not regular files (a
/// FIFO, a symlink, a directory named `*.ckpt`) are neither opened nor moved: they are
/// skipped and reported, so that nothing in the directory can block or redirect start-up.
public final class CheckpointStore<FS: DurableFileSystem> {
    public let fileSystem: FS
    public let directory: String
    static var fileExtension: String { ".ckpt" }
    static var temporaryExtension: String { ".ckpt.tmp" }
    static var quarantineDirectory: String { "quarantine" }

    /// What the store knows about each saved session, for the disk budget.
    public struct Entry: Equatable {
        public var key: String
        public var bytes: Int
        public var priority: UInt8
        public var savedAt: UInt64
        public var saveCounter: UInt64
    }
    public private(set) var entries: [String: Entry] = [:]

    public struct Quarantined: Equatable {
        public var file: String
        public var error: CoreError
    }

    /// A `*.ckpt` entry the last scan did not open, and what it is.
    public struct Skipped: Equatable {
        public var file: String
        public var kind: FileEntryKind
    }
    /// Filled by `scan`.
    public private(set) var skipped: [Skipped] = []
    /// Set by `init` when something other than a directory stood where `quarantine` goes:
    /// the path it was moved to.
    public private(set) var movedAside: String?
    /// Fresh names tried for a blocker of the quarantine directory before giving up.
    static var maxAsideNames: Int { 1000 }

    public init(fileSystem: FS, directory: String) throws(CoreError) {
        self.fileSystem = fileSystem
        self.directory = directory
        try fileSystem.makeDirectory(directory)
        let quarantine = directory + "/" + Self.quarantineDirectory
        // A file, FIFO or symlink named `quarantine` would make every later quarantine fail
        // (or, a symlink, send the files elsewhere): it is kept, under a fresh name.
        if let kind = try? fileSystem.entryKind(quarantine), kind != .directory {
            let aside = try freshName(quarantine + ".blocker")
            try fileSystem.rename(quarantine, aside)
            try fileSystem.syncDirectory(directory)
            movedAside = aside
        }
        try fileSystem.makeDirectory(quarantine)
    }

    /// `base`, or `base.N` for the first N that names nothing.
    private func freshName(_ base: String) throws(CoreError) -> String {
        for n in 0..<Self.maxAsideNames {
            let candidate = n == 0 ? base : base + "." + String(n)
            if (try? fileSystem.entryKind(candidate)) == nil { return candidate }
        }
        throw .io(.createFailed(path: base, errno: 17))  // EEXIST: every name is taken
    }

    public var totalBytes: Int { entries.values.reduce(0) { $0 + $1.bytes } }

    public func path(forKey key: String) -> String { directory + "/" + key + Self.fileExtension }

    /// Keys become file names, so they are restricted to letters, digits, '-', '_', '.'.
    public static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard !bytes.isEmpty, bytes.count <= CheckpointFormat.maxSessionKeyBytes, bytes[0] != 0x2E else { return false }
        return bytes.allSatisfy(CheckpointDecoder.isKeyByte)
    }

    /// Writes `head + pages` as the checkpoint of `checkpoint.sessionKey`, durably.
    public func save(_ checkpoint: SessionCheckpoint, head: [UInt8], pages: [UInt8]) throws(CoreError) {
        let key = checkpoint.sessionKey
        guard Self.isValidKey(key) else {
            throw .invalidArgument(name: "session key", value: key, reason: "letters, digits, '-', '_', '.' only, not starting with '.'")
        }
        let final = path(forKey: key)
        let temporary = directory + "/" + key + Self.temporaryExtension
        let handle = try fileSystem.create(temporary)
        do throws(CoreError) {
            try append(handle, head)
            try append(handle, pages)
            try fileSystem.sync(handle)
        } catch {
            fileSystem.close(handle)
            try? fileSystem.remove(temporary)
            throw error
        }
        fileSystem.close(handle)
        try fileSystem.rename(temporary, final)
        try fileSystem.syncDirectory(directory)
        entries[key] = Entry(key: key, bytes: head.count + pages.count, priority: checkpoint.priority,
                             savedAt: checkpoint.savedAt, saveCounter: checkpoint.saveCounter)
    }

    private func append(_ handle: FS.Handle, _ bytes: [UInt8]) throws(CoreError) {
        var failure: CoreError? = nil
        bytes.withUnsafeBytes { b in
            do throws(CoreError) { try fileSystem.append(handle, b) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Deletes a session's checkpoint (the session ended or was evicted).
    public func remove(key: String) throws(CoreError) {
        guard entries[key] != nil else { return }
        try fileSystem.remove(path(forKey: key))
        entries[key] = nil
        try fileSystem.syncDirectory(directory)
    }

    /// Evicts checkpoints until the total fits `budgetBytes`: lowest priority first, and
    /// among equal priorities the oldest save. Keys in `keep` (sessions in use) are never
    /// evicted. Returns the evicted keys.
    public func enforceBudget(_ budgetBytes: Int, keep: Set<String> = []) throws(CoreError) -> [String] {
        var total = totalBytes
        guard total > budgetBytes else { return [] }
        let victims = entries.values.filter { !keep.contains($0.key) }.sorted { a, b in
            a.priority != b.priority ? a.priority < b.priority
                : a.savedAt != b.savedAt ? a.savedAt < b.savedAt : a.key < b.key
        }
        var evicted: [String] = []
        for v in victims where total > budgetBytes {
            try remove(key: v.key)
            total -= v.bytes
            evicted.append(v.key)
        }
        return evicted
    }

    /// A file of the store, read on demand.
    public func source(forKey key: String) throws(CoreError) -> FileCheckpointSource<FS> {
        let p = path(forKey: key)
        return FileCheckpointSource(fileSystem: fileSystem, path: p, size: try fileSystem.size(p))
    }

    /// Start-up: validates every checkpoint's header and metadata against the running
    /// identity (the page bytes stay on disk until used), indexes the good ones, and
    /// quarantines the rest. Leftover temporary files are the remains of interrupted
    /// saves and are removed.
    public func scan(expecting identity: CheckpointIdentity) throws(CoreError)
        -> (valid: [DecodedCheckpoint], quarantined: [Quarantined]) {
        entries = [:]
        skipped = []
        var valid: [DecodedCheckpoint] = []
        var quarantined: [Quarantined] = []
        for name in try fileSystem.list(directory).sorted() {
            if name.hasSuffix(Self.temporaryExtension) {
                try? fileSystem.remove(directory + "/" + name)
                continue
            }
            guard name.hasSuffix(Self.fileExtension) else { continue }
            // Gone since the listing: nothing to load.
            guard let kind = try? fileSystem.entryKind(directory + "/" + name) else { continue }
            guard kind == .regularFile else {
                skipped.append(Skipped(file: name, kind: kind))
                continue
            }
            let key = String(name.dropLast(Self.fileExtension.utf8.count))
            do throws(CoreError) {
                let source = try self.source(forKey: key)
                let decoded = try CheckpointDecoder.decode(source, expecting: identity)
                guard Array(decoded.checkpoint.sessionKey.utf8) == Array(key.utf8) else {
                    throw .checkpoint(.mismatch(what: "session key", checkpoint: decoded.checkpoint.sessionKey, running: key))
                }
                valid.append(decoded)
                let c = decoded.checkpoint
                entries[key] = Entry(key: key, bytes: source.size, priority: c.priority, savedAt: c.savedAt, saveCounter: c.saveCounter)
            } catch {
                try quarantine(name: name, error: error)
                quarantined.append(Quarantined(file: name, error: error))
            }
        }
        if !quarantined.isEmpty { try fileSystem.syncDirectory(directory) }
        return (valid, quarantined)
    }

    /// Moves a session's file aside after its pages failed to restore (lazy restore found
    /// damage the scan could not see).
    public func quarantine(key: String, error: CoreError) throws(CoreError) {
        try quarantine(name: key + Self.fileExtension, error: error)
        entries[key] = nil
        try fileSystem.syncDirectory(directory)
    }

    private func quarantine(name: String, error: CoreError) throws(CoreError) {
        var kind = "unreadable"
        if case .checkpoint(let e) = error { kind = e.kind }
        try fileSystem.rename(directory + "/" + name, directory + "/" + Self.quarantineDirectory + "/" + name + "." + kind)
    }
}

public struct FileCheckpointSource<FS: DurableFileSystem>: CheckpointSource {
    public let fileSystem: FS
    public let path: String
    public let size: Int

    public func read(offset: Int, count: Int) throws(CoreError) -> [UInt8] {
        try fileSystem.read(path, offset: offset, count: count)
    }
}
