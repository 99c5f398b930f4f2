// sort(), sorted(by:), sorting structs by key, sorting Strings.
struct T { let name: String; let score: Int }
func ints(_ a: [Int]) -> String { var s = ""; for x in a { s += "\(x)," }; return s }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var a = [5, 3, 8, 1]
    a.sort()
    let d = a.sorted(by: >)
    let ts = [T(name: "b", score: 2), T(name: "a", score: 2), T(name: "c", score: 9)]
    let s = ts.sorted { ($0.score, $0.name) > ($1.score, $1.name) }.map { $0.name }
    let strs = ["pear", "apple", "Äpfel"].sorted()
    print("\(ints(a)) \(ints(d)) " + s.joined() + " " + strs.joined(separator: ","))
    return 0
}
