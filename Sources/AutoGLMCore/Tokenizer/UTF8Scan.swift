/// UTF-8 helpers shared by the encoders and the detokenizers. Hand-written so Core does not depend
/// on String's Unicode machinery (which Embedded Swift may not link).
enum UTF8Scan {
    static let replacementCharacter: (UInt8, UInt8, UInt8) = (0xEF, 0xBF, 0xBD)  // U+FFFD

    /// Length of the sequence a lead byte of *valid* UTF-8 starts (Swift strings are always valid).
    @inline(__always)
    static func sequenceLength(lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// Decodes the scalar of valid UTF-8 starting at `p[i]` (the caller has checked `len` bytes exist).
    @inline(__always)
    static func scalar(_ p: UnsafeBufferPointer<UInt8>, at i: Int, length len: Int) -> UInt32 {
        let b0 = UInt32(p[i])
        switch len {
        case 1: return b0
        case 2: return (b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F)
        case 3: return (b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F)
        default:
            return (b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                | UInt32(p[i + 3] & 0x3F)
        }
    }

    /// Appends the UTF-8 encoding of a scalar.
    static func append(_ scalar: UInt32, to out: inout [UInt8]) {
        if scalar < 0x80 {
            out.append(UInt8(scalar))
        } else if scalar < 0x800 {
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        } else if scalar < 0x10000 {
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        } else {
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// Incremental UTF-8 validation that replaces each maximal subpart of an ill-formed sequence with one
/// U+FFFD (Unicode 3.9, "U+FFFD substitution of maximal subparts"; also what String(decoding:as:)
/// does). Because the state carries over between calls, a byte stream cut anywhere repairs to the
/// same text as the whole stream: `decode` and `StreamingDetokenizer` both use it for that reason.
/// At most three bytes are ever held back, in a fixed-size field (no allocation).
struct UTF8Repair {
    /// Bytes of the incomplete sequence, first byte in the low 8 bits.
    private var pending: UInt32 = 0
    private var pendingCount = 0
    private var needed = 0

    var hasPending: Bool { pendingCount > 0 }

    /// Worst-case output bytes for `count` more input bytes (each byte can turn into one U+FFFD,
    /// plus one U+FFFD for a held-back prefix).
    static func maxOutput(forInput count: Int) -> Int { 3 * (count + 1) }

    /// Feeds one byte; writes whatever became complete (valid bytes or U+FFFD) at `out[n...]`.
    @inline(__always)
    mutating func feed(_ b: UInt8, _ out: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        if pendingCount > 0 {
            let lo: UInt8, hi: UInt8
            if pendingCount == 1 {
                (lo, hi) = UTF8Repair.secondByteRange(lead: UInt8(truncatingIfNeeded: pending))
            } else {
                (lo, hi) = (0x80, 0xBF)
            }
            if b >= lo && b <= hi {
                pending |= UInt32(b) << (8 * UInt32(pendingCount))
                pendingCount += 1
                if pendingCount == needed {
                    for k in 0..<pendingCount {
                        out[n] = UInt8(truncatingIfNeeded: pending >> (8 * UInt32(k)))
                        n += 1
                    }
                    pendingCount = 0
                    pending = 0
                }
                return
            }
            // The held bytes are a maximal subpart that cannot complete: one U+FFFD for all of them,
            // then `b` starts afresh.
            UTF8Repair.writeReplacement(out, &n)
            pendingCount = 0
            pending = 0
        }
        if b < 0x80 {
            out[n] = b
            n += 1
            return
        }
        let len = UTF8Repair.leadLength(b)
        if len == 0 {
            UTF8Repair.writeReplacement(out, &n)
            return
        }
        pending = UInt32(b)
        pendingCount = 1
        needed = len
    }

    /// End of input: an incomplete sequence becomes one U+FFFD.
    mutating func finish(_ out: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        if pendingCount > 0 {
            UTF8Repair.writeReplacement(out, &n)
            pendingCount = 0
            pending = 0
        }
    }

    @inline(__always)
    static func writeReplacement(_ out: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        out[n] = UTF8Scan.replacementCharacter.0
        out[n + 1] = UTF8Scan.replacementCharacter.1
        out[n + 2] = UTF8Scan.replacementCharacter.2
        n += 3
    }

    /// Sequence length a lead byte promises, 0 for bytes that can never start a sequence
    /// (continuation bytes, overlong leads C0/C1, and F5...FF beyond U+10FFFF).
    @inline(__always)
    static func leadLength(_ b: UInt8) -> Int {
        switch b {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 0
        }
    }

    /// Allowed second bytes (Unicode Table 3-7): these ranges exclude overlongs and surrogates.
    @inline(__always)
    static func secondByteRange(lead: UInt8) -> (UInt8, UInt8) {
        switch lead {
        case 0xE0: return (0xA0, 0xBF)
        case 0xED: return (0x80, 0x9F)
        case 0xF0: return (0x90, 0xBF)
        case 0xF4: return (0x80, 0x8F)
        default: return (0x80, 0xBF)
        }
    }
}
