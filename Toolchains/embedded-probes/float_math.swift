// Float/Double basics without libm: squareRoot, rounded, exponent/significand, fma via
// addingProduct, truncatingRemainder, nextUp, ulp, Float(bitPattern:).
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let x = 2.0
    let f = Float(bitPattern: 0x3FC0_0000)
    print("\(x.squareRoot().bitPattern) \(2.5.rounded().bitPattern) \(2.5.rounded(.toNearestOrEven).bitPattern) \(Int(x.exponent)) \(10.0.significand.bitPattern)")
    print("\(1.0.addingProduct(2.0, 3.0).bitPattern) \(7.5.truncatingRemainder(dividingBy: 2).bitPattern) \(f.nextUp.bitPattern) \(f.ulp.bitPattern) \(Float(Int(-7)).bitPattern) \(Int(Float(-7.9)))")
    return 0
}
