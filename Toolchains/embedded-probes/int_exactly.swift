// Int(exactly:) from Double and from wider integers, Int8(clamping:), truncatingIfNeeded.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let a = Int(exactly: 3.0 as Double)
    let b = Int(exactly: 3.5 as Double)
    let c = Int32(exactly: Int64(1) << 40)
    let d = Int(exactly: UInt64.max)
    print("\(a!) \(b == nil) \(c == nil) \(d == nil) \(Int8(clamping: 300)) \(Int8(truncatingIfNeeded: 300))")
    return 0
}
