// ~Copyable structs with deinit, InlineArray, Span over an Array.
struct Buffer: ~Copyable {
    let p: UnsafeMutablePointer<Int32>
    init(_ n: Int) { p = .allocate(capacity: n); p.initialize(repeating: 7, count: n) }
    deinit { p.deallocate() }
}
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let b = Buffer(4)
    var ia = InlineArray<4, Int>(repeating: 1)
    ia[2] = 5
    var t = 0
    for i in 0..<ia.count { t += ia[i] }
    let arr = [1, 2, 3]
    let sp = arr.span
    print("\(b.p[3]) \(t) \(sp.count) \(sp[2])")
    return 0
}
