// Parsing floats from text: Float("1.5"), Double("2.25").
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let f = Float("1.5")!
    let d = Double("2.25")!
    print("\(f.bitPattern) \(d.bitPattern)")
    return 0
}
