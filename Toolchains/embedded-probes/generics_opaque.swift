// Generics with constraints and associated types, protocol extensions, `some P` returns,
// enums with payloads used in place of existentials.
protocol Kernel { associatedtype Acc: FixedWidthInteger; func dot(_ a: [Int8], _ b: [Int8]) -> Acc }
extension Kernel { func describe() -> String { "kernel bits \(Acc.bitWidth)" } }
struct Scalar: Kernel { func dot(_ a: [Int8], _ b: [Int8]) -> Int32 { var s: Int32 = 0; for i in 0..<a.count { s &+= Int32(a[i]) * Int32(b[i]) }; return s } }
func run<K: Kernel>(_ k: K) -> K.Acc { k.dot([1, 2, 3], [4, 5, 6]) }
func make() -> some Kernel { Scalar() }
enum AnyKernel { case scalar(Scalar); func dot(_ a: [Int8], _ b: [Int8]) -> Int32 { switch self { case .scalar(let k): return k.dot(a, b) } } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    print("\(run(Scalar())) " + make().describe() + " \(AnyKernel.scalar(Scalar()).dot([2], [3]))")
    return 0
}
