// "\([1, 2])" and "\(Optional(3))": collections/optionals in interpolation (need reflection).
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let o: Int? = 3
    print("\([1, 2]) \(o as Int?)")
    return 0
}
