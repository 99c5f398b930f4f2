import CAutoGLMSys

/// A read-only view of a whole file, mapped with mmap so tensor data is never copied,
/// or (for tests and small inputs) an owned heap copy of some bytes.
public final class MappedFile {
    public let path: String
    public let base: UnsafeRawPointer
    public let count: Int
    private let isMapped: Bool

    public init(path: String) throws(CoreError) {
        self.path = path
        let fd = aglm_open_readonly(path)
        guard fd >= 0 else { throw .io(.openFailed(path: path, errno: -fd)) }
        defer { _ = aglm_close(fd) }
        let size = aglm_file_size(fd)
        guard size >= 0 else { throw .io(.statFailed(path: path, errno: Int32(-size))) }
        if size == 0 {
            // mmap refuses zero bytes; an empty file is still a (bad) input to report on.
            let p = aglm_aligned_alloc(64, 64)!
            base = UnsafeRawPointer(p)
            count = 0
            isMapped = false
            return
        }
        guard let p = aglm_mmap_readonly(fd, Int(size)) else {
            throw .io(.mapFailed(path: path, errno: aglm_errno(), bytes: Int(size)))
        }
        base = p
        count = Int(size)
        isMapped = true
    }

    /// Copies `bytes` into an owned, 64-byte aligned buffer.
    public init(copying bytes: UnsafeRawBufferPointer, name: String = "<memory>") {
        path = name
        let p = aglm_aligned_alloc(64, bytes.count)!
        if let src = bytes.baseAddress, bytes.count > 0 { p.copyMemory(from: src, byteCount: bytes.count) }
        base = UnsafeRawPointer(p)
        count = bytes.count
        isMapped = false
    }

    /// Gives back the resident pages that lie wholly inside [start, start + count) when this
    /// is a file mapping (a heap copy is left alone: dropping its pages would zero them).
    /// Used once weights have been repacked elsewhere, so RSS does not hold both copies;
    /// a later read of the range faults the file's bytes in again.
    public func releasePages(from start: UnsafeRawPointer, count: Int) {
        guard isMapped, count > 0 else { return }
        let page = Int(aglm_page_size())
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + count) / page * page
        guard last > first else { return }
        _ = aglm_madvise_dontneed(UnsafeRawPointer(bitPattern: first)!, last - first)
    }

    deinit {
        if isMapped { _ = aglm_munmap(base, count) } else { aglm_free(UnsafeMutableRawPointer(mutating: base)) }
    }
}
