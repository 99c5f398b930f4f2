// Class deinit order when a chain of objects is released.
func ints(_ a: [Int]) -> String { var s = ""; for x in a { s += "\(x)," }; return s }
var deinitLog: [Int] = []
final class Node { let id: Int; let next: Node?; init(_ i: Int, _ n: Node?) { id = i; next = n }; deinit { deinitLog.append(id) } }
@inline(never) func build() -> Node? { Node(1, Node(2, nil)) }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var a = build()
    print("\(a!.next!.id)")
    a = nil
    print(ints(deinitLog))
    return 0
}
