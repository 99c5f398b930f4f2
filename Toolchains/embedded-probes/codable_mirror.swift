// Reflection: Mirror — expected NOT to work in Embedded.
struct S { var x = 1 }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let m = Mirror(reflecting: S())
    print("\(m.children.count)")
    return 0
}
