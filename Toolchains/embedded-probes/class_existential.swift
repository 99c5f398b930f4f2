// Class-bound protocol existentials (`any P` with P: AnyObject), inheritance, dynamic dispatch.
protocol Backend: AnyObject { func name() -> String }
class Base: Backend { func name() -> String { "base" } }
final class Neon: Base { override func name() -> String { "neon" } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let bs: [any Backend] = [Base(), Neon()]
    var out = ""
    for b in bs { out += b.name() + " " }
    let x: Base = Neon()
    print(out + x.name())
    return 0
}
