// String(decoding:as:), String(cString:), String(validating:as:), utf8 view, invalid UTF-8 repair.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let bytes: [UInt8] = [0x68, 0xC3, 0xA9, 0xFF, 0x21]
    let s = String(decoding: bytes, as: UTF8.self)
    print(s + " \(s.utf8.count) \(s.count)")
    let ok = String(validating: [UInt8]([0x61, 0x62]), as: UTF8.self)
    print(ok ?? "nil")
    return 0
}
