/// The code point classes the pre-tokenizer regexes distinguish. A code point is in at most one of
/// \p{L}, \p{N} and \s, so one small enum covers every `[^\s\p{L}\p{N}]`-style test.
enum ScalarClass: UInt8 {
    case other = 0
    case letter = 1
    case number = 2
    case whitespace = 3

    init(_ scalar: UInt32) {
        if scalar < 0x100 {
            self = ScalarClass(rawValue: UnicodeTables.latin1[Int(scalar)]) ?? .other
        } else if ScalarClass.inRanges(UnicodeTables.letters, scalar) {
            self = .letter
        } else if ScalarClass.inRanges(UnicodeTables.numbers, scalar) {
            self = .number
        } else if ScalarClass.inRanges(UnicodeTables.whitespace, scalar) {
            self = .whitespace
        } else {
            self = .other
        }
    }

    /// Binary search over flattened inclusive ranges [first0, last0, first1, last1, ...].
    static func inRanges(_ ranges: [UInt32], _ scalar: UInt32) -> Bool {
        var lo = 0
        var hi = ranges.count / 2  // number of ranges
        while lo < hi {
            let mid = (lo + hi) / 2
            if scalar < ranges[2 * mid] {
                hi = mid
            } else if scalar > ranges[2 * mid + 1] {
                lo = mid + 1
            } else {
                return true
            }
        }
        return false
    }
}
