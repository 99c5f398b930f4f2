// Sequence algorithms: reduce, map, filter, compactMap, zip, enumerated, min/max, contains, lazy, stride.
func ints(_ a: [Int]) -> String { var s = ""; for x in a { s += "\(x)," }; return s }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let a = [3, 1, 4, 1, 5, 9, 2, 6]
    let sum = a.reduce(0, +)
    let prod = a.reduce(into: 1) { $0 *= $1 }
    let evens = a.filter { $0 % 2 == 0 }.map { $0 * 10 }
    let opt = ["1", "x", "3"].compactMap { Int($0) }
    var z = 0
    for (i, (p, q)) in zip(a, a.dropFirst()).enumerated() { z += i * p * q }
    let lz = a.lazy.map { $0 + 1 }.filter { $0 > 3 }.count
    var st = 0
    for i in stride(from: 0, to: 20, by: 3) { st += i }
    print("\(sum) \(prod) \(ints(evens)) \(ints(opt)) \(z) \(a.min()!) \(a.max()!) \(a.contains(9)) \(lz) \(st)")
    return 0
}
