// CustomStringConvertible conformance used in interpolation.
struct Shape: CustomStringConvertible { let r: Int, c: Int; var description: String { "[\(r)x\(c)]" } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let s = Shape(r: 2, c: 3)
    print("shape \(s) " + s.description)
    return 0
}
