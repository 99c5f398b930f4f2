// Synchronization.Mutex.
import Synchronization
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let m = Mutex<[Int]>([])
    m.withLock { $0.append(3) }
    print("\(m.withLock { $0.count })")
    return 0
}
