// Synchronization.Atomic<Int>: add, compareExchange, load.
import Synchronization
final class Counter { let n = Atomic<Int>(0) }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let c = Counter()
    c.n.add(5, ordering: .relaxed)
    _ = c.n.compareExchange(expected: 5, desired: 9, ordering: .acquiringAndReleasing)
    print("\(c.n.load(ordering: .acquiring))")
    return 0
}
