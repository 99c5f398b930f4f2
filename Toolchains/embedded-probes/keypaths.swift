// Key paths: \S.x used with subscripts and map.
struct S { var x: Int; var y: Int }
func ints(_ a: [Int]) -> String { var s = ""; for x in a { s += "\(x)," }; return s }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let kp = \S.y
    let s = S(x: 1, y: 2)
    print("\(s[keyPath: kp]) \(ints([s, S(x: 3, y: 4)].map(\.x)))")
    return 0
}
