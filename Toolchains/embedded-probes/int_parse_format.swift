// Int parsing and formatting: Int("123"), Int("ff", radix: 16), String(255, radix: 16), "\(Int)".
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let a = Int("123")!
    let b = Int("ff", radix: 16)!
    let bad = Int("12x")
    print("\(a) \(b) \(bad == nil) " + String(255, radix: 16) + " " + String(-42) + " \(UInt64.max) \(Int64.min)")
    return 0
}
