import AutoGLM
/// File operations for bundles over a `DurableFileSystem` (the real one, or a test's
/// power-losing one), with Core's I/O errors turned into `BundleError`s.
enum BundleIO {
    static func call<T>(_ path: String, _ body: () throws(CoreError) -> T) throws(BundleError) -> T {
        do throws(CoreError) {
            return try body()
        } catch {
            if case .checkpoint(.truncated) = error { throw .io(path: path, reason: "file shorter than its size (changed while read)") }
            throw .io(path: path, reason: error.message)
        }
    }

    /// A small file read whole, after checking it is a regular file (not a symlink, FIFO
    /// or directory) no larger than `limit`. nil when it does not exist.
    static func readSmallFile<FS: DurableFileSystem>(_ fs: FS, _ path: String, limit: Int,
                                                     tooLarge: (Int) -> BundleError) throws(BundleError) -> [UInt8]? {
        guard let kind = try entryKind(fs, path) else { return nil }
        guard kind == .regularFile else { throw .notARegularFile(path) }
        let size = try call(path) { () throws(CoreError) in try fs.size(path) }
        guard size <= limit else { throw tooLarge(size) }
        return try call(path) { () throws(CoreError) in try fs.read(path, offset: 0, count: size) }
    }

    /// lstat's answer, nil for a missing entry.
    static func entryKind<FS: DurableFileSystem>(_ fs: FS, _ path: String) throws(BundleError) -> FileEntryKind? {
        do throws(CoreError) {
            return try fs.entryKind(path)
        } catch {
            if case .io(.statFailed(_, let e)) = error, e == 2 { return nil }  // ENOENT
            throw .io(path: path, reason: error.message)
        }
    }

    /// `Array.withUnsafeBytes` does not carry a typed error through its closure.
    static func append<FS: DurableFileSystem>(_ fs: FS, _ h: FS.Handle, _ bytes: [UInt8]) throws(CoreError) {
        var failure: CoreError?
        bytes.withUnsafeBytes { raw in
            do throws(CoreError) { try fs.append(h, raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes `bytes` to `path` so that a crash leaves the old file or the new one:
    /// temporary file, fsync, rename, directory fsync.
    static func writeDurably<FS: DurableFileSystem>(_ fs: FS, _ bytes: [UInt8], to path: String, directory: String) throws(BundleError) {
        let temporary = path + ".tmp"
        try call(path) { () throws(CoreError) in
            let h = try fs.create(temporary)
            do throws(CoreError) {
                try append(fs, h, bytes)
                try fs.sync(h)
            } catch {
                fs.close(h)
                throw error
            }
            fs.close(h)
            try fs.rename(temporary, path)
            try fs.syncDirectory(directory)
        }
    }
}
