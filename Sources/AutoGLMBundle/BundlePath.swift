import AutoGLM
/// Paths named by a manifest are relative to the bundle directory and must stay inside
/// it: no absolute path, no `..`, no hidden trick with empty or `.` components, no NUL.
/// Checked before any file system call sees the path.
enum BundlePath {
    static let manifest = "manifest.json"
    static let signature = "manifest.sig"
    /// A slot's record of what was verified at deploy time (ModelSlots).
    static let slotRecord = "slot-record.json"
    static let reservedNames: Set<String> = [manifest, signature, slotRecord, manifest + ".tmp", signature + ".tmp", slotRecord + ".tmp"]

    static func validated(_ path: String) throws(BundleError) -> String {
        func refuse(_ why: String) -> BundleError { .unsafePath(path, reason: why) }
        guard !path.isEmpty else { throw refuse("empty") }
        guard path.utf8.count <= BundleLimits.maxPathBytes else { throw refuse("longer than \(BundleLimits.maxPathBytes) bytes") }
        guard !path.hasPrefix("/") else { throw refuse("absolute; paths are relative to the bundle") }
        guard !path.utf8.contains(0), !path.contains("\\") else { throw refuse("contains NUL or a backslash") }
        guard !path.split(separator: "/").contains(".."), path != "." else { throw refuse("leads outside the bundle ('..' or '.')") }
        // Top-level names only: a slot is then one flat directory, copied and cleared
        // with plain file operations, and no subdirectory can be a symlink.
        guard !path.contains("/") else { throw refuse("has a '/'; bundle files are top-level names") }
        guard !reservedNames.contains(path) else { throw refuse("is a name the bundle format reserves") }
        return path
    }

    /// Fails unless every component of `path` under `root` is a real directory or, for
    /// the last one, a regular file: a symlink anywhere could point outside the bundle.
    static func checkNoSymlinks<FS: DurableFileSystem>(_ fs: FS, _ path: String, in root: String) throws(BundleError) {
        var current = root
        let components = path.split(separator: "/")
        for (i, component) in components.enumerated() {
            current += "/" + component
            guard let kind = try BundleIO.entryKind(fs, current) else { throw .fileMissing(path) }
            let isLast = i == components.count - 1
            guard kind == (isLast ? .regularFile : .directory) else { throw .notARegularFile(path) }
        }
    }
}
