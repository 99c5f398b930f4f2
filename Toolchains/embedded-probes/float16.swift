// Float16: from bit pattern, to Float, from Float (rounding), arithmetic, SIMD of Float16.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let h = Float16(bitPattern: 0x3C00 | 0x0155)
    let f = Float(h)
    let back = Float16(Float(0.1)).bitPattern
    let sub = Float(Float16(bitPattern: 0x0001))
    let sum = (h + h).bitPattern
    let v4 = SIMD4<Float16>(repeating: h) * SIMD4<Float16>(1, 2, 3, 4)
    print("\(f.bitPattern) \(back) \(sub.bitPattern) \(sum) \(v4[3].bitPattern)")
    return 0
}
