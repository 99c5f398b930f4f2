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
    /// rotated by RoPE on its way into the page): each element is asked for in the order
    /// the plain store reads them, so both give the same bytes for the same values.
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
                for i in 0..<headDim { f[head * headDim + i] = row.element(head: head, dim: i) }
            }
        case .f16:
            let h = dst.assumingMemoryBound(to: UInt16.self)
            for head in 0..<layout.kvHeadCount {
                for i in 0..<headDim { h[head * headDim + i] = HalfFloat.fromFloat(row.element(head: head, dim: i)) }
            }
        case .int8:
            let q = dst.assumingMemoryBound(to: Int8.self)
            let scales = (page + layout.scalesOffset).assumingMemoryBound(to: Float.self) + index * layout.kvHeadCount
            for head in 0..<layout.kvHeadCount {
                // Two passes over the head (its scale needs its largest magnitude first);
                // a rotated row recomputes its elements rather than storing them.
                var absMax: Float = 0
                for i in 0..<headDim { absMax = max(absMax, abs(row.element(head: head, dim: i))) }
                let scale = absMax / int8Max
                scales[head] = scale
                for i in 0..<headDim {
                    q[head * headDim + i] = scale == 0 ? 0 : Int8((row.element(head: head, dim: i) / scale).rounded())
                }
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

/// Where KVRowCodec.store gets a row's elements from.
protocol KVRowSource {
    func element(head: Int, dim: Int) -> Float
}

/// A row already in memory: [kvHeads × headDim] floats.
struct KVPlainRow: KVRowSource {
    let row: UnsafePointer<Float>
    let headDim: Int

    @inline(__always)
    func element(head: Int, dim: Int) -> Float { row[head * headDim + dim] }
}

/// A K row as RoPE rotates it; the row in memory stays unrotated.
struct KVRotatedRow: KVRowSource {
    let row: UnsafePointer<Float>
    let rope: RopeRotation

    @inline(__always)
    func element(head: Int, dim: Int) -> Float { rope.rotated(row + head * rope.headDim, dim: dim) }
}
