// isKnownUniquelyReferenced: copy-on-write through a stored property, and on fresh local objects.
final class Box { var v = 0 }
struct COW { var b = Box()
  mutating func set(_ x: Int) -> Bool { let u = isKnownUniquelyReferenced(&b); if !u { b = Box() }; b.v = x; return u } }
@inline(never) func make() -> COW { COW() }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var x = make()
    let u1 = x.set(1)
    let y = x
    let u2 = x.set(2)
    var o: Box? = Box()
    var p = Box()
    print("\(u1) \(u2) \(y.b.v) \(x.b.v) \(isKnownUniquelyReferenced(&o)) \(isKnownUniquelyReferenced(&p))")
    return 0
}
