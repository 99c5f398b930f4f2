// `any P` of a non-class protocol — expected NOT to work in Embedded.
protocol Shape { func area() -> Int }
struct Sq: Shape { let s: Int; func area() -> Int { s * s } }
struct Re: Shape { let w: Int, h: Int; func area() -> Int { w * h } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let shapes: [any Shape] = [Sq(s: 3), Re(w: 2, h: 5)]
    var t = 0
    for s in shapes { t += s.area() }
    print("\(t)")
    return 0
}
