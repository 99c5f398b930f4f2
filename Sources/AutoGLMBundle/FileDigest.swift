import AutoGLM
import Crypto

/// SHA-256 of a file, read in fixed chunks (a 4 GB model needs no 4 GB buffer) through
/// the file system abstraction, so power-loss tests can run verification too.
enum FileDigest {
    static func sha256<FS: DurableFileSystem>(_ fs: FS, path: String, size: Int,
                                              progress: ((Int, Int) -> Void)? = nil) throws(BundleError) -> String {
        var hasher = SHA256()
        var done = 0
        while done < size {
            let n = min(BundleLimits.hashChunkBytes, size - done)
            let chunk = try BundleIO.call(path) { () throws(CoreError) in try fs.read(path, offset: done, count: n) }
            hasher.update(data: chunk)
            done += n
            progress?(done, size)
        }
        return hex(hasher.finalize())
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
