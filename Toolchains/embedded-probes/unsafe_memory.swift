// Unsafe memory: allocate/deallocate, withUnsafeTemporaryAllocation, raw loads, withUnsafeBytes(of:), MemoryLayout.
struct Q8Block { var d: UInt16; var q: (Int8, Int8) }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    p.storeBytes(of: 0x1234_5678 as UInt32, toByteOffset: 3, as: UInt32.self)
    let u = p.loadUnaligned(fromByteOffset: 3, as: UInt32.self)
    p.deallocate()
    let t = withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { buf -> Int in
        for i in 0..<8 { buf[i] = i }; return buf.reduce(0, +)
    }
    var x: UInt32 = 0xAABBCCDD
    let first = withUnsafeBytes(of: &x) { $0[0] }
    print("\(u) \(t) \(first) \(MemoryLayout<Q8Block>.size) \(MemoryLayout<Q8Block>.stride)")
    return 0
}
