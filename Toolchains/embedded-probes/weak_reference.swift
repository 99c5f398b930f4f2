// weak references.
final class Node { let id: Int; weak var parent: Node?; init(_ i: Int) { id = i } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var a: Node? = Node(1)
    let b = Node(2)
    b.parent = a
    print("\(b.parent?.id ?? -1)")
    a = nil
    print("\(b.parent == nil)")
    return 0
}
