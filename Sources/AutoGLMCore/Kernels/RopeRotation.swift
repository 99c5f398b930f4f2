/// RoPE of one row at one position: rotates pairs of the first n_rot dims of every head
/// by the position's angles. Offered in place (Q) and as a stream of rotated values, so a
/// K row can be rotated while it is written into its KV page without a second pass over
/// it. Both forms compute each output with the same two products and one add/subtract,
/// so they give the same bits.
///
///   pair (a, b) with angle θ_i:   a' = a·cos θ_i − b·sin θ_i,   b' = a·sin θ_i + b·cos θ_i
///   NORM style pairs (2i, 2i+1), NeoX style (i, i + n_rot/2); dims ≥ n_rot pass through.
struct RopeRotation {
    /// [n_rot] cos θ_i, sin θ_i interleaved for pair i (InferenceState.prepareRope).
    let table: UnsafePointer<Float>
    let rotatedDims: Int
    let headDim: Int
    let pairsAreAdjacent: Bool

    /// Rotates `heads` heads of `headDim` at `row` in place (each pair is read before
    /// either of its dims is written).
    @inline(__always)
    func apply(_ row: UnsafeMutablePointer<Float>, heads: Int) {
        for h in 0..<heads {
            let head = row + h * headDim
            forEachRotated(UnsafePointer(head)) { i, value in head[i] = value }
        }
    }

    /// Every dim of the rotated `head`, as (dim, value), pair by pair and then the dims
    /// past n_rot; the head in memory is left as it is. Same two products and one
    /// add/subtract per value as `apply`, so the same bits.
    @inline(__always)
    func forEachRotated(_ head: UnsafePointer<Float>, _ body: (Int, Float) -> Void) {
        let half = rotatedDims / 2
        for i in 0..<half {
            let c = table[2 * i]
            let s = table[2 * i + 1]
            let (ia, ib) = pairsAreAdjacent ? (2 * i, 2 * i + 1) : (i, i + half)
            let a = head[ia]
            let b = head[ib]
            body(ia, a * c - b * s)
            body(ib, a * s + b * c)
        }
        for i in rotatedDims..<headDim { body(i, head[i]) }
    }
}
