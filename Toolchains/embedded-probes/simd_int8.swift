// SIMD16<Int8>: &+, &*, wrappedSum(), widening via SIMD16<Int32>(truncatingIfNeeded:),
// load from raw bytes, comparisons and .replacing(with:where:).
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var raw = [Int8](repeating: 0, count: 32)
    for i in 0..<32 { raw[i] = Int8(truncatingIfNeeded: i * 37 - 100) }
    let a = raw.withUnsafeBytes { $0.loadUnaligned(as: SIMD16<Int8>.self) }
    let b = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self) }
    let s8 = (a &+ b).wrappedSum()
    let wa = SIMD16<Int32>(truncatingIfNeeded: a)
    let wb = SIMD16<Int32>(truncatingIfNeeded: b)
    let dot = (wa &* wb).wrappedSum()
    let clipped = a.replacing(with: 0, where: a .< 0)
    print("\(s8) \(dot) \(clipped.wrappedSum()) \((a &* b)[3])")
    return 0
}
