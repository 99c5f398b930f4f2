import CAutoGLMKernels
import CAutoGLMSys

/// The interleaved layout of the x86 kernels (CAutoGLMKernels: AVX-512 VNNI, AVX2) for Q8_0 and
/// per-channel INT8 matrices: rows in groups of 16, and per 32-column block the 16 rows'
/// values four columns at a time, offset by +128 (Q8_0 blocks start with the 16 rows' f16
/// scales). Same byte count as the file's layout, so a repacked copy costs exactly the
/// matrix's size; the file's pages are given back after. Only full groups are repacked:
/// the last rows % 16 rows stay in the file layout. INT8 row scales and zero points stay
/// where they are.
public enum InterleavedWeights {
    public static let groupRows = Int(AGLM_Q8_GROUP_ROWS)

    /// Bytes of `w`'s repacked groups (0 when it has none or its type has no such kernel).
    public static func packedBytes(_ w: WeightMatrix) -> Int {
        w.type == .q8_0 || w.type == .int8 ? (w.rows / groupRows) * groupRows * w.rowBytes : 0
    }

    /// A 64-byte aligned repacked copy of `w`'s full groups, owned by the caller (free with
    /// aglm_free), or nil when there is nothing to repack.
    public static func pack(_ w: WeightMatrix) throws(CoreError) -> UnsafeMutableRawPointer? {
        let bytes = packedBytes(w)
        guard bytes > 0 else { return nil }
        guard let buffer = aglm_aligned_alloc(64, bytes) else { throw .memory(.allocationFailed(bytes: bytes)) }
        let groupBytes = groupRows * w.rowBytes
        for g in 0..<(w.rows / groupRows) {
            if w.type == .q8_0 {
                aglm_q8_repack_group(w.data + g * groupBytes, buffer + g * groupBytes, Int64(w.cols))
            } else {
                aglm_i8_repack_group((w.data + g * groupBytes).assumingMemoryBound(to: Int8.self), buffer + g * groupBytes,
                                     Int64(w.cols))
            }
        }
        return buffer
    }
}
