// Interpolating Bool, unwrapped Optionals and ?? into strings.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let o: Int? = 3
    let n: Int? = nil
    print("\(true) \(o!) \(n ?? -1)")
    return 0
}
