// Closures: non-escaping, escaping stored in a struct, capturing and mutating a var,
// an array of closures, a generic higher-order function.
struct Handler { let f: (Int) -> Int }
func apply<T>(_ x: T, _ f: (T) -> T) -> T { f(x) }
func ints(_ a: [Int]) -> String { var s = ""; for x in a { s += "\(x)," }; return s }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var counter = 0
    let inc: () -> Void = { counter += 1 }
    inc(); inc()
    let k = 7
    let h = Handler(f: { $0 * k })
    var fs: [(Int) -> Int] = []
    for i in 0..<3 { fs.append({ $0 + i }) }
    print("\(counter) \(h.f(6)) \(ints(fs.map { $0(10) })) \(apply(5) { $0 * 2 })")
    return 0
}
