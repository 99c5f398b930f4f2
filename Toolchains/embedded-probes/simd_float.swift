// SIMD8<Float>/SIMD4<Float>: construction, lane-wise + and *, sum(), max(), load from an array.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let xs: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
    var a = SIMD8<Float>(repeating: 0.5)
    var b = SIMD8<Float>()
    for i in 0..<8 { b[i] = xs[i] }
    a = a * b + b
    let s = a.sum()
    let m = a.max()
    let w = xs.withUnsafeBytes { $0.loadUnaligned(as: SIMD4<Float>.self) }
    let p = pointwiseMax(w, SIMD4<Float>(repeating: 2.5))
    print("\(s.bitPattern) \(m.bitPattern) \(p[0].bitPattern) \(p[3].bitPattern)")
    return 0
}
