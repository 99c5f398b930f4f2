/// Writing one token's K or V row of one layer into a page, in the pool's element type.
/// INT8 rows are quantized per head: scale = max|x| / 127 over the head's dims, q =
/// round(x / scale) — one rounding per element, so the stored value is within scale/2
/// (1/254 of the head row's largest magnitude) of the original.
enum KVRowCodec {
    static let int8Max: Float = 127

    @inline(__always)
    static func store(_ row: UnsafePointer<Float>, page: UnsafeMutableRawPointer, layout: KVPageLayout,
                      layer: Int, value: Bool, slot: Int) {
        let index = layout.rowIndex(layer: layer, value: value, slot: slot)
        let dst = page + index * layout.rowBytes
        let n = layout.kvDim
        switch layout.type {
        case .f32:
            dst.assumingMemoryBound(to: Float.self).update(from: row, count: n)
        case .f16:
            let h = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { h[i] = HalfFloat.fromFloat(row[i]) }
        case .int8:
            let q = dst.assumingMemoryBound(to: Int8.self)
            let scales = (page + layout.scalesOffset).assumingMemoryBound(to: Float.self) + index * layout.kvHeadCount
            for head in 0..<layout.kvHeadCount {
                let x = row + head * layout.headDim
                var absMax: Float = 0
                for i in 0..<layout.headDim { absMax = max(absMax, abs(x[i])) }
                let scale = absMax / int8Max
                scales[head] = scale
                for i in 0..<layout.headDim {
                    q[head * layout.headDim + i] = scale == 0 ? 0 : Int8((x[i] / scale).rounded())
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
