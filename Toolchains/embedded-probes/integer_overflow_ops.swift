// Integer helpers: addingReportingOverflow, multipliedFullWidth, leadingZeroBitCount, byteSwapped, rotates.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let (r, o) = Int.max.addingReportingOverflow(1)
    let fw = UInt64.max.multipliedFullWidth(by: 3)
    print("\(r) \(o) \(fw.high) \(fw.low) \(UInt32(1).leadingZeroBitCount) \(UInt16(0x1234).byteSwapped) \(UInt8(0b1000_0001).nonzeroBitCount)")
    return 0
}
