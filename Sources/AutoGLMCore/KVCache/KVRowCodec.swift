/// Writing one token's K or V row of one layer into a page, in the pool's element type.
/// INT8 rows are quantized per head: scale = max|x| / 127 over the head's dims, q =
/// round(x / scale) — one rounding per element, so the stored value is within scale/2
/// (1/254 of the head row's largest magnitude) of the original.
enum KVRowCodec {
    static let int8Max: Float = 127

    @inline(__always)
    static func store(_ row: UnsafePointer<Float>, page: UnsafeMutableRawPointer, layout: KVPageLayout,
                      layer: Int, value: Bool, slot: Int) {
        store(KVPlainRow(row: row, headDim: layout.headDim), page: page, layout: layout, layer: layer, value: value, slot: slot)
    }

    /// The same for a row whose elements are computed as they are written (a K row
    /// rotated by RoPE on its way into the page). The row hands each head's elements over
    /// in its own order (a rotation: pair by pair); every stored element depends only on
    /// its own value, and a head's INT8 scale on the largest magnitude, which is the same
    /// whatever the order for the finite values a row holds (a NaN traps the INT8 rounding
    /// either way) — so both forms store the same bytes for the same values.
    @inline(__always)
    static func store<Row: KVRowSource>(_ row: Row, page: UnsafeMutableRawPointer, layout: KVPageLayout,
                                        layer: Int, value: Bool, slot: Int) {
        let index = layout.rowIndex(layer: layer, value: value, slot: slot)
        let dst = page + index * layout.rowBytes
        let headDim = layout.headDim
        switch layout.type {
        case .f32:
            let f = dst.assumingMemoryBound(to: Float.self)
            for head in 0..<layout.kvHeadCount {
                let out = f + head * headDim
                row.forEachElement(head: head) { i, x in out[i] = x }
            }
        case .f16:
            let h = dst.assumingMemoryBound(to: UInt16.self)
            for head in 0..<layout.kvHeadCount {
                let out = h + head * headDim
                row.forEachElement(head: head) { i, x in out[i] = HalfFloat.fromFloat(x) }
            }
        case .int8:
            let q = dst.assumingMemoryBound(to: Int8.self)
            let scales = (page + layout.scalesOffset).assumingMemoryBound(to: Float.self) + index * layout.kvHeadCount
            for head in 0..<layout.kvHeadCount {
                // Two passes over the head (its scale needs its largest magnitude first);
                // a rotated row recomputes its elements rather than storing them.
                var absMax: Float = 0
                row.forEachElement(head: head) { _, x in absMax = max(absMax, abs(x)) }
                let scale = absMax / int8Max
                scales[head] = scale
                let out = q + head * headDim
                row.forEachElement(head: head) { i, x in out[i] = scale == 0 ? 0 : Int8((x / scale).rounded()) }
            }
        }
    }

    /// Scale of head `head` in row `index` of an INT8 page.
    @inline(__always)
    static func int8Scale(page: UnsafeRawPointer, layout: KVPageLayout, rowIndex index: Int, head: Int) -> Float {
        page.load(fromByteOffset: layout.scalesOffset + (index * layout.kvHeadCount + head) * 4, as: Float.self)
    }

    /// Σ q[i]·k[i] over one INT8 head row, times its scale. A plain loop in a fixed order,
    /// the same on every backend.
    @inline(__always)
    static func int8Dot(_ k: UnsafePointer<Int8>, _ q: UnsafePointer<Float>, count: Int, scale: Float) -> Float {
        var sum: Float = 0
        for i in 0..<count { sum += q[i] * Float(k[i]) }
        return sum * scale
    }
}

/// Where KVRowCodec.store gets a row's elements from: each element (dim, value) of one
/// head, once, in the source's order.
protocol KVRowSource {
    func forEachElement(head: Int, _ body: (Int, Float) -> Void)
}

/// A row already in memory: [kvHeads × headDim] floats.
struct KVPlainRow: KVRowSource {
    let row: UnsafePointer<Float>
    let headDim: Int

    @inline(__always)
    func forEachElement(head: Int, _ body: (Int, Float) -> Void) {
        let x = row + head * headDim
        for i in 0..<headDim { body(i, x[i]) }
    }
}

/// A K row as RoPE rotates it; the row in memory stays unrotated.
struct KVRotatedRow: KVRowSource {
    let row: UnsafePointer<Float>
    let rope: RopeRotation

    @inline(__always)
    func forEachElement(head: Int, _ body: (Int, Float) -> Void) {
        rope.forEachRotated(row + head * rope.headDim, body)
    }
}
