// unowned (safe) references.
final class Owner { let id = 1 }
final class Node { unowned let owner: Owner; init(_ o: Owner) { owner = o } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let o = Owner()
    let n = Node(o)
    print("\(n.owner.id)")
    return 0
}
